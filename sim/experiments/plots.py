"""Figures of the experiments layer (matplotlib, Agg backend, syriasim's palette)."""

from __future__ import annotations

import contextlib
import math
import textwrap
from pathlib import Path

import numpy as np

from sim.viz import style


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    style.use_style()
    return plt


def _measure(col: str):
    m = style.measure(col)
    return m.ylabel, m.scale


COMPARE_FIGURES = ("fig_timeseries.png", "fig_effects.png", "fig_convergence.png")
# colours of variants that are not structures (scenario names): Okabe-Ito, colour-blind safe
OTHER_COLORS = ("#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#F0E442")


def remove_stale(out, names, keep=()) -> None:
    """Delete figures an earlier analysis wrote but this one did not (e.g. --no-figures)."""
    kept = {Path(k).name for k in keep}
    for name in names:
        if name not in kept:
            (Path(out) / name).unlink(missing_ok=True)


def variant_color(label: str, labels: list[str]) -> str:
    if label in style.STRUCTURE_COLORS:
        return style.structure_color(label)
    others = [x for x in labels if x not in style.STRUCTURE_COLORS]
    return OTHER_COLORS[others.index(label) % len(OTHER_COLORS)]


def variant_label(label: str) -> str:
    return style.structure_label(label) if label in style.STRUCTURE_COLORS else label


