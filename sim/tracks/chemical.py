"""Chemical weapons: the stockpile, its verification and removal, and continued attacks.

One mechanism under every structure. A decision on chemical weapons (the framework, under
whatever structure) demands that Damascus declare its stockpile; whether and when it declares,
and then how fast it cooperates, are compliance decisions under the pressure the structure
brings: the leverage of a patron who presses it, uniform obligations, and the credible threat of
a US strike (decaying deterrence), against the cost of losing its deterrent. The OPCW-UN mission
verifies the declared sites (slowed by insecurity); agents then move along the road route to the
port as fast as security allows (Russia's escort, where Russia presses, removes part of the
insecurity), and leave by ship when a load is staged. Undeclared stock and chlorine are never
removed, so attacks can continue. A unilateral US framework is a punitive strike: it destroys some
delivery capacity, deters for a while and costs trust; whether Damascus then gives anything up
follows from the same compliance decision.
"""

from __future__ import annotations

import numpy as np

from sim.params import MECHANISMS
from sim.params import Param as P
from sim.plugins import Handler
from sim.structures import STRUCTURE
from sim.tracks.base import Track


class ChemicalTrack(Track):
    name = "chemical"
    params = MECHANISMS["chemical"]
    handles = {
        "cw_framework": Handler("framework", "CW framework", {"structure": STRUCTURE}),
        "us_strike": Handler(
            "ordered_strike",
            "US strike",
            {
                "strikes": P(
                    1,
                    "strikes",
                    "Punitive cruise-missile strikes ordered (unilateral by definition)",
                    lo=1,
                    hi=100,
                ),
            },
        ),
    }
    columns = {
        "cw_declared_t": (
            "tonnes",
            "Declared chemical agent still in Syria (0 before a declaration)",
        ),
        "cw_removed_frac": ("share", "Share of the declared stockpile shipped out of Syria"),
        "chem_attacks": ("attacks/week", "Chemical attacks by the government"),
    }
    flows = ("chem_attacks",)
    headline_metrics = (
        "cw_removed_frac_final",
        "cw_weeks_to_95pct",
        "chem_attacks_after_framework",
    )
    headline_series = ("cw_removed_frac", "chem_attacks")
    metric_words = ("cw", "chem")

    def __init__(self, model):
        super().__init__(model)
        p = self.p
        self.declared = 0.0  # tonnes declared (0 until a framework)
        self.shipped = 0.0  # tonnes that have left Syria
        self.staged = 0.0  # tonnes waiting at the port
        self.moved = 0.0  # tonnes moved to the port (staged or shipped)
        self.scheduled_held = p["declared_t"] * (
            1.0 + p["undeclared_share"]
        )  # agent the government holds
        self.sites_verified = 0.0
        self.capability = 1.0  # delivery capacity (aircraft, launchers), 0..1
        self.demanded = False  # a decision demands a declaration (until Damascus makes one)
        self.deterrence = 0.0
        self.attacks = 0

    # -- decisions --------------------------------------------------------------------------------
    def framework(self, event) -> None:
        self.set_structure(event["structure"])
        if not self.engaged:
            return
        if self.structure.unilateral == "us":
            self.strike(1)  # the US alone: a punitive strike, and its demand stands
        self.demanded = True
        self.deterrence = 1.0  # the threat behind the demand is credible at first

    def ordered_strike(self, event) -> None:
        self.strike(event["strikes"])

    def strike(self, strikes: int) -> None:
        """A unilateral punitive strike: some delivery capacity destroyed, no stock removed."""
        m = self.model
        self.capability *= (1.0 - self.p["strike_destruction"]) ** strikes
        self.deterrence = 1.0
        m.unilateral_act("us", strikes)

    def coercion(self) -> float:
        """Pressure on Damascus: what the structure engages, or the strike threat if stronger."""
        return max(self.government_pressure(), self.p["threat_pressure"] * self.deterrence)

    # -- weekly -----------------------------------------------------------------------------------
    def step(self) -> None:
        p, m = self.p, self.model
        u = self.rng.random(2)  # fixed draws: cooperation (or declaration), attack
        self.attacks = 0
        self.capability += p["capacity_recovery"] * (1.0 - self.capability)
        self.deterrence *= 1.0 - p["deterrence_decay"]
        moved = 0.0
        monitoring = 0.5 + 0.5 * self.monitoring()
        if self.demanded and self.engaged and self.declared == 0:
            if u[0] < m.comply(self.coercion(), p["cost"], monitoring, 0.0):
                self.declared = p["declared_t"]
        elif self.declared > 0 and self.engaged:
            coop = m.comply(self.coercion(), p["cost"], monitoring, 0.0)
            if u[0] < coop:
                route = m.government_route(m.territory.port)
                insecurity = float(m.conflict.area_fighting[route].sum())
                escort = p["russian_escort"] if self.presses_government() else 0.0
                security = float(np.exp(-p["route_insecurity"] * insecurity * (1.0 - escort)))
                if self.sites_verified < p["sites"]:
                    self.sites_verified = min(
                        p["sites"], self.sites_verified + p["inspection_rate"] * security
                    )
                else:
                    moved = min(self.declared - self.moved, p["transport_rate_t"] * security)
            self.moved += moved
            self.staged += moved
            if self.staged >= p["ship_load_t"] or (
                self.staged > 0 and self.moved >= self.declared - 1e-9
            ):
                self.shipped += self.staged
                self.scheduled_held -= self.staged
                self.staged = 0.0
            self.joint_success(moved / p["transport_rate_t"] if p["transport_rate_t"] else 0.0)
        # Attacks: more likely when the government is losing and still has agent and means.
        agent = p["chlorine_capability"] + (1 - p["chlorine_capability"]) * min(
            1.0, self.scheduled_held / max(p["declared_t"], 1e-9)
        )
        rate = (
            p["attack_rate"]
            * m.government_dependence
            * self.capability
            * agent
            * (1.0 - self.deterrence)
        )
        self.attacks = int(u[1] < 1.0 - np.exp(-rate))

    @property
    def busy(self) -> bool:
        return self.engaged and self.declared > 0 and self.shipped < self.declared

    @property
    def removed_frac(self) -> float:
        return min(1.0, self.shipped / self.declared) if self.declared > 0 else 0.0

    @property
    def declared_in_syria(self) -> float:
        return max(0.0, self.declared - self.shipped)

    # -- output -----------------------------------------------------------------------------------
    def record(self) -> dict:
        return {
            "cw_declared_t": self.declared_in_syria,
            "cw_removed_frac": self.removed_frac,
            "chem_attacks": self.attacks,
        }

    def log(self) -> list[dict]:
        return [{"kind": "chemical_attack"}] if self.attacks else []

    def measures(self, weekly, months, dates) -> dict[str, float]:
        out = {"cw_removed_frac_final": self.removed_frac}
        after = weekly[weekly["date"] >= dates.get("cw_framework", ["9999"])[0]]
        reached95 = after.index[after["cw_removed_frac"] >= 0.95]
        out["cw_weeks_to_95pct"] = (
            float(reached95[0] - after.index[0]) if len(reached95) else float("nan")
        )
        out["chem_attacks_total"] = float(weekly["chem_attacks"].sum())
        out["chem_attacks_after_framework"] = float(after["chem_attacks"].sum())
        return out

    @classmethod
    def monthly(cls, by_month, out) -> None:
        # stocks at the month's end, not averaged
        out["cw_removed_frac"] = by_month["cw_removed_frac"].last()
        out["cw_declared_t"] = by_month["cw_declared_t"].last()
