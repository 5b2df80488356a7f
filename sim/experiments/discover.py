"""Scenario discovery: which regions of the parameter space produce a chosen outcome?

`syriasim discover RESULTS --metric M --threshold T [--below]` marks each design point of a
sweep (or comparison) as a *case of interest* when the mean of ``M`` over its replicates is
above ``T`` (``--below``: below it), then searches for simple boxes (a range per numeric
parameter, a set of values per categorical one) that hold those cases:

- ``prim`` (default): the Patient Rule Induction Method of the EMA Workbench
  (``ema_workbench.analysis.prim``). Only its peeling is used (``find_box``); the box limits
  and the peeling trajectory are read directly, because ``box.inspect()`` fails with pandas 3.
  Integer parameters are passed as floats (EMA's integer handling fails on some dtypes) and
  their limits are rounded inwards afterwards;
- ``cart``: a classification tree (scikit-learn); each leaf that predicts the case is a box.

For each box: **coverage** (share of all cases of interest inside the box), **density** (share
of the points inside the box that are cases), **mass** (share of all points inside). PRIM trades
coverage for density as it peels; the whole trajectory is kept (discover_tradeoff.csv,
fig_discover.png) and the box reported is the densest one whose coverage is at least
``--min-coverage``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.errors import UserError
from sim.experiments.store import ResultsStore, atomic_write_bytes

METHODS = ("prim", "cart")
SKIP = ("point_id", "variant")  # design columns that are not parameters


@dataclass
class Discovery:
    metric: str
    threshold: float
    below: bool
    method: str
    n_points: int
    n_cases: int
    tradeoff: object  # DataFrame: box, coverage, density, mass, n, res_dim
    boxes: object  # DataFrame: box, parameter, kind, low, high, values
    chosen: int
    kinds: dict

    def markdown(self) -> str:
        rel = "<" if self.below else ">"
        lines = [
            f"# Scenario discovery ({self.method}): {self.metric} {rel} {self.threshold:g}",
            "",
            f"{self.n_cases} of {self.n_points} design points are cases of interest (mean of "
            f"`{self.metric}` over each point's replicates {rel} {self.threshold:g}).",
            "",
        ]
        t = self.tradeoff.set_index("box")
        if self.chosen < 0:
            return "\n".join(lines + ["No box found."]) + "\n"
        r = t.loc[self.chosen]
        lines += [
            f"## Box {self.chosen}: coverage {r['coverage']:.2f}, density {r['density']:.2f}, "
            f"mass {r['mass']:.2f} ({int(r['n'])} points)",
            "",
            "| parameter | restricted to | full range |",
            "|---|---|---|",
        ]
        b = self.boxes
        sub = b[(b.box == self.chosen) & b.restricted]
        for _, x in sub.iterrows():
            lines.append(f"| {x['parameter']} | {x['limits']} | {x['full']} |")
        if sub.empty:
            lines.append("| (none: the whole space) | | |")
        lines += [
            "",
            "## Coverage / density trade-off",
            "",
            "| box | coverage | density | mass | points | restricted parameters |",
            "|---|---|---|---|---|---|",
        ]
        for i, x in t.iterrows():
            lines.append(
                f"| {i}{' (reported)' if i == self.chosen else ''} | {x['coverage']:.2f} | "
                f"{x['density']:.2f} | {x['mass']:.2f} | {int(x['n'])} | {int(x['res_dim'])} |"
            )
        lines += [
            "",
            "Coverage: share of all cases inside the box; density: share of the box's points "
            "that are cases; mass: share of all points inside the box. Files: "
            "discover_boxes.csv (limits of every box), discover_tradeoff.csv, fig_discover.png.",
        ]
        return "\n".join(lines) + "\n"


def _kind(series) -> str:
    import pandas as pd

    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return "categorical"
    vals = series.dropna().to_numpy(dtype=float)
    return "integer" if np.all(vals == np.round(vals)) else "real"


def points_table(out, metric: str):
    """Per design point: the varied parameters and the metric's mean over the replicates."""
    store = ResultsStore(out)
    man = store.manifest()
    design = store.read_design()
    runs = store.read_runs()
    ok = runs[runs.status == "ok"]
    available = sorted(c[len("metric.") :] for c in ok.columns if c.startswith("metric."))
    if metric not in available:
        raise UserError(
            f"unknown metric {metric!r}; available: {', '.join(available)}", key="--metric"
        )
    if man.get("kind") == "compare":
        cols = ["variant_label"]
    else:
        cols = [p["key"] for p in man["design"]["params"]]
    X = design.set_index("point_id")[cols]
    y = ok.groupby("point_id")[f"metric.{metric}"].mean()
    X = X.loc[X.index.isin(y.index)]
    y = y.reindex(X.index)
    keep = np.isfinite(y.to_numpy(dtype=float))
    X, y = X[keep], y[keep]
    if len(X) < 4:
        raise UserError(
            f"only {len(X)} design point(s) with a finite {metric}; discovery needs more",
            file=str(out),
        )
    return X.reset_index(drop=True), y.to_numpy(dtype=float)