def compare_figures(result, out) -> list[Path]:
    """Time-series bands per structure and a forest plot of paired effects."""
    import pandas as pd

    plt = _plt()
    out = Path(out)
    paths = []
    bands = result.bands
    if bands is not None and len(bands):
        series = list(dict.fromkeys(bands["series"]))
        monthly = len(str(bands["x"].iloc[0])) == 7  # "YYYY-MM"
        n = len(series)
        fig, axes = plt.subplots(n, 1, figsize=(8, 2.4 * n), sharex=True, squeeze=False)
        for ax, col in zip(axes[:, 0], series, strict=True):
            ylabel, scale = _measure(col)
            if monthly:  # flows of the monthly table are summed over the month
                ylabel = ylabel.replace("per week", "per month").replace("/week", "/month")
            for s in result.structures:
                b = bands[(bands.series == col) & (bands.structure == s)]
                if b.empty:
                    continue
                x = b["x"]
                if not pd.api.types.is_numeric_dtype(x):
                    with contextlib.suppress(ValueError, TypeError):
                        x = pd.to_datetime(x)
                c = variant_color(s, result.structures)
                ax.plot(x, b["mean"] * scale, color=c, lw=1.4, label=variant_label(s))
                ax.fill_between(
                    x, b["ci_low"] * scale, b["ci_high"] * scale, color=c, alpha=0.2, lw=0
                )
            ax.set_ylabel(textwrap.fill(ylabel, 26), fontsize=8)
        axes[0, 0].legend(loc="upper left", ncols=2, frameon=False)
        axes[0, 0].set_title(
            f"{result.track or 'scenarios'}: mean and 95% CI per variant (same seeds)"
        )
        st = style
        if pd.api.types.is_datetime64_any_dtype(pd.to_datetime(bands["x"], errors="coerce")):
            st.format_date_axis(
                axes[-1, 0], st.MONTH_LABEL if "-" in str(bands["x"].iloc[0])[:7] else st.DATE_LABEL
            )
        fig.tight_layout()
        paths.append(style.save_figure(fig, out / "fig_timeseries.png"))
        plt.close(fig)

    d = result.differences
    if d is not None and len(d):
        metrics = list(dict.fromkeys(d["metric"]))
        others = [s for s in result.structures if s != result.baseline]
        ncol = min(3, len(metrics))
        nrow = math.ceil(len(metrics) / ncol)
        fig, axes = plt.subplots(
            nrow, ncol, figsize=(4.2 * ncol, 0.45 * len(others) * nrow + 1.3 * nrow), squeeze=False
        )
        for k, m in enumerate(metrics):
            ax = axes[k // ncol, k % ncol]
            sub = d[d.metric == m].set_index("structure")
            ys = list(range(len(others)))[::-1]
            for y, s in zip(ys, others, strict=True):
                if s not in sub.index:
                    continue
                r = sub.loc[s]
                lo, hi, mid = float(r["ci_low"]), float(r["ci_high"]), float(r["diff"])
                c = variant_color(s, result.structures)
                if math.isfinite(lo) and math.isfinite(hi):
                    ax.plot([lo, hi], [y, y], color=c, lw=2)
                ax.plot([mid], [y], "o", color=c)
            ax.axvline(0, color="#444444", lw=0.8)
            ax.set_yticks(ys, [s for s in others])
            ax.set_title(m, fontsize=9)
        for k in range(len(metrics), nrow * ncol):
            axes[k // ncol, k % ncol].set_visible(False)
        fig.suptitle(f"Paired difference vs {result.baseline} (mean, 95% CI)")
        fig.tight_layout()
        paths.append(style.save_figure(fig, out / "fig_effects.png"))
        plt.close(fig)
    curve = result.curve
    if curve is not None and len(curve):
        paths.append(convergence_figure(curve, result, out))
    return paths


def convergence_figure(curve, result, out) -> Path:
    """Half-width of each paired difference's CI against the replicates used (log-log), with
    the sd/sqrt(n) law through the last point and the target precision."""
    plt = _plt()
    metrics = list(dict.fromkeys(curve["metric"]))
    ncol = min(3, len(metrics))
    nrow = math.ceil(len(metrics) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.0 * nrow), squeeze=False)
    conv = result.convergence
    for k, m in enumerate(metrics):
        ax = axes[k // ncol, k % ncol]
        for s in dict.fromkeys(curve.loc[curve.metric == m, "structure"]):
            c = curve[(curve.metric == m) & (curve.structure == s)]
            c = c[np.isfinite(c["half_width"]) & (c["half_width"] > 0)]
            if c.empty:
                continue
            color = variant_color(s, result.structures)
            ax.plot(c["n"], c["half_width"], "o-", color=color, lw=1.2, ms=3, label=s)
        if conv is not None and len(conv):
            tgt = conv.loc[conv.metric == m, "target"]
            if len(tgt) and np.isfinite(tgt.iloc[0]) and tgt.iloc[0] > 0:
                ax.axhline(tgt.iloc[0], color="#444444", lw=0.8, ls="--", label="target")
        with contextlib.suppress(ValueError):
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
        ax.set_xlabel("replicates (first n seeds)")
        ax.set_ylabel("95% CI half-width")
        ax.set_title(m, fontsize=9)
        if k == 0:
            ax.legend(frameon=False, fontsize=7)
    for k in range(len(metrics), nrow * ncol):
        axes[k // ncol, k % ncol].set_visible(False)
    fig.suptitle(f"Convergence of the paired differences vs {result.baseline}")
    fig.tight_layout()
    path = style.save_figure(fig, Path(out) / "fig_convergence.png")
    plt.close(fig)
    return path


def sensitivity_figure(table, method: str, out) -> Path | None:
    if table is None or not len(table):
        return None
    plt = _plt()
    metrics = list(dict.fromkeys(table["metric"]))
    n = len(metrics)
    ncol = min(2, n)
    nrow = math.ceil(n / ncol)
    params = list(dict.fromkeys(table["parameter"]))
    fig, axes = plt.subplots(
        nrow, ncol, figsize=(6 * ncol, 0.35 * len(params) * nrow + 1.5 * nrow), squeeze=False
    )
    for k, m in enumerate(metrics):
        ax = axes[k // ncol, k % ncol]
        sub = table[table.metric == m].set_index("parameter").reindex(params)
        ys = list(range(len(params)))[::-1]
        if method == "sobol":
            h = 0.38
            ax.barh(
                [y + h / 2 for y in ys],
                sub["S1"],
                height=h,
                xerr=sub["S1_conf"],
                label="S1 (first order)",
                color="#0072B2",
                capsize=2,
            )
            ax.barh(
                [y - h / 2 for y in ys],
                sub["ST"],
                height=h,
                xerr=sub["ST_conf"],
                label="ST (total)",
                color="#E69F00",
                capsize=2,
            )
            ax.set_xlabel("Sobol index (95% CI)")
            lo = min(-0.1, float(np.nanmin(sub[["S1", "ST"]].to_numpy())))
            hi = max(1.05, float(np.nanmax(sub[["S1", "ST"]].to_numpy())))
            if (
                lo < -0.5 or hi > 1.5
            ):  # a near-constant or noisy metric: keep the [0, 1] scale readable
                ax.set_xlim(max(lo, -0.5) - 0.05, min(hi, 1.5) + 0.05)
                ax.set_title(f"{m} (clipped: unreliable estimates)", fontsize=9)
        elif method == "morris":
            ax.barh(
                ys,
                sub["mu_star"],
                xerr=sub["mu_star_conf"],
                color="#0072B2",
                capsize=2,
                label="mu* (95% CI)",
            )
            ax.plot(sub["sigma"], ys, "D", color="#D55E00", label="sigma")
            ax.set_xlabel("Morris elementary effects")
        else:
            ax.barh(
                ys, sub["S1"], xerr=sub["S1_conf"], color="#0072B2", capsize=2, label="S1 (95% CI)"
            )
            ax.set_xlabel("first-order index")
        ax.set_yticks(ys, params)
        ax.axvline(0, color="#444444", lw=0.6)
        if not ax.get_title():
            ax.set_title(m, fontsize=9)
        if k == 0:
            ax.legend(frameon=False, fontsize=7)
    for k in range(n, nrow * ncol):
        axes[k // ncol, k % ncol].set_visible(False)
    fig.tight_layout()
    path = style.save_figure(fig, Path(out) / "fig_sensitivity.png")
    plt.close(fig)
    return path


def discover_figure(res, out) -> Path:
    """PRIM's coverage/density trade-off (each peeling step a point, coloured by the number of
    restricted parameters), the reported box circled."""
    plt = _plt()
    t = res.tradeoff
    fig, ax = plt.subplots(figsize=(5.6, 4.2))
    sc = ax.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", s=22, zorder=3)
    if res.method == "prim":
        ax.plot(t["coverage"], t["density"], color="#999999", lw=0.8, zorder=2)
    if res.chosen >= 0:
        r = t[t.box == res.chosen].iloc[0]
        ax.scatter([r["coverage"]], [r["density"]], s=140, facecolors="none", edgecolors="#D55E00")
        ax.annotate(
            f"box {res.chosen}",
            (r["coverage"], r["density"]),
            xytext=(6, -12),
            textcoords="offset points",
            fontsize=8,
            color="#D55E00",
        )
    ax.set_xlabel("coverage (share of all cases in the box)")
    ax.set_ylabel("density (share of the box that are cases)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    fig.colorbar(sc, ax=ax, label="restricted parameters")
    rel = "<" if res.below else ">"
    ax.set_title(f"{res.method.upper()}: {res.metric} {rel} {res.threshold:g}", fontsize=9)
    fig.tight_layout()
    path = style.save_figure(fig, Path(out) / "fig_discover.png")
    plt.close(fig)
    return path


def response_figure(cells, info, out) -> Path | None:
    """Each metric against the first numeric non-contrast parameter (or the contrast's values),
    one line with its 95% band per contrast value, averaged over any further parameters."""
    import pandas as pd

    if cells is None or not len(cells):
        return None
    plt = _plt()
    c, others = info["contrast"], info["others"]
    numeric = [o for o in others if pd.api.types.is_numeric_dtype(cells[o])]
    x = numeric[0] if numeric else (others[0] if others else None)
    metrics = info["metrics"]
    ncol = min(2, len(metrics))
    nrow = math.ceil(len(metrics) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(5.2 * ncol, 3.4 * nrow), squeeze=False)
    labels = [str(v) for v in info["order"][c]]
    for k, m in enumerate(metrics):
        ax = axes[k // ncol, k % ncol]
        sub = cells[cells.metric == m]
        for v in info["order"][c]:
            g = sub[sub[c] == v]
            color = variant_color(str(v), labels)
            if x is None:  # only the contrast varies: one point per value
                ax.errorbar(
                    [str(v)],
                    g["mean"],
                    yerr=[g["mean"] - g["ci_low"], g["ci_high"] - g["mean"]],
                    fmt="o",
                    color=color,
                    capsize=3,
                )
                continue
            # average over further parameters: weighted by runs, band from the pooled cells
            agg = (
                g.groupby(x, sort=True)
                .apply(
                    lambda d: pd.Series(
                        {
                            "mean": np.average(d["mean"], weights=d["n"]),
                            "lo": np.average(d["ci_low"], weights=d["n"]),
                            "hi": np.average(d["ci_high"], weights=d["n"]),
                        }
                    ),
                    include_groups=False,
                )
                .reset_index()
            )
            xs = agg[x] if x in numeric else agg[x].astype(str)
            ax.plot(xs, agg["mean"], "o-", color=color, lw=1.4, ms=3, label=f"{v}")
            ax.fill_between(xs, agg["lo"], agg["hi"], color=color, alpha=0.18, lw=0)
        ax.set_title(m, fontsize=9)
        if x is not None:
            ax.set_xlabel(
                x
                + (
                    " (averaged over " + ", ".join(o for o in others if o != x) + ")"
                    if len(others) > 1
                    else ""
                ),
                fontsize=8,
            )
        if k == 0 and x is not None:
            ax.legend(title=c, frameon=False, fontsize=7, title_fontsize=7)
    for k in range(len(metrics), nrow * ncol):
        axes[k // ncol, k % ncol].set_visible(False)
    fig.suptitle(f"Response curves: mean and 95% CI per value of {c}", fontsize=10)
    fig.tight_layout()
    path = style.save_figure(fig, Path(out) / "fig_response.png")
    plt.close(fig)
    return path
