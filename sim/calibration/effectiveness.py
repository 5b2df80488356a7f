"""Goal attainment and the thesis's claims per case study, as verdicts of the model.

The thesis (its Figure 4) grades each case's *goal effectiveness* (strong / moderate / weak) and
states what the *counterfactual* shows. Those are findings, never calibration targets: this module
asks whether the model, fitted to the record only, supports them.

- **Goal attainment** (0-1) of the historical structure, per case:
  chemical = share of the declared stockpile removed by end June 2014 (the framework's goal: all);
  access = mean monthly share of besieged people reached under the task force (Mar-Dec 2016;
  goal: all of them, every month);
  ceasefire = share of pre-ceasefire violence averted from the 27 Feb 2016 cessation until the US
  suspended the bilateral channel (3 Oct 2016; goal: all of it).
  Grades: strong >= 0.60 (most of the goal), moderate >= 0.15 (a sizeable part), weak below.
- **Claims**, each a paired difference ``a - b`` claimed > 0, evaluated over parameter draws
  (posterior samples, or draws from the assumed parameters' plausible ranges, or the shipped
  defaults alone) x seeds with common random numbers: every structure of one draw runs on the same
  seeds. The strict rule (``verdict``): **supported** when the 95% interval of the mean paired
  difference lies above 0 *and* at least 80% of the pairs are > 0; **not supported** when the same
  holds with the sign reversed, or when at least 80% of the pairs show no difference at all (the
  mechanism does not tell the two apart); **undecided** otherwise. With several draws the interval
  is taken over the draws' means (draws are the independent units); with one draw, over seeds.

The definitions are data (``TABLE_CASES``) validated by the same code as the targets file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.calibration.runs import (
    Runner,
    apply_overrides,
    default_runner,
    make_executor,
    run_quantities,
)
from sim.calibration.targets import Target, _parse_target, quantity_key, score

#: The strict rule: the 95% interval of the mean paired difference excludes 0 and at least this
#: share of the pairs agree in sign.
CONFIDENCE = 0.95
AGREEMENT = 0.80
VERDICTS = ("supported", "not supported", "undecided")

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
TABLE_CASES: list[dict[str, Any]] = [
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
                "id": "access_weaker_than_chemical",
                "claim": "goal attainment of access (2016) is below the chemical framework's",
                "expr": "removed - reach",
                "q": {"removed": REMOVED_JUNE_2014, "reach": REACH_2016},
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


def build_checks(cases: Sequence[dict] = TABLE_CASES) -> tuple[list[Target], list[Target]]:
    """(goal measures, counterfactual claims) as validated targets."""
    goals = [_as_target(f"goal_{c['case']}", c["case"], c["title"], c["goal"]) for c in cases]
    claims = [_as_target(cl["id"], c["case"], cl["claim"], cl) for c in cases for cl in c["claims"]]
    return goals, claims


def verdict(values: np.ndarray, draw_index: np.ndarray | None = None) -> dict[str, Any]:
    """The strict verdict on a claim ``a - b > 0`` from its paired differences.

    ``draw_index`` gives each pair's parameter draw; with more than one draw the interval is
    taken over the draws' means (pairs of one draw share its parameters)."""
    values = np.asarray(values, dtype=float)
    keep = ~np.isnan(values)
    values = values[keep]
    draws = None if draw_index is None else np.asarray(draw_index)[keep]
    n = int(values.size)
    out: dict[str, Any] = {
        "pairs": n,
        "diff_mean": math.nan,
        "ci_low": math.nan,
        "ci_high": math.nan,
        "share_agree": math.nan,
        "share_opposite": math.nan,
        "share_zero": math.nan,
        "verdict": "undecided",
    }
    if n == 0:
        return out
    units = values
    if draws is not None and len(np.unique(draws)) > 1:
        units = np.array([values[draws == d].mean() for d in np.unique(draws)])
    mean = float(units.mean())
    if units.size >= 2 and units.std(ddof=1) > 0:
        half = stats.t.ppf(0.5 + CONFIDENCE / 2, units.size - 1) * units.std(ddof=1)
        half /= math.sqrt(units.size)
    else:  # identical units: no spread (a single unit cannot exclude anything)
        half = 0.0 if units.size >= 2 else math.inf
    scale = max(1e-12, 1e-9 * float(np.abs(values).max()))
    agree = float(np.mean(values > scale))
    opposite = float(np.mean(values < -scale))
    zero = max(0.0, 1.0 - agree - opposite)
    out.update(
        diff_mean=mean,
        ci_low=mean - half,
        ci_high=mean + half,
        share_agree=agree,
        share_opposite=opposite,
        share_zero=zero,
    )
    if mean - half > 0 and agree >= AGREEMENT:
        out["verdict"] = "supported"
    elif (mean + half < 0 and opposite >= AGREEMENT) or zero >= AGREEMENT:
        out["verdict"] = "not supported"
    return out