def _limits_text(kind: str, lo, hi, values) -> str:
    if kind == "categorical":
        return "{" + ", ".join(str(v) for v in sorted(values, key=str)) + "}"
    if kind == "integer":
        return f"{int(lo)} .. {int(hi)}"
    return f"[{lo:.4g}, {hi:.4g}]"


def _box_rows(box_id: int, lims: dict, X, kinds: dict) -> list[dict]:
    """One row per parameter: the box's limits, the full range, whether it is restricted."""
    rows = []
    for col in X.columns:
        kind = kinds[col]
        if kind == "categorical":
            full = set(X[col].astype(str))
            vals = set(map(str, lims[col]))
            rows.append(
                {
                    "box": box_id,
                    "parameter": col,
                    "kind": kind,
                    "low": math.nan,
                    "high": math.nan,
                    "values": ",".join(sorted(vals)),
                    "restricted": vals != full,
                    "limits": _limits_text(kind, None, None, vals),
                    "full": _limits_text(kind, None, None, full),
                }
            )
            continue
        flo, fhi = float(X[col].min()), float(X[col].max())
        lo, hi = lims[col]
        lo, hi = max(float(lo), flo), min(float(hi), fhi)
        if kind == "integer":  # inwards to the integers the box actually holds
            lo, hi = math.ceil(lo - 1e-9), math.floor(hi + 1e-9)
        rows.append(
            {
                "box": box_id,
                "parameter": col,
                "kind": kind,
                "low": lo,
                "high": hi,
                "values": "",
                "restricted": lo > flo or hi < fhi,
                "limits": _limits_text(kind, lo, hi, None),
                "full": _limits_text(kind, flo, fhi, None),
            }
        )
    return rows


def _inside(X, rows) -> np.ndarray:
    mask = np.ones(len(X), dtype=bool)
    for r in rows:
        col = X[r["parameter"]]
        if r["kind"] == "categorical":
            mask &= col.astype(str).isin(r["values"].split(",")).to_numpy()
        else:
            v = col.to_numpy(dtype=float)
            mask &= (v >= r["low"] - 1e-12) & (v <= r["high"] + 1e-12)
    return mask


def _stats(box_id: int, mask: np.ndarray, cases: np.ndarray, res_dim: int) -> dict:
    n = int(mask.sum())
    return {
        "box": box_id,
        "coverage": float(cases[mask].sum() / max(1, cases.sum())),
        "density": float(cases[mask].mean()) if n else 0.0,
        "mass": n / len(mask),
        "n": n,
        "res_dim": res_dim,
    }


