"""The three policy tracks, each run under the structure of its latest dated decision."""

from sim.tracks.access import AccessTrack
from sim.tracks.ceasefire import CeasefireTrack
from sim.tracks.chemical import ChemicalTrack

__all__ = ["AccessTrack", "CeasefireTrack", "ChemicalTrack"]
