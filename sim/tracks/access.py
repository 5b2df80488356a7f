"""Humanitarian access: the monthly UN convoy plan and its funnel, cross-border aid, airdrops.

Funnel: each month the UN requests convoys for the besieged and hard-to-reach places of most
need -> the government approves some on paper -> for each approved place, every week, it may
issue facilitation letters (the real gate) -> a convoy leaves the capital and must pass every
checkpoint on its road route (whoever holds each area decides; local chaos decides a share) ->
delivery, sometimes with medical items removed. Under a bilateral task force Russia presses
Damascus and the US presses the groups it backs; under multilateral rules only uniform
obligations press; a unilateral US operation forces access by air at a cost in trust and
escalation. Cross-border aid (once authorised) reaches opposition and Kurdish border areas;
agreed airdrops reach areas besieged by ISIL, since every side wants them.
"""

from __future__ import annotations

import numpy as np

from sim.territory import BESIEGED, GOV, HARD_TO_REACH, ISIL, KURD, OPP
from sim.tracks.base import Track

KURDISH_CHECKPOINT_PASS = 0.9  # Kurdish forces rarely stop UN convoys (assumed)


class AccessTrack(Track):
    name = "access"

    def __init__(self, model):
        super().__init__(model)
        t = model.territory
        self.plan = np.zeros(0, dtype=np.int64)  # areas requested this month, in priority order
        self.approved = np.zeros(t.n, dtype=bool)
        self.facilitated = np.zeros(t.n, dtype=bool)
        self.requested_people = np.zeros(t.n)
        self.reached_month = np.zeros(t.n)  # distinct people reached per area this month
        self.forced_access = False
        self.reset_week()

    def reset_week(self) -> None:
        self.requested = self.approved_people = self.reached = 0.0
        self.besieged_reached = self.cross_border = self.airdropped = 0.0
        self.medical_removed = 0
        self.convoys = []

    def regime(self, event) -> None:
        self.set_structure(event["structure"])
        self.forced_access = self.engaged and self.structure.unilateral == "us"

    # -- weekly -----------------------------------------------------------------------------------
    def step(self, new_month: bool) -> None:
        t = self.model.territory
        self.reset_week()
        n = t.n
        draws = self.rng.random((3, n))  # fixed draws: approval, facilitation, checkpoints
        if new_month:
            self.reached_month[:] = 0.0
            self.approved[:] = False
            self.facilitated[:] = False
            if self.engaged:
                self.make_plan(draws[0])
        if self.engaged and len(self.plan):
            self.run_convoys(draws[1], draws[2])
        self.direct_aid()
        besieged_pop = float(t.population[t.status == BESIEGED].sum())
        self.joint_success(self.besieged_reached / (0.1 * besieged_pop) if besieged_pop else 0.0)

    def make_plan(self, draw: np.ndarray) -> None:
        m, t, p = self.model, self.model.territory, self.p
        candidates = np.flatnonzero(
            ((t.status == BESIEGED) | (t.status == HARD_TO_REACH))
            & (t.controller != ISIL)
            & (t.besieger != ISIL)
        )
        # Besieged places first, then by people in need.
        priority = (t.status[candidates] == BESIEGED) * 1e12 + t.in_need[candidates]
        self.plan = candidates[np.argsort(-priority, kind="stable")][: p["max_requests"]]
        self.requested_people[:] = 0.0
        self.requested_people[self.plan] = np.minimum(t.population[self.plan], p["request_cap"])
        self.requested = float(self.requested_people.sum())
        siege = self.siege_factor(self.plan)
        prob = m.comply(
            self.government_pressure(),
            p["approval_cost"] * (1 + siege),
            self.monitoring(),
            m.diplomacy["government_war_aims"] * siege,
        )
        self.approved[self.plan] = draw[: len(self.plan)] < prob
        self.approved_people = float(self.requested_people[self.approved].sum())

    def siege_factor(self, areas: np.ndarray) -> np.ndarray:
        """Extra cost of aid to a place the government itself besieges (aid feeds the enemy)."""
        t = self.model.territory
        return self.p["siege_cost_factor"] * (
            (t.besieger[areas] == GOV) & (t.status[areas] == BESIEGED)
        )

    def run_convoys(self, fac_draw: np.ndarray, cp_draw: np.ndarray) -> None:
        m, t, p = self.model, self.model.territory, self.p
        waiting = self.plan[self.approved[self.plan] & ~self.facilitated[self.plan]]
        if len(waiting):
            siege = self.siege_factor(waiting)
            prob = m.comply(
                self.government_pressure(),
                p["facilitation_cost"] * (1 + siege),
                self.monitoring(),
                m.diplomacy["government_war_aims"] * siege,
            )
            self.facilitated[waiting] = fac_draw[: len(waiting)] < prob
        ready = self.plan[
            self.facilitated[self.plan]
            & (self.reached_month[self.plan] < self.requested_people[self.plan])
        ]
        group_pressure = self.group_pressure()
        gov_pressure = self.government_pressure()
        monitoring = self.monitoring()
        chaos = m.diplomacy["chaos"]
        for k, area in enumerate(ready[: p["convoys_per_week"]]):
            route = m.government_route(int(area))
            c = t.controller[route]
            pass_p = np.ones(len(route))
            gov = c == GOV
            pass_p[gov] = m.comply(gov_pressure, p["checkpoint_cost"], monitoring, 0.0)
            opp = c == OPP
            holders = t.holder[route[opp]]
            pass_p[opp] = m.comply(
                group_pressure[holders],
                p["checkpoint_cost"],
                monitoring,
                m.roster.radical_ties[holders],
            )
            pass_p[c == ISIL] = 0.0
            pass_p[c == KURD] = KURDISH_CHECKPOINT_PASS
            # Local commanders no patron controls decide a share of outcomes; fighting on the
            # road stops convoys too.
            pass_p = (1 - chaos) * pass_p + chaos * 0.5 * (c != ISIL)
            security = np.exp(-p["convoy_insecurity"] * m.conflict.area_fighting[route].sum())
            if t.besieger[area] == OPP:  # besieged by the opposition: its consent is needed
                pass_p = np.append(
                    pass_p,
                    float(
                        m.comply(group_pressure.mean(), p["checkpoint_cost"] * 2, monitoring, 0.5)
                    ),
                )
            success = cp_draw[k] < float(np.prod(pass_p) * security)
            people = 0.0
            if success:
                people = min(
                    p["convoy_people"], self.requested_people[area] - self.reached_month[area]
                )
                self.deliver(int(area), people)
                # Letters forced out of a reluctant government come with items removed.
                if cp_draw[-1 - k] < p["medical_removal"] * (1 - gov_pressure):
                    self.medical_removed += 1
            self.convoys.append({"area": int(area), "reached": people, "success": bool(success)})

    def deliver(self, area: int, people: float) -> None:
        t = self.model.territory
        self.reached_month[area] += people
        self.reached += people
        if t.status[area] == BESIEGED:
            self.besieged_reached += people

    def direct_aid(self) -> None:
        """Aid that needs no cross-line convoy: cross-border, agreed airdrops, forced airdrops."""
        m, t, p = self.model, self.model.territory, self.p
        un = m.un
        room = t.population - self.reached_month
        if un.cross_border:
            areas = (
                t.border & ((t.controller == OPP) | (t.controller == KURD)) & (t.status != BESIEGED)
            )
            people = np.minimum(room, t.in_need * p["cross_border_coverage"]) * areas
            self.reached_month += people
            self.cross_border = float(people.sum())
        if un.airdrops:
            areas = (t.status == BESIEGED) & (t.besieger == ISIL)
            people = np.minimum(room, t.population * p["airdrop_coverage"]) * areas
            self.reached_month += people
            self.airdropped = float(people.sum())
            self.besieged_reached += self.airdropped
        if self.forced_access:
            areas = (t.status == BESIEGED) & (t.besieger == GOV)
            people = (
                np.minimum(
                    t.population - self.reached_month, t.population * p["forced_airdrop_coverage"]
                )
                * areas
            )
            self.reached_month += people
            self.airdropped += float(people.sum())
            self.besieged_reached += float(people.sum())
            if areas.any():
                m.unilateral_act("us", 0.1)  # a sustained operation: a tenth of an act per week
