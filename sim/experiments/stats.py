"""Small statistics helpers: means with t confidence intervals, paired differences."""

from __future__ import annotations

import math

import numpy as np


def _t(level: float, df: int) -> float:
    from scipy import stats

    return float(stats.t.ppf(0.5 + level / 2, df))


def mean_ci(x, level: float = 0.95) -> dict:
    """n, mean, sd and the t confidence interval of the mean (NaNs dropped)."""
    a = np.asarray(x, dtype=float)
    a = a[np.isfinite(a)]
    n = int(a.size)
    if n == 0:
        return {"n": 0, "mean": math.nan, "sd": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    mean = float(a.mean())
    if n == 1:
        return {"n": 1, "mean": mean, "sd": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    sd = float(a.std(ddof=1))
    half = _t(level, n - 1) * sd / math.sqrt(n)
    return {"n": n, "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half}


def paired_difference(a, b, level: float = 0.95) -> dict:
    """Mean of a - b over pairs (both finite), its t interval, Cohen's d_z and the paired p-value."""
    from scipy import stats

    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    ok = np.isfinite(a) & np.isfinite(b)
    d = a[ok] - b[ok]
    res = mean_ci(d, level)
    out = {
        "n_pairs": res["n"],
        "diff": res["mean"],
        "ci_low": res["ci_low"],
        "ci_high": res["ci_high"],
        "sd_diff": res["sd"],
    }
    if res["n"] >= 2 and res["sd"] > 1e-12 * max(1.0, abs(res["mean"])):
        out["d_z"] = res["mean"] / res["sd"]
        out["p_value"] = float(stats.ttest_rel(a[ok], b[ok]).pvalue)
    elif res["n"] >= 2:  # identical in every pair
        out["d_z"] = 0.0 if res["mean"] == 0 else math.copysign(math.inf, res["mean"])
        out["p_value"] = 1.0 if res["mean"] == 0 else 0.0
    else:
        out["d_z"] = math.nan
        out["p_value"] = math.nan
    return out
