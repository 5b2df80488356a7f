"""`syriasim report-history`: the historical scenario against the record.

Runs the scenario (and the counterfactual structures the targets need) over N seeds, writes the
target table (target, observed, model mean, model 5-95% range, pass/fail) as CSV and Markdown,
and draws the model's series (median and 5-95% band across seeds) over the observed points.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration.runs import Runner, default_runner, make_executor, run_quantities
from sim.calibration.targets import (
    BASE_VARIANT,
    Target,
    TargetResult,
    default_targets_path,
    results_frame,
    score,
)
from sim.errors import UserError
from sim.io_safety import read_text

MONTHLY_COLUMNS = (
    "cw_removed_frac",
    "chem_attacks",
    "besieged_reached_frac",
    "aid_requested",
    "aid_approved",
    "aid_reached",
    "besieged_pop",
    "violence",
    "ceasefire_active",
    "us_russia_trust",
    "escalation",
    "weeks",
    "pop_share_government",
    "pop_share_opposition",
    "pop_share_isil",
    "pop_share_kurdish",
)
REPORT_SERIES = ("cw_removed_frac", "ceasefire_active", "violence", "us_russia_trust")
CONTROLLERS = ("government", "opposition", "isil", "kurdish")


@dataclass(frozen=True)
class Observation:
    series: str
    date: dt.date
    value: float
    note: str
    source: str


def load_observations(path: str | Path | None = None) -> list[Observation]:
    """The ``[[observation]]`` points of a targets file (plotted, not scored)."""
    path = Path(path) if path is not None else default_targets_path()
    raw = tomllib.loads(read_text(path))
    out = []
    for i, entry in enumerate(raw.get("observation", [])):
        try:
            date = entry["date"]
            if isinstance(date, str):
                date = dt.date.fromisoformat(date)
            out.append(
                Observation(
                    str(entry["series"]),
                    date,
                    float(entry["value"]),
                    entry.get("note", ""),
                    entry["source"],
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise UserError(
                f"needs series, date (YYYY-MM-DD), value (number), source: {exc}",
                file=str(path),
                key=f"observation[{i}]",
            ) from None
    return out


@dataclass
class History:
    """Everything the report shows: target results and per-seed series of the scenario."""

    results: list[TargetResult]
    monthly: list[pd.DataFrame]
    weekly: list[pd.DataFrame]
    metrics: list[dict]
    seeds: list[int]
    events: list[dict] = field(default_factory=list)

    @property
    def table(self) -> pd.DataFrame:
        return results_frame(self.results)

    @property
    def all_pass(self) -> bool:
        return all(r.passed for r in self.results)


def _frames_and_quantities(task):
    runner, scenario, seed, quantities = task
    result = runner(scenario, seed)
    ts, mo, metrics = result.timeseries, result.monthly, dict(getattr(result, "metrics", {}) or {})
    values = [q.evaluate(ts, mo, metrics) for q in quantities]
    m_cols = ["month"] + [c for c in MONTHLY_COLUMNS if c in mo.columns]
    w_cols = ["date"] + [c for c in REPORT_SERIES if c in ts.columns]
    return values, mo[m_cols].copy(), ts[w_cols].copy(), metrics


def collect_history(
    scenario,
    targets: Sequence[Target],
    seeds: Sequence[int],
    *,
    jobs: int = 2,
    runner: Runner = default_runner,
) -> History:
    """Run the scenario over the seeds (keeping its series) and every target structure."""
    from sim.calibration.targets import quantities_by_variant, quantity_key

    seeds = [int(s) for s in seeds]
    by_variant = quantities_by_variant(targets)
    base_quantities = by_variant.pop(BASE_VARIANT, [])
    executor = make_executor(jobs)
    try:
        tasks = [(runner, scenario, s, base_quantities) for s in seeds]
        if executor is None:
            outputs = [_frames_and_quantities(t) for t in tasks]
        else:
            outputs = list(executor.map(_frames_and_quantities, tasks))
        per_seed: dict[tuple, list[float]] = {}
        for values, *_ in outputs:
            for q, v in zip(base_quantities, values, strict=True):
                per_seed.setdefault(quantity_key(q), []).append(v)
        others = [t for t in targets if any(q.variant != BASE_VARIANT for q in t.quantities)]
        if others:
            extra = run_quantities(
                scenario, others, seeds, jobs=jobs, executor=executor, runner=runner
            )
            for key, values in extra.items():
                per_seed.setdefault(key, values)
    finally:
        if executor is not None:
            executor.shutdown()
    events = scenario.events() if hasattr(scenario, "events") and callable(scenario.events) else []
    return History(
        results=score(targets, per_seed),
        monthly=[o[1] for o in outputs],
        weekly=[o[2] for o in outputs],
        metrics=[o[3] for o in outputs],
        seeds=seeds,
        events=list(events),
    )


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


def _fmt(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if isinstance(x, bool | np.bool_):
        return "PASS" if x else "FAIL"
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)


def table_markdown(
    table: pd.DataFrame, title: str = "Historical scenario against the record"
) -> str:
    lines = [
        f"# {title}",
        "",
        f"{int(table['pass'].sum())} of {len(table)} targets pass "
        f"(model mean over {int(table['seeds'].max()) if len(table) else 0} seeds).",
        "",
        "| target | group | observed | rule | model mean | model 5-95% | pass |",
        "|---|---|---|---|---|---|---|",
    ]
    for _, r in table.iterrows():
        observed = _fmt(r["observed"]) + (
            f" ({r['observed_note']})" if r.get("observed_note") else ""
        )
        lines.append(
            f"| `{r['id']}`: {r['description']} | {r['group']} | {observed} | {r['rule']} | "
            f"{_fmt(r['model_mean'])} | {_fmt(r['model_p05'])} – {_fmt(r['model_p95'])} | {_fmt(bool(r['pass']))} |"
        )
    if "t_stat" in table.columns:
        weak = table[(table["group"] == "counterfactual") & (table["t_stat"].abs() < 2)]
        if len(weak):
            lines += [
                "",
                "Counterfactual orderings whose mean difference is within noise over these seeds "
                "(|mean / standard error| < 2), to read with care: "
                + ", ".join(
                    f"`{i}` (t = {t:.2g})" for i, t in zip(weak["id"], weak["t_stat"], strict=True)
                )
                + ".",
            ]
    lines += ["", "## Sources", ""]
    lines += [f"- `{r['id']}`: {r['source']}" for _, r in table.iterrows()]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def _band(frames: Sequence[pd.DataFrame], column: str, index: str) -> pd.DataFrame | None:
    """Median and 5-95% quantiles of a column across seeds, indexed by date."""
    series = [f.set_index(index)[column] for f in frames if column in f.columns]
    if not series:
        return None
    wide = pd.concat(series, axis=1)
    if index == "month":
        wide.index = pd.to_datetime(wide.index.astype(str) + "-15")
    else:
        wide.index = pd.to_datetime(wide.index)
    wide = wide.astype(float)
    return pd.DataFrame(
        {
            "median": wide.median(axis=1),
            "mean": wide.mean(axis=1),
            "p05": wide.quantile(0.05, axis=1),
            "p95": wide.quantile(0.95, axis=1),
        }
    )


def _finish(fig, path: Path) -> Path:
    """Lay out, save (atomically) and release one figure."""
    import matplotlib.pyplot as plt

    from sim.viz.style import save_figure

    fig.tight_layout()
    path = save_figure(fig, path)
    plt.close(fig)
    return path


def _legend(ax, **kwargs) -> None:
    """A legend only when something is labelled (short test runs may draw nothing)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**kwargs)


