"""Actors of the Syrian conflict as Mesa agents.

Opposition groups can number in the thousands, so their attributes live in numpy arrays held by
`OppositionRoster`; each `OppositionGroup` agent is a named view on one row (so Mesa's AgentSet
tools work on them) while the tracks decide for all groups at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from sim.params import Param as P
from sim.plugins import Handler
from sim.territory import OPP


class Patron(mesa.Agent):
    """An outside power with leverage over its clients: the US, Russia, Turkey, Iran.

    `leverage` is a stock per client in [0, 1]: spent when used, recovering towards a ceiling
    set by how much the client needs this patron (see sim/rules/leverage.py)."""

    def __init__(self, model: mesa.Model, name: str, n_clients: int, active: bool = True):
        super().__init__(model)
        self.name = name
        self.active = active
        self.leverage = np.ones(n_clients)
        self.pressure = np.zeros(n_clients)  # pressure applied this week

    def press(self, dependence: np.ndarray, demand: np.ndarray) -> np.ndarray:
        """Apply this week's pressure on clients (demand 0 = only recover). Returns pressure."""
        rule, params = self.model.leverage_rule
        if not self.active:
            demand = np.zeros_like(demand)
        self.pressure, self.leverage = rule(params, self.leverage, dependence, demand)
        return self.pressure


class Government(mesa.Agent):
    """The Syrian government: wants survival and to recover every area; complies selectively."""

    def __init__(self, model: mesa.Model, strength: float, war_aims: float):
        super().__init__(model)
        self.base_strength = strength
        self.war_aims = war_aims
        self.air_support = 0.0  # relative boost from an outside air campaign

    @property
    def strength(self) -> float:
        return self.base_strength * (1.0 + self.air_support)


class ExcludedGroup(mesa.Agent):
    """A group outside every agreement (ISIL; Nusra is modelled as fighters intermixed with
    opposition areas, `Territory.nusra_share`). Never grants access, never signs."""

    def __init__(self, model: mesa.Model, name: str, strength: float, active: bool):
        super().__init__(model)
        self.name = name
        self.strength = strength
        self.active = active
        self.attrition = 0.0  # weekly relative loss of strength under an outside campaign

    def weaken(self) -> None:
        self.strength *= 1.0 - self.attrition


@dataclass
class OppositionRoster:
    """Attributes of all opposition groups, one row per group."""

    us_alignment: np.ndarray  # how much the group relies on US backing (US leverage ceiling), 0..1
    turkey_alignment: np.ndarray  # how much it relies on Turkey, 0..1
    strength: np.ndarray  # military strength (1 = the government's before intervention)
    radical_ties: np.ndarray  # ties to excluded groups (raises its cost of any deal), 0..1

    @property
    def n(self) -> int:
        return len(self.strength)


class OppositionGroup(mesa.Agent):
    """One opposition group: a view on row `index` of the roster."""

    def __init__(self, model: mesa.Model, index: int):
        super().__init__(model)
        self.index = index
        self.name = f"Opposition group {index + 1}"

    def __getattr__(self, attr: str):
        roster = self.__dict__.get("model") and self.model.roster
        if roster is not None and attr in OppositionRoster.__dataclass_fields__:
            return getattr(roster, attr)[self.index]
        raise AttributeError(attr)

    @property
    def areas(self) -> np.ndarray:
        t = self.model.territory
        return np.flatnonzero((t.controller == OPP) & (t.holder == self.index))


def make_opposition(model: mesa.Model, n: int, rng: np.random.Generator) -> OppositionRoster:
    """Heterogeneous groups; the territory's opposition areas are shared out among them, the
    stronger groups holding more, northern groups leaning on Turkey."""
    roster = OppositionRoster(
        us_alignment=rng.beta(2.0, 2.0, n),
        turkey_alignment=rng.beta(1.5, 2.5, n),
        strength=np.clip(rng.lognormal(np.log(0.8), 0.3, n), 0.2, 2.0),
        radical_ties=rng.beta(1.5, 3.0, n),
    )
    t = model.territory
    opp = np.flatnonzero(t.controller == OPP)
    weights = roster.strength / roster.strength.sum()
    t.holder[:] = -1
    t.holder[opp] = rng.choice(n, size=len(opp), p=weights)
    # A group's ties to radicals follow the areas it holds (intermixed fighters).
    held_share = np.bincount(t.holder[opp], weights=t.nusra_share[opp], minlength=n)
    held_count = np.bincount(t.holder[opp], minlength=n)
    mix = np.divide(held_share, held_count, out=np.zeros(n), where=held_count > 0)
    roster.radical_ties = np.clip(0.5 * roster.radical_ties + mix, 0.0, 1.0)
    north = np.bincount(t.holder[opp], weights=(t.lat[opp] > 35.5).astype(float), minlength=n)
    roster.turkey_alignment = np.clip(
        roster.turkey_alignment
        + 0.5 * np.divide(north, held_count, out=np.zeros(n), where=held_count > 0),
        0,
        1,
    )
    return roster


class UnitedNations(mesa.Agent):
    """The UN: the envoy, OCHA's convoys and cross-border aid, observers, OPCW-UN verification.
    It has no leverage of its own: it borrows the powers'."""

    part = "un"
    handles = {
        "cross_border_aid": Handler("authorise_cross_border", "cross-border aid", track="access"),
        "airdrops": Handler("authorise_airdrops", "airdrops", track="access"),
        "observers": Handler(
            "deploy_observers",
            "UN observers",
            {
                "count": P(
                    300, "observers", "Unarmed UN observers deployed at hot spots", lo=1, hi=100000
                ),
            },
            track="ceasefire",
        ),
        "observers_end": Handler("end_observers", "observers leave", track="ceasefire"),
    }

    def __init__(self, model: mesa.Model):
        super().__init__(model)
        self.observers = 0
        self.observer_risk = 0.0
        self.cross_border = False
        self.airdrops = False

    # -- decisions (dated events) ------------------------------------------------------------------
    def authorise_cross_border(self, event) -> None:
        self.cross_border = True

    def authorise_airdrops(self, event) -> None:
        self.airdrops = True

    def deploy_observers(self, event) -> None:
        self.observers, self.observer_risk = event["count"], 0.0

    def end_observers(self, event) -> None:
        self.observers = 0

    def expose_observers(self, deaths: float, risk_per_death: float) -> None:
        """Observers share the danger of the week's fighting. Withdrawing them is a decision (a
        scenario policy on `observers_at_risk`), not an automatic outcome."""
        if self.observers:
            self.observer_risk += risk_per_death * deaths

    def monitoring_from_observers(self, effect: float) -> float:
        return effect * min(1.0, self.observers / 300.0)
