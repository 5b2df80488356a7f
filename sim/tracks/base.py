"""The interface of a policy track, and what every track shares: its current structure and how
that structure engages the powers.

A track is a self-describing plugin. Its class declares:
  name      its key in a scenario (`tracks.<name>`, `params.<name>`) and its random stream
  params    {key: Param}: its mechanism parameters (`params.<name>.<key>` in a scenario)
  handles   {event type: Handler(method, label, fields)}: the dated decisions it takes
  columns   {column: (unit, meaning)}: its weekly output columns, filled by `record()`
  flows     which of its columns are flows (summed per month; the others are averaged)
  headline_metrics, headline_series, metric_words   what a comparison of structures on this
            track shows first (sim/experiments/compare.py)
and implements any of the phase hooks the model calls every week, track after track in registry
order (sim/tracks/__init__.py), in this fixed phase order (docs/ARCHITECTURE.md):
  before_fighting()   shape this week's fighting (the ceasefire's suppression of front lines)
  after_fighting()    react to this week's fighting (a ceasefire's collapse or relaunch)
  step()              the track's weekly work (removal, convoys), after every after_fighting()
  record()            this week's values of its columns
  log()               this week's map entries (model.week_log)
and, at the end of a run, `measures()` (its summary metrics) and `summary()` (extra summary
entries). Registering the class (sim.plugins.register_track) is all the model needs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.plugins import Handler
from sim.structures import STRUCTURES, Structure


class Track:
    name = ""
    params: dict[str, Any] = {}
    handles: dict[str, Handler] = {}
    columns: dict[str, tuple[str, str]] = {}
    flows: tuple[str, ...] = ()
    headline_metrics: tuple[str, ...] = ()
    headline_series: tuple[str, ...] = ()
    metric_words: tuple[str, ...] = ()  # name fragments of its metrics; default: its name

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.part = cls.name  # a track is the part of the model its events are dispatched to

    def __init__(self, model):
        self.model = model
        self.p = model.config.data["params"][self.name]
        self.rng = model.streams[self.name]
        self.structure: Structure | None = None  # None until the track's first decision

    # -- phase hooks (see the module docstring for their order) ---------------------------------
    def before_fighting(self) -> None:
        pass

    def after_fighting(self) -> None:
        pass

    def step(self) -> None:
        pass

    def record(self) -> dict[str, Any]:
        return {}

    def log(self) -> list[dict]:
        return []

    # -- end of a run ---------------------------------------------------------------------------
    def measures(
        self, weekly: pd.DataFrame, months: pd.DataFrame, dates: dict[str, list[str]]
    ) -> dict[str, float]:
        """Goal-effectiveness measures of this track; `dates` maps an event type to the dates
        of its decisions in the run's timeline."""
        return {}

    def summary(self) -> dict[str, Any]:
        return {}

    @classmethod
    def monthly(cls, by_month, out: pd.DataFrame) -> None:
        """Add or fix this track's monthly columns in `out` (`by_month` groups the weeks)."""

    @property
    def engaged(self) -> bool:
        return self.structure is not None and self.structure.engaged

    def set_structure(self, name: str) -> None:
        self.structure = STRUCTURES[name]

    @property
    def busy(self) -> bool:
        """Is there work this week for which the patrons must press (and spend leverage)?"""
        return self.engaged

    # -- how the structure reaches the parties ---------------------------------------------------
    def presses_government(self) -> bool:
        return self.engaged and self.structure.russia_presses_government

    def presses(self, patron: str) -> bool:
        """Does this track make `patron` ("russia", "us", "turkey") spend leverage this week?"""
        if not self.busy:
            return False
        s = self.structure
        return {
            "russia": s.russia_presses_government,
            "us": s.us_presses_opposition,
            "turkey": s.turkey_presses_opposition,
        }[patron]

    def government_pressure(self) -> float:
        """Pressure on Damascus under this track's structure this week (a patron in a crisis
        with the other power withholds part of its pressure: escalation's counter-move)."""
        m = self.model
        if self.presses_government():
            return float(m.russia.pressure[0]) * m.crisis_discount
        if self.engaged and self.structure.uniform_obligations:
            return m.diplomacy["uniform_pressure"]
        return 0.0

    def group_pressure(self) -> np.ndarray:
        """Pressure on each opposition group under this track's structure this week."""
        m = self.model
        s = self.structure
        pressure = np.zeros(m.roster.n)
        if not self.engaged:
            return pressure
        if s.us_presses_opposition:
            pressure = np.maximum(pressure, m.us.pressure * m.crisis_discount)
        if s.turkey_presses_opposition:
            pressure = np.maximum(pressure, m.turkey.pressure * m.crisis_discount)
        if s.uniform_obligations:
            pressure = np.maximum(pressure, m.diplomacy["uniform_pressure"])
        return pressure

    def information(self) -> float:
        """Information the co-leads share: only under a joint structure, and only as far as
        they trust each other."""
        m = self.model
        if self.engaged and self.structure.joint and m.channel_open:
            return m.trust * m.trust_params["information_sharing"] * m.crisis_discount
        return 0.0

    def monitoring(self) -> float:
        m = self.model
        level = self.information()
        if self.engaged and self.structure.uniform_obligations:
            level = max(level, m.diplomacy["multilateral_monitoring"])
        return level

    def joint_success(self, share: float) -> None:
        """Trust grows from what each side sees of the other's part in a success: all of it when
        they co-lead, what monitoring shows under any other structure (none under a unilateral
        one, where the other power has no part)."""
        m = self.model
        if not (self.engaged and m.channel_open):
            return
        seen = 1.0 if self.structure.joint else self.monitoring()
        m.trust += m.trust_params["success_gain"] * float(np.clip(share, 0, 1)) * seen