def _plot_band(
    ax, band: pd.DataFrame | None, color: str, label: str, scale: float = 1.0, mean: bool = False
):
    if band is None:
        ax.text(
            0.5, 0.5, "not reported by the model", transform=ax.transAxes, ha="center", color="grey"
        )
        return
    ax.fill_between(
        band.index, band["p05"] * scale, band["p95"] * scale, color=color, alpha=0.25, lw=0
    )
    ax.plot(
        band.index,
        band["median"] * scale,
        color=color,
        lw=1.5,
        label=f"{label} (median, 5–95% band)",
    )
    if mean:
        ax.plot(
            band.index, band["mean"] * scale, color=color, lw=1, ls="--", label=f"{label} (mean)"
        )


def _event_lines(ax, events, types=None, labels=True):
    from sim.viz.style import EVENT_LINE

    for ev in events:
        if types and ev.get("type") not in types:
            continue
        date = pd.Timestamp(ev["date"])
        ax.axvline(date, color=EVENT_LINE, lw=0.7, ls=":", zorder=0)
        if labels:
            ax.text(
                date,
                0.98,
                f" {ev['id']}",
                transform=ax.get_xaxis_transform(),
                rotation=90,
                va="top",
                ha="left",
                fontsize=6,
                color=EVENT_LINE,
            )


