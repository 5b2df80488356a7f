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
    elif res["n"] >= 2:  # the same difference in every pair: no spread, no effect size or test
        out["sd_diff"] = 0.0
        out["d_z"] = math.nan
        out["p_value"] = 1.0 if res["mean"] == 0 else math.nan
    else:
        out["d_z"] = math.nan
        out["p_value"] = math.nan
    return out


def holm(pvalues) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error); NaNs stay NaN, out of the family."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, math.nan)
    idx = np.flatnonzero(np.isfinite(p))
    m = idx.size
    if m == 0:
        return out
    order = idx[np.argsort(p[idx], kind="stable")]
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def half_width(sd: float, n: int, level: float = 0.95) -> float:
    """Half-width of the t interval of a mean of ``n`` values with standard deviation ``sd``."""
    if n < 2 or not math.isfinite(sd):
        return math.nan
    return _t(level, n - 1) * sd / math.sqrt(n)


def replicates_needed(sd: float, target: float, level: float = 0.95, cap: int = 10**7) -> float:
    """Smallest n whose t interval half-width (same sd) is <= target; NaN if undefined."""
    if not (math.isfinite(sd) and math.isfinite(target)) or target <= 0:
        return math.nan
    if sd == 0:
        return 2
    # the normal approximation is a lower bound (t > z); step up to the t answer
    n = max(2, math.ceil((_t(level, 10**6) * sd / target) ** 2))
    while n < cap and half_width(sd, n, level) > target:
        n += 1
    return n


def halfwidth_curve(x, level: float = 0.95) -> list[tuple[int, float]]:
    """Half-width of the mean's interval using the first n values, n = 2, 4, 8, ..., len(x)."""
    a = np.asarray(x, dtype=float)
    a = a[np.isfinite(a)]
    ns = sorted({*(2**k for k in range(1, int(math.log2(max(a.size, 2))) + 1)), a.size})
    return [
        (n, half_width(float(a[:n].std(ddof=1)), n, level) if n >= 2 else math.nan)
        for n in ns
        if n >= 2
    ]


def fmt_g(v, digits: int = 3) -> str:
    """A number in ``digits`` significant figures for a report; NaN as n/a."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return "n/a" if f != f else f"{f:.{digits}g}"
