"""Fighting on the area network: offensives, force balance, sieges, deals, violence and people.

Each week every road between hostile areas is a front line with some background fighting. Each
side then chooses a few offensives by its war aims (`AIMS`): the fronts where it is strongest
relative to the defender, weighted towards populous targets. A side's number of offensives grows
with its own strength; outside support (dated interventions: Iran and Hezbollah, the coalition and
the SDF, Russia, Turkey) makes each offensive stronger; ISIL attacks only while its strength
exceeds a holding level (expand, then hold). Only an offensive can take an area, with a chance rising with the attacker's advantage
(strength plus outside support, minus the defender's and a city's defensive bonus, plus the
attrition of a siege).

A small enclave cut off by its enemies is encircled; it becomes besieged only after enough
fighting around it (`siege_fighting_weeks`), so no siege exists at the start. A besieged area under
offensive can agree a deal: it passes to the besieger and part of its people are evacuated to the
rear of their own side ("reconciliation"). Deaths come from fighting (more where air power backs an
offensive) and from sieges; people flee fighting (a share abroad as refugees, the rest to safer
neighbours as displaced people), but not out of a besieged area.

Ceasefires act through a per-road suppression factor set by the ceasefire track. Random draws
come from the fighting stream, a fixed number per road and per area per week.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from sim.params import Param as P
from sim.plugins import Handler
from sim.territory import (
    ACCESSIBLE,
    BESIEGED,
    GOV,
    GOVERNORATES,
    HARD_TO_REACH,
    HOSTILE,
    HOSTILITY,
    ISIL,
    KURD,
    OPP,
)

NOISE_SIGMA = 0.5  # week-to-week spread of deaths on a front (lognormal)
NO_AIM = -np.inf
# War aims: attacker (row) x defender (column) weight added to an offensive's priority; NO_AIM =
# never attacks. The government wants every area back (its weight is the `government_war_aims`
# diplomacy parameter, filled in at run time); the opposition fights the government first; ISIL
# expands against everyone; the Kurdish forces (SDF) take ISIL's territory only once backed by
# the coalition (a dated decision), and otherwise only defend.
AIMS = np.array(
    [
        [NO_AIM, 0.0, -0.5, NO_AIM],
        [0.0, NO_AIM, -0.5, NO_AIM],
        [0.0, 0.0, NO_AIM, 0.0],
        [NO_AIM, NO_AIM, NO_AIM, NO_AIM],  # ISIL's column becomes 0 once the coalition backs them
    ]
)


class Conflict:
    part = "conflict"
    handles = {
        "russian_intervention": Handler("russian_intervention", "Russian air campaign"),
        "coalition_campaign": Handler("coalition_campaign", "coalition vs ISIL"),
        "iran_support": Handler("iran_support", "Iran's ground support"),
        "turkish_operation": Handler(
            "turkish_operation",
            "Turkish operation",
            {
                "governorate": P(
                    "Aleppo",
                    "",
                    "Governorate where the operation backs the opposition against ISIL",
                    choices=GOVERNORATES,
                ),
            },
        ),
        "isil_emerges": Handler("isil_emerges", "ISIL emerges"),
    }

    def __init__(self, model):
        self.model = model
        t = model.territory
        self.p = model.config.data["params"]["fighting"]
        self.rng = model.streams["fighting"]
        n, e = t.n, len(t.edge_u)
        # Directed roads: attacker holds src, target is dst; both directions of every road.
        self.src = np.concatenate([t.edge_u, t.edge_v])
        self.dst = np.concatenate([t.edge_v, t.edge_u])
        self.road = np.concatenate([np.arange(e), np.arange(e)])
        self.city_bonus = self.p["city_defence"] * np.log10(np.maximum(t.population, 1e4) / 1e4)
        self.priority = self.p["population_priority"] * np.log10(
            np.maximum(t.population, 1e4) / 1e4
        )
        self.aims = AIMS.copy()
        self.aims[GOV, OPP] = model.diplomacy["government_war_aims"]
        self.backing = np.ones(4)  # 1 + each side's largest outside support (set by intervene)
        # Outside support: relative boost of side a fighting side d in area i, and air power.
        self.support = np.zeros((4, 4, n))
        self.air = np.zeros((4, 4, n), dtype=bool)
        self.suppression = np.ones(e)  # set by the ceasefire track each week
        self.area_fighting = np.zeros(n)
        self.offensive = np.zeros(2 * e, dtype=bool)
        self.siege_fighting = np.zeros(n)  # fighting accumulated while encircled
        self.besieged_weeks = np.zeros(n, dtype=np.int64)
        self.changed = self.deals = 0
        self.deaths = self.displaced_week = self.refugees_week = 0.0
        self.refugees = 0.0  # people who left the country (stock)
        self.need_ratio = np.divide(t.in_need, t.population, out=np.ones(n), where=t.population > 0)
        t.population = t.population.astype(np.float64, copy=True)  # people move during a run
        # The opposition group that would hold each area if it rose (drawn once, like holders).
        weights = model.roster.strength / model.roster.strength.sum()
        self.cell = model.streams["init"].choice(model.roster.n, size=n, p=weights)
        self._encircled = self._besieger = None
        self.update_sieges(advance=False)

    # -- outside support (dated decisions) ------------------------------------------------------
    def intervene(
        self,
        backs: int,
        boost: float,
        against: tuple[int, ...] = (GOV, OPP, ISIL, KURD),
        areas: np.ndarray | None = None,
        air: bool = False,
    ) -> None:
        """An outside power backs `backs` against `against` in `areas` (all by default): its
        strength there rises by `boost` (relative); with `air`, its offensives kill more."""
        mask = np.ones(self.model.territory.n, dtype=bool) if areas is None else areas
        for d in against:
            if d != backs:
                self.support[backs, d] += boost * mask
                self.air[backs, d] |= air & mask
        self.backing = 1.0 + self.support.max(axis=(1, 2))
        if self.support[KURD, ISIL].any():
            self.aims[KURD, ISIL] = 0.0  # backed, the Kurdish forces go after ISIL's territory

    def set_control(self, controller: np.ndarray) -> None:
        """Replace the map by an observed one (a forecast from a known state, never used in a
        scenario run): opposition areas keep their group or get the one that would rise there;
        encirclement is recomputed, siege clocks of areas that changed hands restart."""
        t = self.model.territory
        changed = t.controller != controller
        t.controller[:] = controller
        was_held = t.holder >= 0
        t.holder[:] = np.where(controller == OPP, np.where(was_held, t.holder, self.cell), -1)
        t.challenger[changed] = -1
        self.siege_fighting[changed] = 0.0
        self.besieged_weeks[changed] = 0
        t.encircled_weeks[changed] = 0
        self.model._route_tree = None
        self.update_sieges(advance=False)

    # -- the week ---------------------------------------------------------------------------------
    def side_strength(self) -> np.ndarray:
        """Own strength of whoever holds each area (before outside support)."""
        m = self.model
        t = m.territory
        by_controller = np.array(
            [m.government.base_strength, 0.0, m.isil.strength, m.kurds_base_strength]
        )
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

    def offensive_counts(self) -> np.ndarray:
        """Offensives each side can run this week: proportional to its own strength (ISIL's only
        to the strength above its holding level)."""
        m, t, p = self.model, self.model.territory, self.p
        held = np.bincount(t.controller, minlength=4) > 0
        opp_holders = t.holder[(t.controller == OPP) & (t.holder >= 0)]
        opp = float(m.roster.strength[opp_holders].mean()) if len(opp_holders) else 0.0
        strength = np.array(
            [
                m.government.base_strength,
                opp,
                max(0.0, m.isil.strength - p["isil_hold_strength"]),
                m.kurds_base_strength,
            ]
        )
        return np.rint(p["offensives_per_strength"] * strength * held).astype(int)

    def choose_offensives(self, a, d, adv, noise) -> np.ndarray:
        """Each side picks its offensives: the fronts of highest priority (war aim, advantage,
        the target's population, a seeded random spread)."""
        score = self.aims[a, d] + adv + self.priority[self.dst] + self.p["offensive_spread"] * noise
        score[~HOSTILE[a, d]] = NO_AIM
        offensive = np.zeros(len(a), dtype=bool)
        for side, k in enumerate(self.offensive_counts()):
            idx = np.flatnonzero((a == side) & np.isfinite(score))
            if k <= 0 or not len(idx):
                continue
            if k < len(idx):
                idx = idx[np.argpartition(-score[idx], k - 1)[:k]]
            offensive[idx] = True
        return offensive

    def step(self) -> float:
        """One week of fighting, sieges, deals and flight. Returns conflict deaths."""
        t, p = self.model.territory, self.p
        src, dst, road = self.src, self.dst, self.road
        e = len(t.edge_u)
        rng = self.rng
        noise = rng.gumbel(size=2 * e)
        r_capture = rng.random(2 * e)
        z = rng.standard_normal(e)
        r_deal = rng.random(t.n)
        r_rise = rng.random(t.n)

        c = t.controller
        a, d = c[src], c[dst]
        own = self.side_strength()
        siege = p["siege_attrition"] * self.besieged_weeks / 52.0
        att = own[src] * (1.0 + self.support[a, d, dst])
        entrenched = p["encircled_defence"] * self._encircled
        dfn = (
            own[dst] * (1.0 + self.support[d, a, dst])
            + self.city_bonus[dst]
            + entrenched[dst]
            - siege[dst]
        )
        adv = att - dfn
        off = self.choose_offensives(a, d, adv, noise)
        self.offensive = off
        # Intensity per road: background fighting on every front, more under an offensive, more
        # still where air power backs it; a ceasefire suppresses both.
        on_road = np.bincount(road, off, e) > 0
        air_road = np.bincount(road, off & self.air[a, d, dst], e) > 0
        hostility = HOSTILITY[c[t.edge_u], c[t.edge_v]]
        intensity = (
            hostility
            * (p["front_background"] + on_road)
            * (1.0 + p["air_campaign_violence"] * air_road)
            * self.suppression
        )
        fighting = np.bincount(t.edge_u, intensity, t.n) + np.bincount(t.edge_v, intensity, t.n)
        self.area_fighting = fighting / np.maximum(t.degree, 1)
        # People in the line of fire: deaths fall as front areas empty.
        pop = t.population
        pop_factor = np.clip(np.sqrt((pop[t.edge_u] + pop[t.edge_v]) / 2 / 1e5), 0.3, 3.0)
        front_deaths = (
            p["deaths_per_front"]
            * intensity
            * pop_factor
            * np.exp(NOISE_SIGMA * z - NOISE_SIGMA**2 / 2)
        ).sum()
        besieged = t.status == BESIEGED
        siege_deaths = p["siege_mortality"] / 52.0 * t.population[besieged].sum()

        # Offensives take areas: one draw per directed road; one change per area per week.
        p_win = (
            p["capture_rate"] * self.suppression[road] / (1.0 + np.exp(-p["strength_slope"] * adv))
        )
        win = off & (r_capture < p_win)
        winners, losers = src[win], dst[win]
        # Besieged areas under offensive may agree a deal instead (one draw per area).
        attacker = np.full(t.n, -1, dtype=np.int64)
        attacker[dst[off]] = src[off]
        attacked = attacker >= 0
        p_deal = 1.0 - np.exp(-p["deal_rate"] / 52.0 * self.besieged_weeks / 52.0)
        deal = besieged & attacked & (r_deal < p_deal)
        deal[losers] = False
        self.deals = int(deal.sum())
        evacuees = self._evacuate(deal)
        self.changed = 0
        if len(losers):
            losers, first = np.unique(losers, return_index=True)
            winners = winners[first]
            t.holder[losers] = np.where(c[winners] == OPP, t.holder[winners], -1)
            t.controller[losers] = c[winners]
        if self.deals:
            by = attacker[deal]
            t.holder[deal] = np.where(c[by] == OPP, t.holder[by], -1)
            t.controller[deal] = c[by]
        taken = np.zeros(t.n, dtype=bool)
        taken[losers] = True
        taken |= deal
        taken |= self._uprisings(r_rise, ~taken)
        self.changed = int(taken.sum())
        self.siege_fighting[taken] = 0.0
        t.encircled_weeks[taken] = 0
        self.besieged_weeks[taken] = 0
        self._flee(evacuees)
        self.update_sieges(advance=True, changed=self.changed > 0)
        self.deaths = float(front_deaths + siege_deaths)
        return self.deaths

    def _uprisings(self, draws: np.ndarray, free: np.ndarray) -> np.ndarray:
        """Government-held areas with an armed challenger present rise, the sooner the more of
        their neighbours the challenger already holds and the less outside support the
        government has. Each area rises at most once. Returns the areas that rose."""
        t, p = self.model.territory, self.p
        rival = t.challenger
        open_ = free & (t.controller == GOV) & (rival >= 0)
        if not open_.any():
            return open_
        held = (t.controller[self.dst] == rival[self.src]).astype(float)
        share = np.bincount(self.src, held, t.n) / np.maximum(t.degree, 1)
        hazard = p["uprising_rate"] * (1.0 + p["uprising_contagion"] * share)
        hazard /= self.backing[GOV]
        rise = open_ & (draws < 1.0 - np.exp(-hazard))
        if rise.any():
            t.controller[rise] = rival[rise]
            t.holder[rise] = np.where(rival[rise] == OPP, self.cell[rise], -1)
            rival[rise] = -1
        return rise

    # -- people -------------------------------------------------------------------------------------
    def _evacuate(self, deal: np.ndarray) -> np.ndarray:
        """People evacuated by this week's deals, per area of arrival: a share of each
        surrendering area's people go to the most populous unbesieged area of their own side
        (preferring one on a border), else abroad."""
        t, p = self.model.territory, self.p
        arrive = np.zeros(t.n)
        for i in np.flatnonzero(deal):
            people = p["evacuation_share"] * t.population[i]
            rear = np.flatnonzero(
                (t.controller == t.controller[i]) & (t.status != BESIEGED) & ~deal
            )
            border = rear[t.border[rear]]
            rear = border if len(border) else rear
            t.displaced[i] -= people * t.displaced[i] / max(t.population[i], 1.0)
            t.population[i] -= people
            if len(rear):
                arrive[rear[np.argmax(t.population[rear])]] += people
            else:
                self.refugees += people
        return arrive

    def _flee(self, arrive: np.ndarray) -> None:
        """People flee fighting (not out of a besieged area): a share abroad, the rest to
        neighbours in proportion to how safe they are; `arrive` adds evacuees."""
        t, p = self.model.territory, self.p
        pop = t.population
        leave = pop * (1.0 - np.exp(-p["flight_rate"] * self.area_fighting))
        leave[t.status == BESIEGED] = 0.0
        abroad = p["refugee_share"] * leave
        inside = leave - abroad
        safety = np.exp(-p["flight_safety"] * self.area_fighting) * (t.status != BESIEGED)
        w = safety[self.dst]
        total = np.bincount(self.src, w, t.n)
        has_refuge = total > 0
        abroad[~has_refuge] += inside[~has_refuge]  # no safe road: abroad or nowhere
        inside[~has_refuge] = 0.0
        share = np.divide(w, total[self.src], out=np.zeros_like(w), where=total[self.src] > 0)
        arrive = arrive + np.bincount(self.dst, inside[self.src] * share, t.n)
        out = inside + abroad
        t.displaced -= out * np.divide(t.displaced, pop, out=np.zeros_like(pop), where=pop > 0)
        t.population = pop - out + arrive
        t.displaced += arrive
        self.refugees += float(abroad.sum())
        self.displaced_week = float(arrive.sum())
        self.refugees_week = float(abroad.sum())
        t.in_need = np.minimum(
            t.population, self.need_ratio * (t.population - t.displaced) + t.displaced
        )

    # -- exogenous shocks (dated events) ----------------------------------------------------------
    def russian_intervention(self, event) -> None:
        m = self.model
        m.government.air_support = self.p["russian_air_boost"]
        self.intervene(GOV, m.government.air_support, air=True)
        m.unilateral_act("russia")

    def coalition_campaign(self, event) -> None:
        self.model.isil.attrition = self.p["coalition_attrition"]
        self.intervene(KURD, self.p["kurdish_support_boost"], against=(ISIL,), air=True)

    def iran_support(self, event) -> None:
        self.intervene(GOV, self.p["iran_ground_boost"])

    def turkish_operation(self, event) -> None:
        area = self.model.territory.governorate == event["governorate"]
        boost = self.p["turkish_ground_boost"]
        self.intervene(OPP, boost, against=(ISIL,), areas=area, air=True)

    def isil_emerges(self, event) -> None:
        """Opposition areas dominated by radical fighters defect to the new group."""
        m, t = self.model, self.model.territory
        split = (t.controller == OPP) & (t.nusra_share >= self.p["isil_split_threshold"])
        t.controller[split] = ISIL
        t.holder[split] = -1
        m.isil.active = True
        m.forget_routes()
        self.update_sieges(advance=False)

    # -- sieges -----------------------------------------------------------------------------------
    def update_sieges(self, advance: bool, changed: bool = True) -> None:
        """Encirclement: a small group of same-controller areas, without a border crossing (or
        the capital/port for the government), whose every neighbour is hostile. An encircled
        area becomes besieged once the fighting around it since it was cut off reaches
        `siege_fighting_weeks`; everything not government-held is hard to reach. The geometry is
        recomputed only when control changed; the weekly update only accumulates."""
        t, p = self.model.territory, self.p
        if changed or self._encircled is None:
            self._encircled, self._besieger = self._encirclement()
        enc = self._encircled
        if advance:
            t.encircled_weeks = np.where(enc, t.encircled_weeks + 1, 0)
            self.siege_fighting = np.where(enc, self.siege_fighting + self.area_fighting, 0.0)
        besieged = enc & (self.siege_fighting >= p["siege_fighting_weeks"])
        if advance:
            self.besieged_weeks = np.where(besieged, self.besieged_weeks + 1, 0)
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


__all__ = ["Conflict", "AIMS", "GOV", "OPP", "ISIL", "KURD"]
