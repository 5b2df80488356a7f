"""Goal and counterfactual effectiveness per case study, as the thesis defines them.

The thesis (its Figure 4) grades each case's *goal effectiveness* (strong / moderate / weak) and
states what the *counterfactual* shows. This module reproduces that table from model runs:

- **Goal attainment** (0-1) of the historical structure, per case:
  chemical = share of the declared stockpile removed by end June 2014 (the framework's goal: all);
  access = mean monthly share of besieged people reached under the task force (Mar-Dec 2016;
  goal: all of them, every month);
  ceasefire = share of pre-ceasefire violence averted from the 27 Feb 2016 cessation until the US
  suspended the bilateral channel (3 Oct 2016; goal: all of it).
  Grades: strong >= 0.60 (most of the goal), moderate >= 0.15 (a sizeable part), weak below.
- **Counterfactual claims**, each a paired comparison over the same seeds between two structures
  (or two designs of the same decisions); a claim holds when the mean difference has the stated
  sign. A case's verdict holds when all its claims hold.

The definitions are data (``CASES``) validated by the same code as the targets file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.runs import Runner, default_runner, run_quantities
from sim.calibration.targets import Target, TargetResult, _parse_target, quantity_key, score

GRADES = (("strong", 0.60), ("moderate", 0.15), ("weak", -math.inf))

REMOVED_JUNE_2014 = {
    "table": "timeseries",
    "column": "cw_removed_frac",
    "start": "2014-06-01",
    "end": "2014-06-30",
    "agg": "last",
}
REACH_2016 = {
    "table": "monthly",
    "column": "besieged_reached_frac",
    "start": "2016-03",
    "end": "2016-12",
    "agg": "mean",
}
REACH_2015 = {
    "table": "monthly",
    "column": "besieged_reached_frac",
    "start": "2015-01",
    "end": "2015-12",
    "agg": "mean",
}
VIOLENCE_BEFORE = {
    "table": "timeseries",
    "column": "violence",
    "start": "2016-01-01",
    "end": "2016-02-26",
    "agg": "mean",
}
VIOLENCE_DURING = {
    "table": "timeseries",
    "column": "violence",
    "start": "2016-02-27",
    "end": "2016-10-02",
    "agg": "mean",
}
CW_WINDOW = {"start": "2013-09-14", "end": "2014-12-31", "agg": "mean", "table": "timeseries"}
ACCESS_WINDOW = {"start": "2016-02-12", "end": "2016-12-31", "agg": "mean", "table": "timeseries"}
CEASEFIRE_LENGTH = {
    "table": "timeseries",
    "column": "ceasefire_active",
    "start": "2016-02-27",
    "end": "2017-12-31",
    "agg": "spell_mean",
}


def _q(base: dict, **extra) -> dict:
    return {**base, **extra}


def _structure(track: str, name: str) -> dict:
    return {"scenario": {f"tracks.{track}.structure": name}}


def _patch(field: str, value: Any) -> dict:
    return {"events": {"type:ceasefire": {field: value}}}


# Counterfactual decisions are patched by id, so the status quo before them stays as it was.
TASK_FORCE = "issg_access_task_force"  # 12 Feb 2016
CEASEFIRES_2016 = ("coh_2016", "us_russia_sept_2016")  # 27 Feb and 12 Sept 2016


def _task_force(structure: str) -> dict:
    return {"events": {TASK_FORCE: {"structure": structure}}}


def _ceasefires_2016(structure: str) -> dict:
    return {"events": {eid: {"structure": structure} for eid in CEASEFIRES_2016}}


# Each case: thesis grade, goal attainment (expr over quantities), counterfactual statement and
# the claims (each "a - b > 0") behind it.
CASES: list[dict[str, Any]] = [
    {
        "case": "chemical",
        "title": "Chemical weapons framework (2013-14)",
        "thesis_goal": "strong",
        "goal": {"expr": "removed", "q": {"removed": REMOVED_JUNE_2014}},
        "thesis_counterfactual": "bilateral was the best option; unilateral strikes would have harmed diplomacy",
        "claims": [
            *[
                {
                    "id": f"cw_bilateral_beats_{alt}",
                    "claim": f"bilateral removes more of the stockpile than {alt}",
                    "a": _q(REMOVED_JUNE_2014, **_structure("chemical", "bilateral")),
                    "b": _q(REMOVED_JUNE_2014, **_structure("chemical", alt)),
                }
                for alt in ("multilateral", "unilateral_us", "unilateral_russia", "none")
            ],
            {
                "id": "cw_strikes_lower_trust",
                "claim": "unilateral US strikes leave lower US-Russia trust than the framework",
                "a": _q(CW_WINDOW, column="us_russia_trust", **_structure("chemical", "bilateral")),
                "b": _q(
                    CW_WINDOW, column="us_russia_trust", **_structure("chemical", "unilateral_us")
                ),
            },
            {
                "id": "cw_strikes_raise_escalation",
                "claim": "unilateral US strikes raise escalation above the framework's",
                "a": _q(CW_WINDOW, column="escalation", **_structure("chemical", "unilateral_us")),
                "b": _q(CW_WINDOW, column="escalation", **_structure("chemical", "bilateral")),
            },
        ],
    },
    {
        "case": "access",
        "title": "Humanitarian access task force (2016-17)",
        "thesis_goal": "moderate",
        "goal": {"expr": "reach", "q": {"reach": REACH_2016}},
        "thesis_counterfactual": "bilateral 2016 reached more besieged people than the multilateral status quo of 2015; "
        "unilateral access would be costly and escalatory",
        "claims": [
            {
                "id": "access_2016_beats_2015",
                "claim": "the 2016 task force reaches more besieged people than the 2015 status quo (history)",
                "a": REACH_2016,
                "b": REACH_2015,
            },
            {
                "id": "access_bilateral_beats_multilateral",
                "claim": "bilateral reaches more besieged people than multilateral (Mar-Dec 2016)",
                "a": _q(REACH_2016, **_task_force("bilateral")),
                "b": _q(REACH_2016, **_task_force("multilateral")),
            },
            {
                "id": "access_bilateral_beats_russia_alone",
                "claim": "bilateral reaches more than Russia alone (the US's help with the opposition lost)",
                "a": _q(REACH_2016, **_task_force("bilateral")),
                "b": _q(REACH_2016, **_task_force("unilateral_russia")),
            },
            {
                "id": "access_us_alone_escalates",
                "claim": "US unilateral (forced) access raises escalation above the task force's",
                "a": _q(ACCESS_WINDOW, column="escalation", **_task_force("unilateral_us")),
                "b": _q(ACCESS_WINDOW, column="escalation", **_task_force("bilateral")),
            },
            {
                "id": "access_us_alone_costs_trust",
                "claim": "US unilateral (forced) access lowers US-Russia trust below the task force's",
                "a": _q(ACCESS_WINDOW, column="us_russia_trust", **_task_force("bilateral")),
                "b": _q(ACCESS_WINDOW, column="us_russia_trust", **_task_force("unilateral_us")),
            },
        ],
    },
    {
        "case": "ceasefire",
        "title": "Cessation of hostilities task force (2016)",
        "thesis_goal": "weak",
        "goal": {
            "expr": "1 - during / before",
            "q": {"during": VIOLENCE_DURING, "before": VIOLENCE_BEFORE},
        },
        "thesis_counterfactual": "ceasefires hold better with information sharing and monitoring, geographic borders, "
        "and influence on both sides; a ceasefire is a harder problem than access",
        "claims": [
            {
                "id": "ceasefire_information_sharing",
                "claim": "full information sharing lengthens ceasefires (vs none), weeks",
                "a": _q(CEASEFIRE_LENGTH, **_patch("information_sharing", "full")),
                "b": _q(CEASEFIRE_LENGTH, **_patch("information_sharing", "none")),
            },
            {
                "id": "ceasefire_shared_definitions",
                "claim": "shared definitions of terrorists lengthen ceasefires, weeks",
                "a": _q(CEASEFIRE_LENGTH, **_patch("shared_definitions", True)),
                "b": _q(CEASEFIRE_LENGTH, **_patch("shared_definitions", False)),
            },
            {
                "id": "ceasefire_geographic_zones",
                "claim": "geographic zones lengthen ceasefires, weeks",
                "a": _q(CEASEFIRE_LENGTH, **_patch("zones", True)),
                "b": _q(CEASEFIRE_LENGTH, **_patch("zones", False)),
            },
            {
                "id": "ceasefire_influence_both_sides",
                "claim": "influence on both sides (bilateral) lengthens ceasefires vs Russia alone, weeks",
                "a": _q(CEASEFIRE_LENGTH, **_ceasefires_2016("bilateral")),
                "b": _q(CEASEFIRE_LENGTH, **_ceasefires_2016("unilateral_russia")),
            },
            {
                "id": "ceasefire_harder_than_access",
                "claim": "goal attainment of the ceasefire is below access's",
                "expr": "reach - (1 - during / before)",
                "q": {"reach": REACH_2016, "during": VIOLENCE_DURING, "before": VIOLENCE_BEFORE},
            },
        ],
    },
]


def grade(value: float) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    for name, low in GRADES:
        if value >= low:
            return name
    return "weak"


def _as_target(tid: str, group: str, description: str, spec: dict) -> Target:
    if "q" in spec:
        raw_q, expr = spec["q"], spec["expr"]
    else:
        raw_q, expr = {"a": spec["a"], "b": spec["b"]}, "a - b"
    raw = {
        "id": tid,
        "group": group,
        "description": description,
        "period": "see quantities",
        "source": "Thesis, Figure 4",
        "observed": 0.0,
        "check": ">",
        "value": 0.0,
        "expr": expr,
        "q": raw_q,
    }
    return _parse_target(raw, 0, "sim/calibration/effectiveness.py")


def build_checks(cases: Sequence[dict] = CASES) -> tuple[list[Target], list[Target]]:
    """(goal measures, counterfactual claims) as validated targets."""
    goals = [_as_target(f"goal_{c['case']}", c["case"], c["title"], c["goal"]) for c in cases]
    claims = [_as_target(cl["id"], c["case"], cl["claim"], cl) for c in cases for cl in c["claims"]]
    return goals, claims


@dataclass
class Effectiveness:
    table: pd.DataFrame  # one row per case: the thesis's comparison table with model numbers
    claims: pd.DataFrame  # one row per counterfactual claim: the numbers behind each verdict

    def markdown(self) -> str:
        n = int(self.claims["seeds"].max()) if len(self.claims) else 0
        lines = [
            "# Goal and counterfactual effectiveness per case study",
            "",
            f"Model runs: {n} seeds per structure. Goal attainment grades: strong >= 0.60, moderate >= 0.15, weak below.",
            "",
            "| case | thesis: goal | model: goal attainment (5-95%) | model grade | match | thesis: counterfactual | model: claims holding | verdict |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for _, r in self.table.iterrows():
            lines.append(
                f"| {r['title']} | {r['thesis_goal']} | {r['goal_attainment']:.3f} ({r['goal_p05']:.3f} – {r['goal_p95']:.3f}) | "
                f"{r['model_grade']} | {'yes' if r['grade_matches'] else 'NO'} | {r['thesis_counterfactual']} | "
                f"{r['claims_holding']}/{r['claims_total']} | {'reproduced' if r['counterfactual_reproduced'] else 'NOT reproduced'} |"
            )
        lines += [
            "",
            "## Numbers behind each counterfactual verdict",
            "",
            "| case | claim | a (mean) | b (mean) | a − b mean (5–95%) | seeds with a > b | holds |",
            "|---|---|---|---|---|---|---|",
        ]
        for _, r in self.claims.iterrows():
            lines.append(
                f"| {r['case']} | {r['claim']} | {_f(r['a_mean'])} | {_f(r['b_mean'])} | "
                f"{_f(r['diff_mean'])} ({_f(r['diff_p05'])} – {_f(r['diff_p95'])}) | {r['share_seeds']:.0%} | "
                f"{'yes' if r['holds'] else 'NO'} |"
            )
        lines += [
            "",
            "a and b: the two sides of each comparison (see `claims.csv` for what they measure).",
        ]
        return "\n".join(lines) + "\n"


def _f(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4g}"


def _qmean(per_seed: dict, q) -> float:
    values = np.asarray(per_seed[quantity_key(q)], dtype=float)
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else math.nan


def effectiveness(
    scenario,
    seeds: Sequence[int],
    *,
    jobs: int = 2,
    cases: Sequence[dict] = CASES,
    runner: Runner = default_runner,
) -> Effectiveness:
    """Run every structure the cases need over the seeds; grade goals and test the claims."""
    goals, claims = build_checks(cases)
    per_seed = run_quantities(scenario, [*goals, *claims], list(seeds), jobs=jobs, runner=runner)
    goal_results = {r.target.group: r for r in score(goals, per_seed)}
    claim_results: list[TargetResult] = score(claims, per_seed)
    claim_rows = []
    for r in claim_results:
        t = r.target
        qa = next((q for q in t.quantities if q.name == "a"), None)
        qb = next((q for q in t.quantities if q.name == "b"), None)
        claim_rows.append(
            {
                "case": t.group,
                "id": t.id,
                "claim": t.description,
                "a": qa.describe() if qa else t.expr,
                "b": qb.describe() if qb else "",
                "a_mean": _qmean(per_seed, qa) if qa else math.nan,
                "b_mean": _qmean(per_seed, qb) if qb else math.nan,
                "diff_mean": r.mean,
                "diff_p05": r.quantile(0.05),
                "diff_p95": r.quantile(0.95),
                "share_seeds": float(np.mean(r.values > 0)) if r.values.size else math.nan,
                "seeds": int(r.values.size),
                "holds": bool(r.passed),
            }
        )
    claims_df = pd.DataFrame(claim_rows)
    rows = []
    for c in cases:
        g = goal_results[c["case"]]
        mine = claims_df[claims_df["case"] == c["case"]]
        rows.append(
            {
                "case": c["case"],
                "title": c["title"],
                "thesis_goal": c["thesis_goal"],
                "goal_attainment": g.mean,
                "goal_p05": g.quantile(0.05),
                "goal_p95": g.quantile(0.95),
                "model_grade": grade(g.mean),
                "grade_matches": grade(g.mean) == c["thesis_goal"],
                "thesis_counterfactual": c["thesis_counterfactual"],
                "claims_holding": int(mine["holds"].sum()),
                "claims_total": len(mine),
                "counterfactual_reproduced": bool(len(mine) and mine["holds"].all()),
            }
        )
    return Effectiveness(table=pd.DataFrame(rows), claims=claims_df)
