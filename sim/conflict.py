"""Fighting on the area network: violence, changes of control, encirclement and sieges.

Each week every road between areas held by hostile parties is a front line. Its intensity sets
the deaths it causes and the chance that one side takes the other's area; the stronger side (with
a defensive bonus for cities and a growing bonus against besieged enclaves) is more likely to win.
Ceasefires act through a per-edge suppression factor set by the ceasefire track.
Random draws come from the fighting stream, a fixed number per road per week.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from sim.territory import (
    ACCESSIBLE,
    BESIEGED,
    GOV,
    HARD_TO_REACH,
    HOSTILE,
    HOSTILITY,
    ISIL,
    KURD,
    OPP,
)

NOISE_SIGMA = 0.5  # week-to-week spread of deaths on a front (lognormal)


class Conflict:
    def __init__(self, model):
        self.model = model
        t = model.territory
        self.p = model.config.data["params"]["fighting"]
        self.rng = model.streams["fighting"]
        self.pop_factor = np.clip(
            np.sqrt((t.population[t.edge_u] + t.population[t.edge_v]) / 2 / 1e5), 0.3, 3.0
        )
        self.city_bonus = self.p["city_defence"] * np.log10(np.maximum(t.population, 1e4) / 1e4)
        self.suppression = np.ones(len(t.edge_u))  # set by the ceasefire track each week
        self.edge_intensity = np.zeros(len(t.edge_u))
        self.area_fighting = np.zeros(t.n)
        self.changed = 0
        self._encircled = self._besieger = None
        self.update_sieges(advance=False)

    def side_strength(self) -> np.ndarray:
        """Strength of whoever holds each area."""
        m = self.model
        t = m.territory
        by_controller = np.array([m.government.strength, 0.0, m.isil.strength, m.kurds_strength])
        s = by_controller[t.controller]
        opp = t.controller == OPP
        s[opp] = m.roster.strength[t.holder[opp]]
        return s

    def front(self) -> tuple[np.ndarray, np.ndarray]:
        t = self.model.territory
        cu, cv = t.controller[t.edge_u], t.controller[t.edge_v]
        hostility = HOSTILITY[cu, cv]
        gov_front = (cu == GOV) | (cv == GOV)
        return hostility, gov_front

    def step(self) -> float:
        """One week of fighting. Returns conflict deaths."""
        m, t, p = self.model, self.model.territory, self.p
        eu, ev = t.edge_u, t.edge_v
        hostility, gov_front = self.front()
        air = 1.0 + p["air_campaign_violence"] * (m.government.air_support > 0) * gov_front
        intensity = hostility * self.suppression * air
        self.edge_intensity = intensity
        fighting = np.bincount(eu, intensity, t.n) + np.bincount(ev, intensity, t.n)
        self.area_fighting = fighting / np.maximum(t.degree, 1)
        # Deaths: lognormal noise around the expected toll of each front.
        z = self.rng.standard_normal(len(eu))
        deaths = (
            p["deaths_per_front"]
            * intensity
            * self.pop_factor
            * np.exp(NOISE_SIGMA * z - NOISE_SIGMA**2 / 2)
        )
        # Contests: one draw per road decides whether either side takes the other's area.
        s = self.side_strength()
        siege = p["siege_attrition"] * t.encircled_weeks / 52.0 * (t.status == BESIEGED)
        adv_u = s[eu] - s[ev] - self.city_bonus[ev] + siege[ev]
        adv_v = s[ev] - s[eu] - self.city_bonus[eu] + siege[eu]
        rate = p["capture_rate"] * intensity
        p_u = rate / (1.0 + np.exp(-p["strength_slope"] * adv_u))
        p_v = rate / (1.0 + np.exp(-p["strength_slope"] * adv_v))
        r = self.rng.random(len(eu))
        u_wins = r < p_u
        v_wins = ~u_wins & (r < p_u + p_v)
        winners = np.concatenate([eu[u_wins], ev[v_wins]])
        losers = np.concatenate([ev[u_wins], eu[v_wins]])
        self.changed = 0
        if len(losers):
            losers, first = np.unique(losers, return_index=True)  # one change per area per week
            winners = winners[first]
            t.holder[losers] = np.where(t.controller[winners] == OPP, t.holder[winners], -1)
            t.controller[losers] = t.controller[winners]
            t.encircled_weeks[losers] = 0
            self.changed = len(losers)
        self.update_sieges(advance=True, changed=self.changed > 0)
        return float(deaths.sum())

    def update_sieges(self, advance: bool, changed: bool = True) -> None:
        """Encirclement: a small group of same-controller areas, without a border crossing (or
        the capital/port for the government), whose every neighbour is hostile. Encircled long
        enough, it is besieged; everything not government-held is hard to reach. The geometry is
        recomputed only when control changed; the weekly update only counts weeks."""
        t, p = self.model.territory, self.p
        if changed or self._encircled is None:
            self._encircled, self._besieger = self._encirclement()
        if advance:
            t.encircled_weeks = np.where(self._encircled, t.encircled_weeks + 1, 0)
        besieged = self._encircled & (t.encircled_weeks >= p["siege_onset_weeks"])
        t.besieger = np.where(besieged, self._besieger, -1)
        t.status = np.where(
            besieged, BESIEGED, np.where(t.controller == GOV, ACCESSIBLE, HARD_TO_REACH)
        )

    def _encirclement(self) -> tuple[np.ndarray, np.ndarray]:
        """Which areas are encircled, and by whom (the hostile controller on most roads out)."""
        t, p = self.model.territory, self.p
        c = t.controller
        eu, ev = t.edge_u, t.edge_v
        same = c[eu] == c[ev]
        n = t.n
        graph = coo_matrix((np.ones(same.sum()), (eu[same], ev[same])), shape=(n, n))
        n_comp, comp = connected_components(graph, directed=False)
        size = np.bincount(comp, minlength=n_comp)
        supplied = np.zeros(n_comp, dtype=bool)
        supplied[comp[t.border & (c != GOV)]] = True
        supplied[comp[[t.capital, t.port]]] |= c[[t.capital, t.port]] == GOV
        cross = ~same
        friendly = cross & ~HOSTILE[c[eu], c[ev]]
        supplied[comp[eu[friendly]]] = True
        supplied[comp[ev[friendly]]] = True
        people = np.bincount(comp, weights=t.population, minlength=n_comp)
        sealable = (size <= p["enclave_max_areas"]) & (people <= p["enclave_max_people"])
        encircled = (~supplied & sealable)[comp]
        besieger = np.full(n, -1, dtype=np.int64)
        if encircled.any():
            out_u = cross & encircled[eu]
            out_v = cross & encircled[ev]
            tally = np.zeros((n_comp, 4))
            np.add.at(tally, (comp[eu[out_u]], c[ev[out_u]]), 1)
            np.add.at(tally, (comp[ev[out_v]], c[eu[out_v]]), 1)
            besieger[encircled] = np.argmax(tally[comp[encircled]], axis=1)
        return encircled, besieger


__all__ = ["Conflict", "GOV", "OPP", "ISIL", "KURD"]
