"""Global sensitivity from a sweep's results store (SALib analysis).

- Sobol/Saltelli designs: first-order ``S1`` and total ``ST`` indices with 95% bootstrap
  confidence intervals (``SALib.analyze.sobol``);
- Morris designs: ``mu*`` (mean absolute elementary effect, with its 95% CI), ``mu`` and
  ``sigma`` (``SALib.analyze.morris``);
- Latin hypercube designs: the moment-independent ``delta`` and first-order ``S1`` with
  intervals (``SALib.analyze.delta``).

Replicates of a design point are averaged first, so the indices describe the expected outcome;
the spread between replicates is reported as ``noise_share`` (share of the metric's variance
that is within points), a warning sign when it is large.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from pathlib import Path

import numpy as np

from sim.errors import UserError
from sim.experiments.convergence import (
    index_warnings,
    noise_share,
    replicate_lines,
    replicate_table,
)
from sim.experiments.store import ResultsStore, atomic_write_bytes


def _design_matrix(store: ResultsStore, man: dict):
    design = store.read_design()
    params = [p["key"] for p in man["design"]["params"]]
    cols = [f"x.{k}" for k in params]
    if not all(c in design for c in cols):
        raise UserError(
            "the design has no numeric matrix (grid design?); sensitivity needs sobol, morris or lhs",
            file=str(store.root),
        )
    design = design.sort_values("point_id")
    return params, design["point_id"].to_numpy(), design[cols].to_numpy(dtype=float)


def choose_metrics(ok, metrics, man: dict, out) -> list[str]:
    """The metrics asked for (checked), else the sweep file's, else every metric stored."""
    available = [c[len("metric.") :] for c in ok.columns if c.startswith("metric.")]
    if not available:
        raise UserError(
            "no successful runs with metrics yet; run or resume the sweep first", file=str(out)
        )
    if metrics:
        for m in metrics:
            if m not in available:
                raise UserError(
                    f"unknown metric {m!r}; available: {', '.join(sorted(available))}",
                    key="--metrics",
                )
        return list(metrics)
    return [m for m in (man.get("metrics") or []) if m in available] or sorted(available)


def analyze(
    out, metrics: list[str] | None = None, *, num_resamples: int = 1000, level: float = 0.95
):
    """A tidy table: one row per metric and parameter with the indices and their intervals."""
    import pandas as pd

    store = ResultsStore(out)
    man = store.manifest()
    method = man["design"]["method"]
    if man.get("kind") != "sweep" or method not in ("sobol", "morris", "lhs"):
        raise UserError(
            f"sensitivity needs a sobol, morris or lhs sweep; this folder holds a {man.get('kind')} with design {method!r}",
            file=str(out),
        )
    params, point_ids, X = _design_matrix(store, man)
    runs = store.read_runs()
    ok = runs[runs.status == "ok"]
    chosen = choose_metrics(ok, metrics, man, out)
    means = ok.groupby("point_id")[[f"metric.{m}" for m in chosen]].mean()
    missing = np.setdiff1d(point_ids, means.index.to_numpy())
    if len(missing):
        raise UserError(
            f"{len(missing)} of {len(point_ids)} design points have no successful run "
            f"(e.g. point {int(missing[0])}); resume the sweep (same command) or check failures with `syriasim summarize`",
            file=str(out),
        )
    means = means.reindex(point_ids)
    problem = {
        "num_vars": len(params),
        "names": params,
        "bounds": [[p["low"], p["high"]] for p in man["design"]["params"]],
    }
    seed = int(man["design"]["master_seed"]) % (2**32)
    opts = man["design"].get("options", {})
    rows = []
    for m in chosen:
        Y = means[f"metric.{m}"].to_numpy(dtype=float)
        noise = (
            noise_share(ok[f"metric.{m}"], ok["point_id"])
            if man["design"]["replicates"] > 1
            else math.nan
        )
        if not np.all(np.isfinite(Y)):
            rows += [{"metric": m, "parameter": p, "note": "non-finite values"} for p in params]
            continue
        if np.ptp(Y) <= 1e-12 * max(1.0, float(np.abs(Y).max())):  # rounding noise only
            rows += [
                {"metric": m, "parameter": p, "note": "constant across the design"} for p in params
            ]
            continue
        found = indices(method, problem, X, Y, opts, seed, num_resamples, level)
        # One row per parameter: the method's columns (ours -> SALib's key) and the noise share.
        rows += [
            {
                "metric": m,
                "parameter": p,
                **{col: values[j] for col, values in found.items()},
                "noise_share": noise,
            }
            for j, p in enumerate(params)
        ]
    table = pd.DataFrame(rows)
    for c in [c for c in table.columns if c.endswith("_conf")]:
        base = c[: -len("_conf")]
        table[f"{base}_low"] = table[base] - table[c]
        table[f"{base}_high"] = table[base] + table[c]
    return method, table


def indices(
    method: str,
    problem: dict,
    X: np.ndarray,
    Y: np.ndarray,
    options: dict,
    seed: int,
    num_resamples: int = 1000,
    level: float = 0.95,
) -> dict[str, np.ndarray]:
    """SALib indices of one output ``Y`` over the design matrix ``X``: {column: value per
    parameter} (sobol: S1, ST; morris: mu_star, mu, sigma; lhs: delta, S1; each with _conf)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "sobol":
            from SALib.analyze import sobol

            si = sobol.analyze(
                problem,
                Y,
                calc_second_order=bool(options.get("calc_second_order")),
                num_resamples=num_resamples,
                conf_level=level,
                seed=seed,
            )
            columns = {k: k for k in ("S1", "S1_conf", "ST", "ST_conf")}
        elif method == "morris":
            from SALib.analyze import morris

            si = morris.analyze(
                problem,
                X,
                Y,
                num_resamples=num_resamples,
                conf_level=level,
                num_levels=int(options.get("levels", 4)),
                seed=seed,
            )
            columns = {k: k for k in ("mu_star", "mu_star_conf", "mu", "sigma")}
        else:
            from SALib.analyze import delta

            with contextlib.redirect_stdout(io.StringIO()):  # SALib prints bin notices
                si = delta.analyze(
                    problem, X, Y, num_resamples=num_resamples, conf_level=level, seed=seed
                )
            # SALib >= 1.5 reports several delta estimators; prefer the bias-reduced one
            dkey = next(k for k in ("delta", "delta_balanced", "delta_raw") if k in si)
            columns = {
                "delta": dkey,
                "delta_conf": f"{dkey}_conf",
                "S1": "S1",
                "S1_conf": "S1_conf",
            }
    return {ours: np.asarray(si[theirs], dtype=float) for ours, theirs in columns.items()}


def markdown(method: str, table, name: str = "", replicates=None, precision: float = 0.05) -> str:
    lines = [f"# Sensitivity ({method}){': ' + name if name else ''}", ""]
    if method == "sobol":
        cols, head = (
            [("S1", "S1_conf"), ("ST", "ST_conf")],
            "| metric | parameter | S1 [95% CI] | ST [95% CI] | noise share |",
        )
    elif method == "morris":
        cols, head = (
            [("mu_star", "mu_star_conf"), ("sigma", None)],
            "| metric | parameter | mu* [95% CI] | sigma | noise share |",
        )
    else:
        cols, head = (
            [("delta", "delta_conf"), ("S1", "S1_conf")],
            "| metric | parameter | delta [95% CI] | S1 [95% CI] | noise share |",
        )
    lines += [head, "|---|---|---|---|---|"]
    for _, r in table.iterrows():
        if isinstance(r.get("note"), str):
            lines.append(f"| {r['metric']} | {r['parameter']} | {r['note']} | | |")
            continue
        cells = []
        for v, c in cols:
            if c is None:
                cells.append(f"{r[v]:.3g}")
            else:
                cells.append(f"{r[v]:.3g} [{r[v] - r[c]:.3g}, {r[v] + r[c]:.3g}]")
        noise = r.get("noise_share", math.nan)
        noise_txt = "n/a" if noise != noise else f"{noise:.2f}"
        lines.append(
            f"| {r['metric']} | {r['parameter']} | " + " | ".join(cells) + f" | {noise_txt} |"
        )
    if "noise_share" in table:
        noisy = sorted(set(table.loc[table["noise_share"] > 0.5, "metric"]))
        if noisy:
            lines += [
                "",
                f"Mostly seed noise (noise share > 0.5): {', '.join(noisy)}. Their indices are unreliable; "
                "use more replicates (or a larger sample) before reading them.",
            ]
    warn = index_warnings(method, table)
    if warn:
        lines += ["", "## Convergence warnings", ""] + [f"- {w}" for w in warn]
    if replicates is not None and len(replicates):
        lines += [""] + replicate_lines(replicates, precision)
    return "\n".join(lines) + "\n"


def sensitivity(
    out,
    metrics: list[str] | None = None,
    *,
    num_resamples: int = 1000,
    figure: bool = True,
    precision: float = 0.05,
    contrast: str | None = None,
):
    """Analyse, then write sensitivity.csv, sensitivity.md and fig_sensitivity.png into ``out``
    (a grid sweep: its response curves and per-cell differences, see :mod:`.grid`)."""
    store = ResultsStore(out)
    man = store.manifest()
    if man.get("kind") == "sweep" and man["design"]["method"] == "grid":
        from sim.experiments.grid import grid_analysis

        return grid_analysis(out, metrics, figure=figure, contrast=contrast, precision=precision)
    method, table = analyze(out, metrics, num_resamples=num_resamples)
    out = Path(out)
    runs = store.read_runs()
    ok = runs[runs.status == "ok"]
    reps = (
        replicate_table(ok, list(dict.fromkeys(table["metric"])), precision)
        if man["design"]["replicates"] > 1
        else None
    )
    atomic_write_bytes(out / "sensitivity.csv", table.to_csv(index=False).encode())
    md = markdown(method, table, man.get("name", ""), reps, precision)
    atomic_write_bytes(out / "sensitivity.md", md.encode())
    fig = None
    if figure:
        from sim.experiments.plots import sensitivity_figure

        ok_rows = table[table.get("note").isna()] if "note" in table else table
        fig = sensitivity_figure(ok_rows, method, out)
    from sim.experiments.plots import remove_stale

    remove_stale(out, ("fig_sensitivity.png",), keep=[fig] if fig else [])
    return method, table, md, fig
