"""What every track shares: its current structure and how that structure engages the powers."""

from __future__ import annotations

import numpy as np

from sim.structures import STRUCTURES, Structure


class Track:
    name = ""

    def __init__(self, model):
        self.model = model
        self.p = model.config.data["params"][self.name]
        self.rng = model.streams[self.name]
        self.structure: Structure | None = None  # None until the track's first decision

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
        """Pressure on Damascus under this track's structure this week."""
        m = self.model
        if self.presses_government():
            return float(m.russia.pressure[0])
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
            pressure = np.maximum(pressure, m.us.pressure)
        if s.turkey_presses_opposition:
            pressure = np.maximum(pressure, m.turkey.pressure)
        if s.uniform_obligations:
            pressure = np.maximum(pressure, m.diplomacy["uniform_pressure"])
        return pressure

    def information(self) -> float:
        """Information the co-leads share: only under a joint structure, and only as far as
        they trust each other."""
        m = self.model
        if self.engaged and self.structure.joint and m.channel_open:
            return m.trust * m.trust_params["information_sharing"]
        return 0.0

    def monitoring(self) -> float:
        m = self.model
        level = self.information()
        if self.engaged and self.structure.uniform_obligations:
            level = max(level, m.diplomacy["multilateral_monitoring"])
        return level

    def joint_success(self, share: float) -> None:
        """Both co-leads own the result: success builds trust."""
        if self.engaged and self.structure.joint and self.model.channel_open:
            self.model.trust += self.model.trust_params["success_gain"] * float(
                np.clip(share, 0, 1)
            )
