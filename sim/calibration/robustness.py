"""Robustness of each claim: global sensitivity of its counterfactual difference over the assumed
parameters (``syriasim robustness``).

A claim that holds only because an assumed parameter was set to make it hold is worthless. Here
every assumed mechanism parameter (the assumption register, docs/PARAMETERS.md) varies over its
plausible range in a Morris or Sobol design (the sweep machinery of sim/experiments: the same
design builder and SALib analysis). At each design point every structure of a claim runs on the
same seeds (common random numbers) and the claim's paired difference is averaged over them. Per
claim the analysis reports:

- the **share of the plausible space** in which the difference has the claimed sign (> 0);
- per parameter, the SALib indices (Morris mu*, sigma; Sobol S1, ST) of the difference;
- the parameters that **can flip the verdict**: the mean difference over the design points in
  the lower half of the parameter's range and over those in the upper half have opposite signs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.effectiveness import TABLE_CASES, build_checks, run_over_draws
from sim.calibration.runs import Runner, default_runner
from sim.calibration.targets import score
from sim.errors import UserError

#: Parameter groups varied by default: the mechanisms the claims turn on (the conflict layer's
#: fighting parameters move every structure alike and are left to `syriasim sensitivity`).
DEFAULT_GROUPS = ("diplomacy", "trust", "ceasefire", "chemical", "access", "dependence", "rules")


def explored_params(groups: Sequence[str] = DEFAULT_GROUPS, keys: Sequence[str] | None = None):
    """The varied parameters as sweep ParamSpecs, from the register's plausible ranges."""
    from sim.docs import parameter_rows
    from sim.experiments.design import ParamSpec
    from sim.register import explored_ranges

    rows = parameter_rows()
    ranges = explored_ranges(rows)
    kinds = {k.split(" (")[0]: p.kind for k, p in rows}
    if keys:
        unknown = [k for k in keys if k not in ranges]
        if unknown:
            raise UserError(
                f"not an assumed parameter with a plausible range: {', '.join(unknown)}; "
                f"allowed: {', '.join(sorted(ranges))}",
                key="--param",
            )
        chosen = list(keys)
    else:
        chosen = [k for k in ranges if k.split(".")[0 if k.startswith("rules") else 1] in groups]
    return [
        ParamSpec(k, float(ranges[k][0]), float(ranges[k][1]), integer=kinds.get(k) is int)
        for k in chosen
    ]


@dataclass
class Robustness:
    claims: pd.DataFrame  # one row per claim: share of the space, flipping parameters
    indices: pd.DataFrame  # one row per claim and parameter: indices, halves' means, flips
    points: pd.DataFrame  # one row per design point: its values and each claim's mean difference
    method: str
    seeds: int

    def markdown(self) -> str:
        lines = [
            f"# Robustness of the claims ({self.method}, {len(self.points)} design points x "
            f"{self.seeds} seeds)",
            "",
            "Each claim's paired difference (a − b, claimed > 0), averaged over common seeds at "
            "every point of the design over the assumed parameters' plausible ranges. "
            "*Holds in*: share of the design points where the difference is > 0. *Can flip it*: "
            "parameters whose lower and upper halves give mean differences of opposite sign.",
            "",
            "| case | claim | mean difference | holds in | most influential | can flip it |",
            "|---|---|---|---|---|---|",
        ]
        for _, r in self.claims.iterrows():
            lines.append(
                f"| {r['case']} | {r['claim']} | {r['diff_mean']:.4g} | {r['share_holds']:.0%} | "
                f"{r['top']} | {r['flippers'] or 'none'} |"
            )
        return "\n".join(lines) + "\n"


