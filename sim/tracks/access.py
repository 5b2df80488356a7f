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

from sim.params import MECHANISMS
from sim.plugins import Handler
from sim.structures import STRUCTURE
from sim.territory import BESIEGED, GOV, HARD_TO_REACH, ISIL, KURD, OPP
from sim.tracks.base import Track

KURDISH_CHECKPOINT_PASS = 0.9  # Kurdish forces rarely stop UN convoys (assumed)


class AccessTrack(Track):
    name = "access"
    params = MECHANISMS["access"]
    handles = {"access_regime": Handler("regime", "access regime", {"structure": STRUCTURE})}
    columns = {
        "aid_requested": (
            "people/week",
            "People covered by the UN's monthly convoy plan (in the plan's week)",
        ),
        "aid_approved": ("people/week", "Of those, people in places the government approved"),
        "aid_reached": ("people/week", "People reached by cross-line convoys"),
        "aid_cross_border": ("people/week", "People reached by cross-border aid"),
        "aid_airdropped": ("people/week", "People reached by airdrops"),
        "besieged_pop": ("people", "People living in besieged areas"),
        "besieged_reached": (
            "people/week",
            "People in besieged areas newly reached this week (distinct within the month)",
        ),
        "hard_to_reach_pop": ("people", "People in hard-to-reach areas"),
    }
    flows = (
        "aid_requested",
        "aid_approved",
        "aid_reached",
        "aid_cross_border",
        "aid_airdropped",
        "besieged_reached",
    )
    headline_metrics = (
        "access_reached_frac_mean_12m",
        "access_reached_frac_best_12m",
        "access_reached_over_requested_12m",
        "aid_reached_total",
    )
    headline_series = ("besieged_reached_frac", "besieged_reached_share", "aid_reached")
    metric_words = ("access", "aid", "besieged", "convoy")

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
    def step(self) -> None:
        t = self.model.territory
        self.reset_week()
        n = t.n
        draws = self.rng.random((3, n))  # fixed draws: approval, facilitation, checkpoints
        if self.model.new_month:
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
            # US airdrops into places Damascus besieges: the same delivery as agreed airdrops,
            # as far as the besieger tolerates them (the same compliance decision as a convoy's
            # letters); the contested part is a unilateral act.
            areas = (t.status == BESIEGED) & (t.besieger == GOV)
            if areas.any():
                siege = self.siege_factor(np.flatnonzero(areas))
                tolerated = m.comply(
                    self.government_pressure(),
                    p["facilitation_cost"] * (1 + siege),
                    self.monitoring(),
                    m.diplomacy["government_war_aims"] * siege,
                )
                people = np.minimum(
                    room[areas], t.population[areas] * p["airdrop_coverage"] * tolerated
                )
                self.reached_month[areas] += people
                self.airdropped += float(people.sum())
                self.besieged_reached += float(people.sum())
                m.unilateral_act("us", float(np.mean(1.0 - tolerated)))

    # -- output -----------------------------------------------------------------------------------
    def record(self) -> dict:
        t = self.model.territory
        return {
            "aid_requested": self.requested,
            "aid_approved": self.approved_people,
            "aid_reached": self.reached,
            "aid_cross_border": self.cross_border,
            "aid_airdropped": self.airdropped,
            "besieged_pop": float(t.population[t.status == BESIEGED].sum()),
            "besieged_reached": self.besieged_reached,
            "hard_to_reach_pop": float(t.population[t.status == HARD_TO_REACH].sum()),
        }

    def log(self) -> list[dict]:
        return [{"kind": "convoy", **convoy} for convoy in self.convoys]

    def measures(self, weekly, months, dates) -> dict[str, float]:
        """Monthly share of besieged people reached, over the year from the track's last dated
        decision (the 2016 task force in the historical scenario)."""
        out = {}
        start = (
            dates["access_regime"][-1][:7] if "access_regime" in dates else months["month"].iloc[0]
        )
        window = months[(months["month"] >= start)].head(12)
        out["access_reached_frac_mean_12m"] = (
            float(window["besieged_reached_frac"].mean()) if len(window) else 0.0
        )
        out["access_reached_frac_best_12m"] = (
            float(window["besieged_reached_frac"].max()) if len(window) else 0.0
        )
        req = window["aid_requested"].sum()
        out["access_reached_over_requested_12m"] = (
            float(window["aid_reached"].sum() / req) if req else 0.0
        )
        out["aid_reached_total"] = float(weekly["aid_reached"].sum())
        return out

    @classmethod
    def monthly(cls, by_month, out) -> None:
        """besieged_reached_frac = distinct people in besieged areas reached / people besieged;
        the shares of the convoy plan rejected and reached."""
        out["besieged_reached_frac"] = np.where(
            out["besieged_pop"] > 0,
            np.minimum(
                out["besieged_reached"] / out["besieged_pop"].where(out["besieged_pop"] > 0, 1),
                1.0,
            ),
            0.0,
        )
        out["aid_rejected_frac"] = np.where(
            out["aid_requested"] > 0,
            1 - out["aid_approved"] / out["aid_requested"].where(out["aid_requested"] > 0, 1),
            0.0,
        )
        out["aid_reached_frac"] = np.where(
            out["aid_requested"] > 0,
            out["aid_reached"] / out["aid_requested"].where(out["aid_requested"] > 0, 1),
            0.0,
        )