def _obs(observations, series):
    return [o for o in observations if o.series == series]


def draw_figures(
    history: History, observations: Sequence[Observation], out_dir: str | Path
) -> list[Path]:
    """Draw the five history figures as PNG files in ``out_dir``; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.viz.style import (
        CEASEFIRE_SHADE,
        RcContext,
        actor_color,
        actor_label,
        format_date_axis,
    )

    out_dir = Path(out_dir)
    paths: list[Path] = []
    mo, wk, events = history.monthly, history.weekly, history.events
    n = len(history.seeds)
    with RcContext():
        # 1. Chemical stockpile removed (weekly, the shipments took 24 weeks)
        fig, (ax, ax2) = plt.subplots(2, 1, figsize=(8, 6), height_ratios=(2, 1))
        band = _band(wk, "cw_removed_frac", "date")
        if band is not None:
            band = band.loc["2013-08-01":"2014-12-31"]
        _plot_band(ax, band, actor_color("un"), f"model, {n} seeds", 100)
        obs = _obs(observations, "cw_removed_frac")
        ax.scatter(
            [pd.Timestamp(o.date) for o in obs],
            [o.value * 100 for o in obs],
            color="black",
            zorder=5,
            label="observed (OPCW)",
        )
        ax.hlines(
            95,
            pd.Timestamp("2014-06-01"),
            pd.Timestamp("2014-06-30"),
            color="red",
            lw=2,
            label="target: ≥ 95% by end June 2014",
        )
        _event_lines(
            ax,
            [
                e
                for e in events
                if e.get("track", None) in (None, "chemical")
                and e.get("type") in ("cw_framework", "us_strike")
            ],
        )
        ax.set_ylabel("Declared stockpile removed (%)")
        ax.set_ylim(-2, 105)
        ax.set_title("Chemical weapons: declared stockpile removed")
        _legend(ax, loc="center left")
        format_date_axis(ax, "Date (weekly steps)")
        band = _band(mo, "chem_attacks", "month")
        _plot_band(ax2, band, actor_color("government"), "chemical attacks per month")
        obs = _obs(observations, "chem_attacks")
        for o in obs:
            ax2.axvline(pd.Timestamp(o.date), color="black", lw=0.8, ls="--")
            ax2.text(
                pd.Timestamp(o.date),
                0.95,
                f" {o.note}",
                transform=ax2.get_xaxis_transform(),
                fontsize=6,
                va="top",
            )
        ax2.set_ylabel("Attacks per month")
        _legend(ax2, loc="upper left")
        format_date_axis(ax2, "Month")
        paths.append(_finish(fig, out_dir / "history_chemical.png"))

        # 2. Share of besieged reached per month, 2015-2017
        fig, ax = plt.subplots(figsize=(8, 4))
        band = _band(mo, "besieged_reached_frac", "month")
        if band is not None:
            band = band.loc["2015-01-01":"2017-12-31"]
        _plot_band(ax, band, actor_color("un"), f"model, {n} seeds", 100, mean=True)
        ax.hlines(
            1,
            pd.Timestamp("2015-01-01"),
            pd.Timestamp("2015-12-31"),
            color="black",
            lw=2,
            label="observed 2015: < 1% per month",
        )
        ax.fill_between(
            [pd.Timestamp("2016-01-01"), pd.Timestamp("2016-12-31")],
            30,
            50,
            color="black",
            alpha=0.08,
            lw=0,
        )
        ax.hlines(
            40,
            pd.Timestamp("2016-01-01"),
            pd.Timestamp("2016-12-31"),
            color="black",
            lw=1.5,
            ls="--",
            label="observed 2016: best month near 40% (target 30–50%)",
        )
        ax.scatter(
            [pd.Timestamp("2016-12-15")],
            [0.65],
            marker="x",
            color="red",
            zorder=5,
            label="observed Dec 2016: 0.65% of people requested reached",
        )
        _event_lines(
            ax,
            [
                e
                for e in events
                if e.get("type") in ("access_regime", "cross_border_aid", "airdrops")
                and pd.Timestamp(e["date"]) >= pd.Timestamp("2015-01-01")
            ],
        )
        ax.set_ylabel("Besieged people reached in the month (%)")
        ax.set_ylim(0, 100)
        ax.set_xlim(pd.Timestamp("2014-12-01"), pd.Timestamp("2018-01-15"))
        ax.set_title("Humanitarian access: share of besieged people reached per month, 2015–2017")
        _legend(ax, loc="upper right")
        format_date_axis(ax, "Month")
        paths.append(_finish(fig, out_dir / "history_access.png"))

        # 3. Violence per month with ceasefire periods shaded (per week, so 4- and 5-week months compare)
        fig, ax = plt.subplots(figsize=(9, 4))
        per_week = [
            f.assign(violence=f["violence"] / f["weeks"].where(f["weeks"] > 0))
            if "weeks" in f.columns
            else f
            for f in mo
        ]
        band = _band(per_week, "violence", "month")
        _plot_band(ax, band, actor_color("government"), f"model, {n} seeds")
        shade = _band(wk, "ceasefire_active", "date")
        if shade is not None:
            on = shade["median"] >= 0.5
            start = None
            for date, flag in on.items():
                if flag and start is None:
                    start = date
                elif not flag and start is not None:
                    ax.axvspan(start, date, color=CEASEFIRE_SHADE, alpha=0.5, lw=0)
                    start = None
            if start is not None:
                ax.axvspan(start, on.index[-1], color=CEASEFIRE_SHADE, alpha=0.5, lw=0)
            ax.axvspan(
                on.index[0],
                on.index[0],
                color=CEASEFIRE_SHADE,
                alpha=0.5,
                label="ceasefire in force (median run)",
            )
        _event_lines(
            ax,
            [e for e in events if e.get("type") in ("ceasefire", "channel_suspended", "observers")],
        )
        ax.set_ylabel("Violence (conflict deaths per week, monthly mean)")
        ax.set_title("Violence per month, 2012–2017, with ceasefire periods shaded")
        _legend(ax, loc="upper left")
        format_date_axis(ax, "Month")
        paths.append(_finish(fig, out_dir / "history_violence.png"))

        # 4. US-Russia trust with events marked
        fig, ax = plt.subplots(figsize=(9, 4))
        band = _band(mo, "us_russia_trust", "month")
        _plot_band(ax, band, actor_color("russia"), f"model, {n} seeds")
        _event_lines(ax, events)
        ax.set_ylabel("US–Russia trust (0 to 1)")
        ax.set_ylim(0, 1)
        ax.set_title("US–Russia trust, with the scenario's decisions marked")
        _legend(ax, loc="lower left")
        format_date_axis(ax, "Month")
        paths.append(_finish(fig, out_dir / "history_trust.png"))

        # 5. Population share by controller
        fig, ax = plt.subplots(figsize=(9, 4))
        for i, ctrl in enumerate(CONTROLLERS):
            band = _band(mo, f"pop_share_{ctrl}", "month")
            if band is None:
                continue
            _plot_band(ax, band, actor_color(ctrl), actor_label(ctrl), 100)
            obs = _obs(observations, f"pop_share_{ctrl}")
            shift = pd.Timedelta(days=45 * (i - 1.5))  # side by side where observed shares coincide
            ax.scatter(
                [pd.Timestamp(o.date) + shift for o in obs],
                [o.value * 100 for o in obs],
                color=actor_color(ctrl),
                edgecolor="black",
                zorder=5,
                marker="D",
            )
        ax.scatter(
            [],
            [],
            color="white",
            edgecolor="black",
            marker="D",
            label="observed, early 2016 (approximate)",
        )
        ax.set_ylabel("Population share (%)")
        ax.set_ylim(0, 100)
        ax.set_title("Population by controller")
        _legend(ax, loc="upper right", ncols=2)
        format_date_axis(ax, "Month")
        paths.append(_finish(fig, out_dir / "history_population.png"))
    return paths


def report_history(
    scenario,
    targets: Sequence[Target],
    seeds: Sequence[int],
    out_dir: str | Path,
    *,
    jobs: int = 2,
    targets_path: str | Path | None = None,
    figures: bool = True,
    runner: Runner = default_runner,
) -> tuple[History, dict[str, Path]]:
    """Run, score, and write ``targets.csv``, ``targets.md`` and the figures into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    history = collect_history(scenario, targets, seeds, jobs=jobs, runner=runner)
    table = history.table
    files = {"csv": out_dir / "targets.csv", "md": out_dir / "targets.md"}
    table.to_csv(files["csv"], index=False)
    files["md"].write_text(table_markdown(table), encoding="utf-8")
    if figures:
        for path in draw_figures(history, load_observations(targets_path), out_dir):
            files[path.stem] = path
    return history, files
