"""Small helpers for the teaching notebook: paired runs over a few seeds, a table and a bar chart.

    from sim.viz.teaching import structure_variants, paired_table, metric_bars
    variants = structure_variants("access", ["timeline", "multilateral", "none"])
    table = paired_table(variants, seeds=range(8), metrics=["access_reached_frac_best_12m"])
    metric_bars(table, "access_reached_frac_best_12m")

Every variant runs on the same seeds (common random numbers), so the paired difference against
the first variant is the structure's doing, not luck.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.plugins import TRACKS
from sim.viz import style
from sim.viz.cases import get_case, scenario_path


@dataclass(frozen=True)
class Variant:
    label: str
    colour_key: str  # a key of style.STRUCTURE_COLORS
    scenario: object  # sim.scenario.Scenario


def structure_variants(case: str, structures: Sequence[str]) -> list[Variant]:
    """One variant per structure on the case study's track (every track for the history)."""
    from sim import load_scenario

    c = get_case(case)
    base = load_scenario(scenario_path(c))
    tracks = [c.track] if c.track else list(TRACKS)
    return [
        Variant(
            style.structure_label(s),
            s,
            base.with_overrides({f"tracks.{t}.structure": s for t in tracks}),
        )
        for s in structures
    ]


def paired_table(
    variants: Sequence[Variant], seeds: Iterable[int], metrics: Sequence[str]
) -> pd.DataFrame:
    """Mean, 90% range and paired difference vs the first variant, per variant and metric."""
    from sim import run

    seeds = list(seeds)
    values = {v.label: {m: [] for m in metrics} for v in variants}
    for v in variants:
        for seed in seeds:
            res = run(v.scenario, seed=seed)
            for m in metrics:
                values[v.label][m].append(float(res.metrics[m]))
    base = variants[0].label
    rows = []
    for v in variants:
        for m in metrics:
            x = np.asarray(values[v.label][m])
            d = x - np.asarray(values[base][m])
            rows.append(
                {
                    "variant": v.label,
                    "colour_key": v.colour_key,
                    "metric": m,
                    "mean": x.mean(),
                    "p5": np.percentile(x, 5),
                    "p95": np.percentile(x, 95),
                    f"diff_vs_{base}": d.mean(),
                    "diff_se": d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else np.nan,
                    "seeds": len(x),
                }
            )
    return pd.DataFrame(rows)


METRIC_LABELS = {
    "cw_removed_frac_final": ("Declared stockpile removed", "share, 0 to 1"),
    "cw_weeks_to_95pct": ("Weeks to remove 95% of the stockpile", "weeks"),
    "chem_attacks_after_framework": ("Chemical attacks after the framework", "attacks"),
    "access_reached_frac_mean_12m": ("Besieged reached per month, 12-month mean", "share"),
    "access_reached_frac_best_12m": ("Besieged reached, best month", "share"),
    "ceasefire_mean_duration_weeks": ("Ceasefire duration (mean)", "weeks"),
    "ceasefire_violence_drop_4w": ("Violence drop in a ceasefire's first 4 weeks", "share"),
    "ceasefire_violations_total": ("Ceasefire violations", "incidents"),
    "trust_mean": ("US-Russia trust (mean)", "index, 0 to 1"),
    "trust_final": ("US-Russia trust at the end", "index, 0 to 1"),
    "escalation_max": ("Peak escalation risk", "index, 0 to 1"),
    "escalation_mean": ("Escalation risk (mean)", "index, 0 to 1"),
}


def metric_bars(
    table: pd.DataFrame,
    metrics: Sequence[str] | None = None,
    *,
    title: str | None = None,
    width: float = 3.2,
) -> Figure:
    """One panel per metric: a bar per variant (structure colour), 5-95% range as error bar."""
    metrics = list(metrics or dict.fromkeys(table["metric"]))
    with style.RcContext():
        fig = Figure(figsize=(width * len(metrics), 3.4), layout="constrained")
        axes = fig.subplots(1, len(metrics), squeeze=False)[0]
        for ax, m in zip(axes, metrics, strict=True):
            t = table[table["metric"] == m]
            x = np.arange(len(t))
            colours = [style.structure_color(k) for k in t["colour_key"]]
            err = np.vstack([t["mean"] - t["p5"], t["p95"] - t["mean"]]).clip(min=0)
            ax.bar(x, t["mean"], color=colours, yerr=err, capsize=3, ecolor="#444444")
            ax.set_xticks(x, [lbl.split(" (")[0] for lbl in t["variant"]], rotation=20, ha="right")
            name, unit = METRIC_LABELS.get(m, (m.replace("_", " "), ""))
            ax.set_title(name, fontsize=9)
            ax.set_ylabel(unit)
            ax.grid(axis="x", visible=False)
        if title:
            fig.suptitle(title)
    return fig