def robustness(
    scenario,
    *,
    method: str = "morris",
    samples: int = 4,
    seeds: Sequence[int] = (0, 1),
    params=None,
    master_seed: int = 0,
    jobs: int = 2,
    cases: Sequence[dict] = TABLE_CASES,
    runner: Runner = default_runner,
) -> Robustness:
    from sim.experiments.design import build_design
    from sim.experiments.sensitivity import indices

    if method not in ("morris", "sobol"):
        raise UserError(f"unknown method {method!r}; allowed: morris, sobol", key="--method")
    params = list(params) if params is not None else explored_params()
    options = {"levels": 4} if method == "morris" else {}
    design = build_design(
        method, params, samples=samples, replicates=1, master_seed=master_seed, options=options
    )
    draws = design.all_points()
    _, claims = build_checks(cases)
    per_seed, draw_index = run_over_draws(scenario, claims, seeds, draws, jobs=jobs, runner=runner)
    X = design.X
    names = [p.key for p in params]
    point_rows = design.points_frame()[["point_id", *names]].copy()
    claim_rows, index_rows = [], []
    for r in score(claims, per_seed):
        t = r.target
        Y = np.array([np.nanmean(r.values[draw_index == d]) for d in range(len(draws))])
        point_rows[t.id] = Y
        finite = np.isfinite(Y)
        found: dict[str, Any] = {}
        if finite.all() and np.ptp(Y) > 1e-12 * max(1.0, float(np.abs(Y).max())):
            found = indices(method, design.problem(), X, Y, design.options, master_seed % 2**32)
        key_index = "mu_star" if method == "morris" else "ST"
        flippers, influence = [], {}
        for j, name in enumerate(names):
            mid = (params[j].low + params[j].high) / 2
            low, high = Y[finite & (X[:, j] < mid)], Y[finite & (X[:, j] >= mid)]
            lo_mean = float(low.mean()) if low.size else math.nan
            hi_mean = float(high.mean()) if high.size else math.nan
            flips = bool(lo_mean * hi_mean < 0)
            if flips:
                flippers.append(name)
            row = {
                "case": t.group,
                "id": t.id,
                "parameter": name,
                "mean_low_half": lo_mean,
                "mean_high_half": hi_mean,
                "can_flip": flips,
                **{k: float(v[j]) for k, v in found.items()},
            }
            influence[name] = row.get(key_index, math.nan)
            index_rows.append(row)
        ranked = sorted(
            (k for k in influence if not math.isnan(influence[k])), key=lambda k: -influence[k]
        )
        claim_rows.append(
            {
                "case": t.group,
                "id": t.id,
                "claim": t.description,
                "diff_mean": float(np.nanmean(Y)) if finite.any() else math.nan,
                "share_holds": float(np.mean(Y[finite] > 0)) if finite.any() else math.nan,
                "points": int(finite.sum()),
                "top": ", ".join(f"`{k.split('.')[-1]}`" for k in ranked[:3]) or "n/a (constant)",
                "flippers": ", ".join(f"`{k.split('.')[-1]}`" for k in flippers),
            }
        )
    return Robustness(
        claims=pd.DataFrame(claim_rows),
        indices=pd.DataFrame(index_rows),
        points=point_rows,
        method=method,
        seeds=len(seeds),
    )


def figures(result: Robustness, out: Path) -> list[Path]:
    """One figure per claim: each parameter's influence on the difference, flippers marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    col = "mu_star" if result.method == "morris" else "ST"
    paths = []
    for _, claim in result.claims.iterrows():
        rows = result.indices[result.indices["id"] == claim["id"]]
        if col not in rows or rows[col].isna().all():
            rows = rows.assign(**{col: 0.0})
        rows = rows.sort_values(col, ascending=True).tail(12)
        fig, ax = plt.subplots(figsize=(7, 4.2))
        colours = ["#c0392b" if f else "#5d6d7e" for f in rows["can_flip"]]
        ax.barh([p.split(".", 1)[1] for p in rows["parameter"]], rows[col], color=colours)
        ax.set_xlabel(f"{col} of the difference a − b (red: can flip the verdict)")
        ax.set_title(
            f"{claim['claim']}\nholds in {claim['share_holds']:.0%} of the plausible space "
            f"(mean difference {claim['diff_mean']:.3g})",
            fontsize=9,
        )
        fig.tight_layout()
        path = out / f"robustness_{claim['id']}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths
