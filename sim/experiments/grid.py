"""Analysis of a grid sweep: response curves and differences per cell.

`syriasim sensitivity DIR` on a grid sweep writes:

- ``grid_cells.csv``: per cell (combination of the varied values) and metric: n, mean, sd and the
  95% t interval over the replicates;
- ``grid_differences.csv``: the *contrast* parameter (``--contrast KEY``, default the first
  varied) against its first value, in every cell of the other parameters: paired by replicate
  when the sweep uses common seeds (``seeds = "common"``), else Welch's unpaired difference;
  with Cohen's d_z (paired) and Holm-adjusted p-values over the whole table;
- ``grid.md`` and ``fig_response.png``: each metric against the first numeric other parameter,
  one line (mean and 95% band) per value of the contrast, averaged over any further parameters.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from sim.errors import UserError
from sim.experiments.convergence import replicate_lines, replicate_table
from sim.experiments.stats import fmt_g, holm, mean_ci, paired_difference
from sim.experiments.store import ResultsStore, atomic_write_bytes


def _welch(a, b, level: float) -> dict:
    from scipy import stats

    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    out = {"n_pairs": 0, "diff": a.mean() - b.mean() if len(a) and len(b) else math.nan}
    out.update(ci_low=math.nan, ci_high=math.nan, sd_diff=math.nan, d_z=math.nan, p_value=math.nan)
    if len(a) >= 2 and len(b) >= 2 and (a.std() > 0 or b.std() > 0):
        t = stats.ttest_ind(a, b, equal_var=False)
        ci = t.confidence_interval(level)
        out.update(ci_low=float(ci.low), ci_high=float(ci.high), p_value=float(t.pvalue))
    return out


def analyze_grid(
    out,
    metrics: list[str] | None = None,
    *,
    contrast: str | None = None,
    level=0.95,
    precision: float = 0.05,
):
    """(cells, differences, info) DataFrames of a grid sweep's store."""
    import pandas as pd

    from sim.experiments.sensitivity import choose_metrics

    store = ResultsStore(out)
    man = store.manifest()
    if man.get("kind") != "sweep" or man["design"]["method"] != "grid":
        raise UserError("not a grid sweep", file=str(out))
    keys = [p["key"] for p in man["design"]["params"]]
    contrast = contrast or keys[0]
    if contrast not in keys:
        raise UserError(
            f"{contrast!r} is not varied by this sweep; varied: {', '.join(keys)}", key="--contrast"
        )
    runs = store.read_runs()
    ok = runs[runs.status == "ok"].copy()
    chosen = choose_metrics(ok, metrics, man, out)
    design = store.read_design()
    order = {k: list(dict.fromkeys(design[k])) for k in keys}  # the sweep file's value order
    base_value = order[contrast][0]
    others = [k for k in keys if k != contrast]
    pcols = {k: f"param.{k}" for k in keys}
    paired = man["design"].get("seeds") == "common"
    cells, diffs = [], []
    for m in chosen:
        col = f"metric.{m}"
        for vals, g in ok.groupby([pcols[k] for k in keys], sort=False):
            cells.append(
                {**dict(zip(keys, vals, strict=True)), "metric": m, **mean_ci(g[col], level)}
            )
        groups = ok.groupby([pcols[k] for k in others], sort=False) if others else [((), ok)]
        for cell, g in groups:
            cell = cell if isinstance(cell, tuple) else (cell,)
            base = g[g[pcols[contrast]] == base_value].set_index("replicate")[col]
            for v in order[contrast][1:]:
                alt = g[g[pcols[contrast]] == v].set_index("replicate")[col]
                if paired:
                    both = pd.concat([alt, base], axis=1, keys=["a", "b"]).dropna()
                    d = paired_difference(both["a"], both["b"], level)
                else:
                    d = _welch(alt, base, level)
                diffs.append(
                    {
                        **dict(zip(others, cell, strict=True)),
                        "metric": m,
                        "contrast": contrast,
                        "value": v,
                        "baseline": base_value,
                        **d,
                    }
                )
    cells = pd.DataFrame(cells)
    differences = pd.DataFrame(diffs)
    if len(differences):
        differences["p_holm"] = holm(differences["p_value"].to_numpy(dtype=float))
    reps = replicate_table(ok, chosen, precision) if man["design"]["replicates"] > 1 else None
    info = {
        "replicates": reps,
        "precision": precision,
        "keys": keys,
        "contrast": contrast,
        "others": others,
        "paired": paired,
        "baseline": base_value,
        "order": order,
        "metrics": chosen,
        "name": man.get("name", ""),
    }
    return cells, differences, info


def markdown(cells, differences, info) -> str:
    c, others = info["contrast"], info["others"]
    how = (
        "paired by replicate (common seeds)"
        if info["paired"]
        else "Welch, unpaired (independent seeds)"
    )
    lines = [
        f"# Grid sweep: {info['name']}",
        "",
        f"Differences: `{c}` against `{info['baseline']}` in every cell of "
        f"{', '.join(f'`{o}`' for o in others) or 'the sweep'}, {how}; mean [95% CI], "
        "Holm-adjusted p over the whole table.",
        "",
    ]
    for m in info["metrics"]:
        d = differences[differences.metric == m]
        lines += [
            f"## {m}",
            "",
            "| " + " | ".join([*others, "value", "difference [95% CI]", "p (Holm)"]) + " |",
        ]
        lines.append("|" + "---|" * (len(others) + 3))
        for _, r in d.iterrows():
            if r["n_pairs"] >= 2 and r.get("sd_diff") == 0:
                txt = f"{fmt_g(r['diff'])} in every pair"
            else:
                txt = f"{fmt_g(r['diff'])} [{fmt_g(r['ci_low'])}, {fmt_g(r['ci_high'])}]"
            cells_txt = [str(r[o]) for o in others]
            lines.append(
                "| " + " | ".join([*cells_txt, str(r["value"]), txt, fmt_g(r["p_holm"])]) + " |"
            )
        lines.append("")
    lines.append("Means per cell: grid_cells.csv; response curves: fig_response.png.")
    if info.get("replicates") is not None and len(info["replicates"]):
        lines += [""] + replicate_lines(info["replicates"], info["precision"])
    return "\n".join(lines) + "\n"


def grid_analysis(
    out, metrics=None, *, figure: bool = True, contrast: str | None = None, precision=0.05
):
    """Write grid_cells.csv, grid_differences.csv, grid.md and fig_response.png; returns the
    ``sensitivity`` tuple (method, table, markdown, figure)."""
    cells, differences, info = analyze_grid(out, metrics, contrast=contrast, precision=precision)
    out = Path(out)
    atomic_write_bytes(out / "grid_cells.csv", cells.to_csv(index=False).encode())
    atomic_write_bytes(out / "grid_differences.csv", differences.to_csv(index=False).encode())
    md = markdown(cells, differences, info)
    atomic_write_bytes(out / "grid.md", md.encode())
    from sim.experiments import plots

    fig = plots.response_figure(cells, info, out) if figure else None
    plots.remove_stale(out, ("fig_response.png",), keep=[fig] if fig else [])
    return "grid", differences, md, fig
