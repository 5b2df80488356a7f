"""Cessation of hostilities: signature, holding fire, collateral strikes, retaliation, collapse,
relaunch.

When a ceasefire is launched, the government and each opposition group decide whether to sign
(compliance under the pressure their patrons apply). Each week, on every front line between the
government and a signatory group, each side decides whether to hold fire; grievance from
violations it blames on the other side makes it less likely to. Strikes on excluded fighters
(ISIL, Nusra) continue, and where those are intermixed with signatories, signatories are hit:
geographic zones and shared definitions make such collateral strikes rarer. Each violation is
attributed correctly only as far as monitoring (shared information, observers) reaches; the rest
become accusations between the co-leads. A ceasefire has collapsed when violence is back near its
pre-ceasefire level; the co-leads relaunch it by rule if they still trust each other.
"""

from __future__ import annotations

import numpy as np

from sim.params import MECHANISMS
from sim.params import Param as P
from sim.plugins import Handler
from sim.structures import STRUCTURE
from sim.territory import GOV, OPP
from sim.tracks.base import Track

PRE_WEEKS = 8  # weeks of violence before a ceasefire that define its reference level
COLLAPSE_WINDOW = 4  # weeks of violence averaged to judge collapse


class CeasefireTrack(Track):
    name = "ceasefire"
    params = MECHANISMS["ceasefire"]
    handles = {
        "ceasefire": Handler(
            "launch",
            "ceasefire",
            {
                "structure": STRUCTURE,
                "zones": P(False, "flag", "Geographic zones define where strikes are allowed"),
                "shared_definitions": P(
                    False, "flag", "The co-leads agree who is a terrorist and where"
                ),
                "information_sharing": P(
                    "structure",
                    "",
                    "Information sharing between the co-leads",
                    choices=("structure", "none", "full"),
                ),
            },
        ),
        "channel_suspended": Handler("channel_suspended", "channel suspended"),
    }
    columns = {
        "ceasefire_active": ("0/1", "A cessation of hostilities is in force"),
        "ceasefire_violations": (
            "incidents/week",
            "Violations of the ceasefire (fire by signatories, collateral strikes)",
        ),
        "collateral_strikes": (
            "strikes/week",
            "Strikes on excluded fighters that hit signatory areas",
        ),
    }
    flows = ("ceasefire_violations", "collateral_strikes")
    headline_metrics = (
        "ceasefire_mean_duration_weeks",
        "ceasefire_weeks_active",
        "ceasefire_violence_drop_4w",
        "ceasefire_collapses",
        "ceasefire_violations_total",
        "violence_total",
    )
    headline_series = ("violence", "ceasefire_active", "ceasefire_violations")
    metric_words = ("ceasefire", "violence", "deaths", "violation")

    def __init__(self, model):
        super().__init__(model)
        n_groups = model.roster.n
        self.event = None
        self.active = False
        self.signed_gov = False
        self.signed = np.zeros(n_groups, dtype=bool)
        self.grievance_gov = 0.0
        self.grievance = np.zeros(n_groups)
        self.pre_level = 0.0
        self.weeks_active = 0
        self.collapsed_week = None
        self.relaunches = 0
        self.violations = 0
        self.collateral = 0
        self.violation_areas: list[int] = []  # areas on front lines where signatories fired
        self.strike_areas: list[int] = []  # signatory areas hit by strikes on excluded fighters
        self.history: list[dict] = []  # one record per ceasefire launched (and relaunch)

    @property
    def busy(self) -> bool:
        return self.engaged and self.active

    def information(self) -> float:
        """A ceasefire decision may fix information sharing regardless of the structure."""
        mode = self.event["information_sharing"] if self.event else "structure"
        if mode == "none":
            return 0.0
        if mode == "full" and self.engaged:
            return self.model.trust_params["information_sharing"]
        return super().information()

    # -- decisions --------------------------------------------------------------------------------
    def launch(self, event) -> None:
        self.event = dict(event)
        self.set_structure(event["structure"])
        self.relaunches = 0
        self.sign(relaunch=False)

    def sign(self, relaunch: bool) -> None:
        m, p = self.model, self.p
        self.active = False
        draws = self.rng.random(1 + m.roster.n)  # fixed draws: government, each group
        if not self.engaged:
            return
        mon = self.monitoring()
        aims = m.diplomacy["government_war_aims"]
        p_gov = m.comply(
            self.government_pressure(),
            p["signature_cost_government"] * (1 + m.government_momentum),
            mon,
            aims,
        )
        self.signed_gov = bool(draws[0] < p_gov)
        holds = (
            np.bincount(m.territory.holder[m.territory.controller == OPP], minlength=m.roster.n) > 0
        )
        p_groups = m.comply(
            self.group_pressure(),
            p["signature_cost_opposition"] * (0.5 + m.roster.radical_ties),
            mon,
            m.roster.radical_ties,
        )
        self.signed = (draws[1:] < p_groups) & holds
        self.grievance_gov = 0.0
        self.grievance[:] = 0.0
        self.active = self.signed_gov and bool(self.signed.any())
        recent = m.violence_history[-PRE_WEEKS:]
        self.pre_level = float(np.mean(recent)) if recent else 0.0
        self.weeks_active = 0
        self.collapsed_week = None
        self.history.append(
            {
                "id": self.event["id"],
                "date": m.date.isoformat(),
                "structure": self.structure.name,
                "relaunch": relaunch,
                "government_signed": self.signed_gov,
                "groups_signed": int(self.signed.sum()),
                "groups_holding_areas": int(holds.sum()),
                "active": self.active,
                "weeks_active": 0,
                "collapsed": False,
                "pre_level": self.pre_level,
                "violence_first_4w": None,
            }
        )

    def channel_suspended(self, event) -> None:
        """The co-leads stop talking: a running joint ceasefire continues without them."""
        m = self.model
        m.channel_open = False
        m.trust -= m.trust_params["unilateral_loss"]

    # -- weekly: before fighting --------------------------------------------------------------
    def before_fighting(self) -> None:
        """Set how much each front line's fighting is suppressed this week."""
        m, t, p = self.model, self.model.territory, self.p
        n_edges = len(t.edge_u)
        draws = self.rng.random((4, max(n_edges, t.n)))  # fixed draws
        suppression = np.ones(n_edges)
        self.violations = 0
        self.collateral = 0
        self.violation_areas = self.strike_areas = []
        if not self.active:
            m.conflict.suppression = suppression
            return
        eu, ev = t.edge_u, t.edge_v
        cu, cv = t.controller[eu], t.controller[ev]
        # Government-signatory front lines.
        gov_opp = ((cu == GOV) & (cv == OPP)) | ((cu == OPP) & (cv == GOV))
        opp_end = np.where(cu == OPP, eu, ev)
        group = np.where(gov_opp, t.holder[opp_end], 0)
        covered = gov_opp & self.signed[group]
        idx = np.flatnonzero(covered)
        mon = self.monitoring() + m.un.monitoring_from_observers(p["observer_effect"])
        chaos = m.diplomacy["chaos"]
        g = group[idx]
        hold_gov = m.comply(
            self.government_pressure(), p["adherence_cost"], mon, m.diplomacy["government_war_aims"]
        ) * np.exp(-self.grievance_gov)
        hold_grp = m.comply(
            self.group_pressure()[g], p["adherence_cost"], mon, m.roster.radical_ties[g]
        ) * np.exp(-self.grievance[g])
        # Local units no patron controls open fire on either side of the line.
        hold_gov = (1 - chaos / 2) * hold_gov
        hold_grp = (1 - chaos / 2) * hold_grp
        gov_fires = draws[0, idx] >= hold_gov
        grp_fires = draws[1, idx] >= hold_grp
        quiet = ~gov_fires & ~grp_fires
        suppression[idx[quiet]] = 1.0 - p["suppression"]
        m.conflict.suppression = suppression
        # Strikes on excluded fighters intermixed with signatories.
        zones = p["zone_protection"] if self.event["zones"] else 0.0
        shared = self.event["shared_definitions"] and self.structure.joint
        definitions = p["definitions_protection"] if shared else 0.0
        opp_areas = (t.controller == OPP) & (t.holder >= 0)
        signatory_area = opp_areas & self.signed[np.maximum(t.holder, 0)]
        rate = p["strike_rate"] * t.nusra_share * (1 - zones) * (1 - definitions) * signatory_area
        hit = draws[2, : t.n] < 1.0 - np.exp(-rate)
        self.collateral = int(hit.sum())
        fired = idx[gov_fires | grp_fires]
        self.violation_areas = sorted(set(eu[fired].tolist()) | set(ev[fired].tolist()))
        self.strike_areas = np.flatnonzero(hit).tolist()
        # Attribution: correct only as far as monitoring reaches; the rest are accusations.
        n_gov_violations = int(gov_fires.sum()) + self.collateral
        n_grp_violations = int(grp_fires.sum())
        self.violations = n_gov_violations + n_grp_violations
        misattributed = int((draws[3, : self.violations] >= mon).sum()) if self.violations else 0
        if self.structure.joint and m.channel_open:
            m.trust -= m.trust_params["accusation_loss"] * misattributed
        # Grievance: groups blame the government for its fire and for strikes on their areas;
        # the government blames the groups, the more so when it cannot tell them from Nusra.
        gp = p["grievance_per_violation"]
        np.add.at(self.grievance, g[gov_fires], gp)
        np.add.at(self.grievance, t.holder[hit], gp)
        blamed = n_grp_violations + misattributed * (1 - mon)
        self.grievance_gov += gp * blamed / max(len(idx), 1)
        self.grievance *= 1.0 - p["grievance_decay"]
        self.grievance_gov *= 1.0 - p["grievance_decay"]

    # -- weekly: after fighting ----------------------------------------------------------------
    def after_fighting(self) -> None:
        m, p = self.model, self.p
        if self.active:
            self.weeks_active += 1
            record = self.history[-1]
            record["weeks_active"] = self.weeks_active
            recent = m.violence_history[-min(self.weeks_active, COLLAPSE_WINDOW) :]
            if self.weeks_active == COLLAPSE_WINDOW:
                record["violence_first_4w"] = float(np.mean(recent))
            if (
                self.weeks_active >= COLLAPSE_WINDOW
                and np.mean(recent) >= p["collapse_level"] * self.pre_level
            ):
                self.active = False
                self.collapsed_week = m.steps
                record["collapsed"] = True
                record["collapse_date"] = m.date.isoformat()
        elif (
            self.collapsed_week is not None
            and self.engaged
            and self.structure.joint
            and m.channel_open
        ):
            waited = m.steps - self.collapsed_week
            if (
                waited >= p["relaunch_delay_weeks"]
                and self.relaunches < p["max_relaunches"]
                and m.trust >= p["relaunch_trust"]
            ):
                self.relaunches += 1
                self.sign(relaunch=True)

    # -- output -----------------------------------------------------------------------------------
    def record(self) -> dict:
        return {
            "ceasefire_active": int(self.active),
            "ceasefire_violations": self.violations,
            "collateral_strikes": self.collateral,
        }

    def log(self) -> list[dict]:
        if not self.violations:
            return []
        return [
            {
                "kind": "violations",
                "count": self.violations,
                "collateral": self.collateral,
                "areas": self.violation_areas,
                "strike_areas": self.strike_areas,
            }
        ]

    def measures(self, weekly, months, dates) -> dict[str, float]:
        hist = self.history
        durations = [h["weeks_active"] for h in hist if h["active"]]
        drops = [
            1 - h["violence_first_4w"] / h["pre_level"]
            for h in hist
            if h["violence_first_4w"] is not None and h["pre_level"] > 0
        ]
        return {
            "ceasefires_launched": float(len(hist)),
            "ceasefires_signed": float(len(durations)),
            "ceasefire_weeks_active": float(weekly["ceasefire_active"].sum()),
            "ceasefire_mean_duration_weeks": float(np.mean(durations)) if durations else 0.0,
            "ceasefire_collapses": float(sum(h["collapsed"] for h in hist)),
            "ceasefire_violence_drop_4w": float(np.mean(drops)) if drops else 0.0,
            "ceasefire_violations_total": float(weekly["ceasefire_violations"].sum()),
        }

    def summary(self) -> dict:
        return {"ceasefires": self.history}