@dataclass
class Effectiveness:
    table: pd.DataFrame  # one row per case: the thesis's comparison table with model numbers
    claims: pd.DataFrame  # one row per claim: the numbers behind each verdict
    draws: int = 1
    seeds: int = 0
    draws_from: str = "the shipped defaults"

    def markdown(self) -> str:
        lines = [
            "# Goal attainment and the thesis's claims per case study",
            "",
            f"Parameter draws: {self.draws} ({self.draws_from}) x {self.seeds} seeds, every structure "
            "of a draw on the same seeds (common random numbers). Goal attainment grades: strong >= "
            "0.60, moderate >= 0.15, weak below. A claim is **supported** when the 95% interval of "
            "the mean paired difference lies above 0 and at least 80% of the pairs agree; **not "
            "supported** when the same holds the other way, or at least 80% of pairs show no "
            "difference; **undecided** otherwise. These are findings: nothing here was fitted.",
            "",
            "| case | thesis: goal | model: goal attainment (5-95%) | model grade | match | thesis: counterfactual | claims supported | not supported | undecided |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for _, r in self.table.iterrows():
            lines.append(
                f"| {r['title']} | {r['thesis_goal']} | {r['goal_attainment']:.3f} ({r['goal_p05']:.3f} – {r['goal_p95']:.3f}) | "
                f"{r['model_grade']} | {'yes' if r['grade_matches'] else 'NO'} | {r['thesis_counterfactual']} | "
                f"{r['claims_supported']}/{r['claims_total']} | {r['claims_not_supported']} | {r['claims_undecided']} |"
            )
        lines += [
            "",
            "## The numbers behind each verdict",
            "",
            "| case | claim | a (mean) | b (mean) | a − b mean (95% interval) | pairs a > b | a = b | a < b | pairs | verdict |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for _, r in self.claims.iterrows():
            lines.append(
                f"| {r['case']} | {r['claim']} | {_f(r['a_mean'])} | {_f(r['b_mean'])} | "
                f"{_f(r['diff_mean'])} ({_f(r['ci_low'])} – {_f(r['ci_high'])}) | {r['share_agree']:.0%} | "
                f"{r['share_zero']:.0%} | {r['share_opposite']:.0%} | {r['pairs']} | **{r['verdict']}** |"
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


def run_over_draws(
    scenario,
    checks: Sequence[Target],
    seeds: Sequence[int],
    draws: Sequence[dict[str, Any]],
    *,
    jobs: int = 2,
    runner: Runner = default_runner,
) -> tuple[dict[tuple, list[float]], np.ndarray]:
    """Per-(draw, seed) quantity values, draw-major, and each pair's draw index."""
    per_seed: dict[tuple, list[float]] = {}
    executor = make_executor(jobs) if len(draws) > 1 else None
    try:
        for k, draw in enumerate(draws):
            sc = apply_overrides(scenario, dict(draw), f"parameter draw {k}")
            values = run_quantities(
                sc, checks, list(seeds), jobs=jobs, executor=executor, runner=runner
            )
            for key, v in values.items():
                per_seed.setdefault(key, []).extend(v)
    finally:
        if executor is not None:
            executor.shutdown()
    return per_seed, np.repeat(np.arange(len(draws)), len(seeds))


def effectiveness(
    scenario,
    seeds: Sequence[int],
    *,
    jobs: int = 2,
    cases: Sequence[dict] = TABLE_CASES,
    runner: Runner = default_runner,
    draws: Sequence[dict[str, Any]] | None = None,
    draws_from: str = "the shipped defaults",
) -> Effectiveness:
    """Grade goals and give each claim its verdict over parameter draws x seeds."""
    draws = list(draws) if draws else [{}]
    goals, claims = build_checks(cases)
    per_seed, draw_index = run_over_draws(
        scenario, [*goals, *claims], seeds, draws, jobs=jobs, runner=runner
    )
    goal_results = {r.target.group: r for r in score(goals, per_seed)}
    claim_rows = []
    for r in score(claims, per_seed):
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
                **verdict(r.values, draw_index),
                "draws": len(draws),
                "seeds": len(seeds),
                "source": "Thesis, Figure 4",
            }
        )
    claims_df = pd.DataFrame(claim_rows)
    rows = []
    for c in cases:
        g = goal_results[c["case"]]
        mine = claims_df[claims_df["case"] == c["case"]]
        counts = {v: int((mine["verdict"] == v).sum()) for v in VERDICTS}
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
                "claims_supported": counts["supported"],
                "claims_not_supported": counts["not supported"],
                "claims_undecided": counts["undecided"],
                "claims_total": len(mine),
            }
        )
    return Effectiveness(
        table=pd.DataFrame(rows),
        claims=claims_df,
        draws=len(draws),
        seeds=len(seeds),
        draws_from=draws_from,
    )