def _prim(X, cases, kinds, mass_min: float):
    import pandas as pd

    try:
        with warnings.catch_warnings():  # its import warns about optional evaluators
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import prim
    except ImportError:
        raise UserError(
            "PRIM needs the optional package ema-workbench (pip install ema-workbench); "
            "or use --method cart (scikit-learn)",
            key="--method",
        ) from None
    x = pd.DataFrame(
        {
            c: (
                X[c].astype(str).astype("category")
                if kinds[c] == "categorical"
                else X[c].astype(float)
            )
            for c in X.columns
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = prim.Prim(x, cases.astype(int), mass_min=mass_min)
        box = p.find_box()
    out = []
    for lims in box.box_lims:
        d = {}
        for c in X.columns:
            if kinds[c] == "categorical":
                d[c] = set(lims[c].iloc[0])
            else:
                d[c] = (lims[c].iloc[0], lims[c].iloc[1])
        out.append(d)
    return out


def _cart(X, cases, kinds, mass_min: float, max_depth: int = 4):
    import pandas as pd

    try:
        from sklearn.tree import DecisionTreeClassifier
    except ImportError:
        raise UserError(
            "CART needs scikit-learn (pip install scikit-learn)", key="--method"
        ) from None
    cat = [c for c in X.columns if kinds[c] == "categorical"]
    dummies = pd.get_dummies(X[cat].astype(str), prefix_sep="=") if cat else pd.DataFrame()
    num = X[[c for c in X.columns if c not in cat]].astype(float)
    F = pd.concat([num, dummies.astype(float)], axis=1)
    tree = DecisionTreeClassifier(
        max_depth=max_depth,
        min_samples_leaf=max(1, int(math.ceil(mass_min * len(X)))),
        random_state=0,
    ).fit(F.to_numpy(), cases.astype(int))
    t = tree.tree_
    boxes = []

    def walk(node, lims):
        if t.children_left[node] == -1:
            value = t.value[node][0]
            if value.argmax() == 1 and len(value) > 1:
                boxes.append(
                    {k: (set(v) if isinstance(v, set) else tuple(v)) for k, v in lims.items()}
                )
            return
        name = F.columns[t.feature[node]]
        thr = t.threshold[node]
        left = {k: (set(v) if isinstance(v, set) else list(v)) for k, v in lims.items()}
        right = {k: (set(v) if isinstance(v, set) else list(v)) for k, v in lims.items()}
        if "=" in name and name.split("=", 1)[0] in cat:
            col, val = name.split("=", 1)
            left[col] = left[col] - {val}  # dummy <= 0.5: not this value
            right[col] = right[col] & {val}
        else:
            left[name][1] = min(left[name][1], thr)
            right[name][0] = max(right[name][0], thr + 1e-12)
        walk(t.children_left[node], left)
        walk(t.children_right[node], right)

    start = {c: (set(X[c].astype(str)) if c in cat else [-math.inf, math.inf]) for c in X.columns}
    walk(0, start)
    return boxes


def discover(
    out,
    metric: str,
    threshold: float | None = None,
    *,
    quantile: float | None = None,
    below: bool = False,
    method: str = "prim",
    min_coverage: float = 0.5,
    mass_min: float = 0.05,
    figure: bool = True,
) -> Discovery:
    """Find boxes of the sweep's parameter space where ``metric`` is above (below) ``threshold``
    (or the ``quantile`` of the points' means); write discover.md, discover_boxes.csv, discover_tradeoff.csv and fig_discover.png."""
    import pandas as pd

    if method not in METHODS:
        raise UserError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}", key="--method")
    if not 0 <= min_coverage <= 1:
        raise UserError(f"expected a share in [0, 1], got {min_coverage}", key="--min-coverage")
    if not 0 < mass_min < 1:
        raise UserError(f"expected a share in (0, 1), got {mass_min}", key="--mass-min")
    X, y = points_table(out, metric)
    if quantile is not None:
        if not 0 < quantile < 1:
            raise UserError(f"expected a share in (0, 1), got {quantile}", key="--quantile")
        threshold = float(np.quantile(y, quantile))
    if threshold is None:
        raise UserError("give --threshold or --quantile", key="--threshold")
    cases = (y < threshold) if below else (y > threshold)
    if cases.all() or not cases.any():
        raise UserError(
            f"{int(cases.sum())} of {len(y)} points have {metric} {'<' if below else '>'} "
            f"{threshold:g} (range {y.min():.4g} .. {y.max():.4g}); choose a threshold inside "
            "the range",
            key="--threshold",
        )
    kinds = {c: _kind(X[c]) for c in X.columns}
    found = (_prim if method == "prim" else _cart)(X, cases, kinds, mass_min)
    rows, stats = [], []
    for i, lims in enumerate(found):
        r = _box_rows(i, lims, X, kinds)
        rows += r
        stats.append(_stats(i, _inside(X, r), cases, sum(x["restricted"] for x in r)))
    boxes = pd.DataFrame(rows)
    tradeoff = pd.DataFrame(stats, columns=["box", "coverage", "density", "mass", "n", "res_dim"])
    good = tradeoff[tradeoff.coverage >= min_coverage]
    chosen = (
        int(good.sort_values(["density", "coverage"], ascending=False).iloc[0]["box"])
        if len(good)
        else -1
    )
    res = Discovery(
        metric, threshold, below, method, len(y), int(cases.sum()), tradeoff, boxes, chosen, kinds
    )
    out = Path(out)
    atomic_write_bytes(out / "discover.md", res.markdown().encode())
    atomic_write_bytes(out / "discover_boxes.csv", boxes.to_csv(index=False).encode())
    atomic_write_bytes(out / "discover_tradeoff.csv", tradeoff.to_csv(index=False).encode())
    from sim.experiments import plots

    made = [plots.discover_figure(res, out)] if figure and len(tradeoff) else []
    plots.remove_stale(out, ("fig_discover.png",), keep=made)
    return res
