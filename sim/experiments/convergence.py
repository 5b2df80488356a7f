"""Are there enough runs? Replicate counts for a precision, and sensitivity-index warnings.

- :func:`replicate_table`: per metric of a sweep, the seed noise within a design point, the
  95% CI half-width of a point's mean at the replicates run, and the replicates a chosen
  precision needs (half-width <= ``precision`` x the metric's mean size);
- :func:`noise_share`: the share of a metric's variation that is within design points (seed
  noise), from sums of squares, so it lies in [0, 1];
- :func:`index_warnings`: Sobol/Morris bootstrap estimates that have not converged (first-order
  indices summing well above 1, intervals crossing zero for most parameters).
"""

from __future__ import annotations

import math

import numpy as np

from sim.experiments.stats import fmt_g as _g
from sim.experiments.stats import half_width, replicates_needed

# S1 indices sum to at most 1 in theory; an estimate above this says the sample is too small.
S1_SUM_LIMIT = 1.05


def noise_share(values, groups) -> float:
    """Within-point sum of squares / total sum of squares (NaN when the metric is constant)."""
    import pandas as pd

    y = pd.Series(np.asarray(values, dtype=float))
    g = pd.Series(np.asarray(groups))
    keep = y.notna().to_numpy()
    y, g = y[keep], g[keep]
    total = float(((y - y.mean()) ** 2).sum())
    if not total > 0:
        return math.nan
    within = float(((y - y.groupby(g).transform("mean")) ** 2).sum())
    return min(1.0, within / total)


def replicate_table(runs, metrics: list[str], precision: float = 0.05, level: float = 0.95):
    """One row per metric: replicates, pooled within-point sd, half-width now, target, needed."""
    import pandas as pd

    rows = []
    for m in metrics:
        col = f"metric.{m}"
        g = runs.groupby("point_id")[col]
        n = int(round(g.count().mean())) if len(runs) else 0
        var = g.var(ddof=1).dropna()
        sd = float(math.sqrt(var.mean())) if len(var) else math.nan
        size = float(runs[col].abs().mean())
        target = precision * size if size > 0 else math.nan
        rows.append(
            {
                "metric": m,
                "replicates": n,
                "sd_within": sd,
                "half_width": half_width(sd, n, level),
                "target": target,
                "replicates_needed": replicates_needed(sd, target, level),
            }
        )
    return pd.DataFrame(rows)


def replicate_lines(table, precision: float) -> list[str]:
    """Markdown lines of :func:`replicate_table`."""
    if table is None or not len(table):
        return []
    lines = [
        f"## Replicates: 95% CI half-width of a design point's mean (target {precision:.0%} of "
        "the metric's mean size)",
        "",
        "| metric | replicates | seed sd within a point | half-width now | target | replicates needed |",
        "|---|---|---|---|---|---|",
    ]
    for _, r in table.iterrows():
        need = r["replicates_needed"]
        txt = (
            "n/a"
            if need != need
            else f"{int(need):,}" + (" (met)" if need <= r["replicates"] else "")
        )
        lines.append(
            f"| {r['metric']} | {int(r['replicates'])} | {_g(r['sd_within'])} | "
            f"{_g(r['half_width'])} | {_g(r['target'])} | {txt} |"
        )
    return lines


def index_warnings(method: str, table) -> list[str]:
    """Plain-language warnings about indices whose bootstrap has not converged."""
    out: list[str] = []
    if table is None or not len(table):
        return out
    ok = table[table["note"].isna()] if "note" in table else table
    for m, sub in ok.groupby("metric", sort=False):
        if method == "sobol" and "S1" in sub:
            total = float(sub["S1"].sum())
            if total > S1_SUM_LIMIT:
                out.append(
                    f"{m}: the S1 indices sum to {total:.2f} (> 1 is impossible in theory): "
                    "the estimates have not converged; use more samples (or replicates)"
                )
            key = "S1"
        elif method == "morris" and "mu_star" in sub:
            key = "mu_star"
        else:
            key = "S1" if "S1" in sub else None
        if key is None or f"{key}_conf" not in sub:
            continue
        crossing = int((sub[f"{key}_conf"] >= sub[key].abs()).sum())
        if crossing > len(sub) / 2:
            out.append(
                f"{m}: {crossing} of {len(sub)} {key} intervals cross zero: the ranking is not "
                "resolved; use more samples (or replicates)"
            )
    return out
