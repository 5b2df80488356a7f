"""The policy tracks, each run under the structure of its latest dated decision.

BUILTIN_TRACKS is the order in which the tracks act within each phase of a week (see
sim/tracks/base.py and docs/ARCHITECTURE.md); sim.plugins registers them in this order.
"""

from sim.tracks.access import AccessTrack
from sim.tracks.base import Track
from sim.tracks.ceasefire import CeasefireTrack
from sim.tracks.chemical import ChemicalTrack

BUILTIN_TRACKS = (ChemicalTrack, AccessTrack, CeasefireTrack)

__all__ = ["AccessTrack", "BUILTIN_TRACKS", "CeasefireTrack", "ChemicalTrack", "Track"]
