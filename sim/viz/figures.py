"""Matplotlib figures of syriasim: the territory map and the goal-measure charts.

The functions here take plain data (a `MapData`, pandas DataFrames of the weekly time series)
so that the browser app, `syriasim figure` and the notebooks draw exactly the same pictures.
They build `matplotlib.figure.Figure` objects directly (no pyplot state), which is thread-safe
enough for the Solara server and leaks no figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from sim.viz import style

# Syria's bounding box (degrees), with a small margin, so every map has the same frame.
LON_RANGE = (35.4, 42.6)
LAT_RANGE = (32.2, 37.5)


@dataclass
class MapData:
    """What the map needs about the territory, one entry per area (arrays of equal length)."""

    lat: np.ndarray
    lon: np.ndarray
    controller: list[str]  # actor key per area (government, opposition, isil, kurdish, ...)
    population: np.ndarray
    besieged: np.ndarray  # bool per area
    hard_to_reach: np.ndarray  # bool per area
    names: list[str]
    edges: list[tuple[int, int]] = field(default_factory=list)  # pairs of area indices
    # Events of the week: (kind, area index, origin area index or None); kind in style.EVENT_STYLES
    events: list[tuple[str, int, int | None]] = field(default_factory=list)
    date: date | None = None


@dataclass
class Series:
    """One run's weekly time series to draw as a line, with the structure that colours it."""

    structure: str  # key of style.STRUCTURE_COLORS
    frame: pd.DataFrame  # needs a `date` column plus the measure columns
    label: str | None = None

    @property
    def display_label(self) -> str:
        return self.label or style.structure_label(self.structure)


def add_derived_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Add the columns the charts use that are ratios of output columns (no copy if present)."""
    out = df
    if "date" in out.columns and not pd.api.types.is_datetime64_any_dtype(out["date"]):
        out = out.assign(date=pd.to_datetime(out["date"]))
    if "besieged_reached_share" not in out.columns and {"besieged_reached", "besieged_pop"} <= set(
        out.columns
    ):
        pop = out["besieged_pop"].astype(float).replace(0, np.nan)
        share = (out["besieged_reached"].astype(float) / pop).clip(0, 1).fillna(0.0)
        out = out.assign(besieged_reached_share=share)
    if (
        "besieged_reached_mtd" not in out.columns
        and {"besieged_reached", "besieged_pop", "date"} <= set(out.columns)
        and len(out)
    ):
        # month to date, as the UN counts it (and as monthly.csv's besieged_reached_frac):
        # distinct people reached in the month so far / mean people besieged in the month so far
        month = out["date"].dt.to_period("M")
        reached = out["besieged_reached"].astype(float).groupby(month).cumsum()
        pop = out["besieged_pop"].astype(float).groupby(month).expanding().mean()
        pop = pop.reset_index(level=0, drop=True).reindex(out.index)
        mtd = (reached / pop.where(pop > 0)).clip(0, 1).fillna(0.0)
        out = out.assign(besieged_reached_mtd=mtd)
    return out


# --- the map -------------------------------------------------------------------------------------
# Map text in points: 10.5 pt is 14 CSS px when a figure is shown at 96 px per inch (the app's
# images are sized so), the smallest a class reads on a projector.
MAP_FONT = 10.5
# Event kinds always in the legend (a complete key, whether or not this week has them).
MAP_EVENT_KINDS = ("convoy", "convoy_blocked", "strike", "violation")


def draw_map(
    ax, data: MapData, *, title: str | None = None, legend: bool = True, label_areas: bool = True
) -> None:
    """Draw the areas as cells of Syria's map on `ax`.

    Each area is the Voronoi cell of its point inside Syria's outline (sim.viz.geo), filled with
    its controller's colour; besieged cells are hatched, hard-to-reach ones edged with a dashed
    line; this week's events are drawn on top.
    """
    draw_map_background(ax, data, label_areas=label_areas)
    draw_map_state(ax, data)
    if title:
        ax.set_title(title)
    if legend:
        ax.legend(handles=map_legend_handles(data), loc="upper left", framealpha=0.9)


def draw_map_background(ax, data: MapData, *, label_areas: bool = True) -> None:
    """What does not change from week to week: the neighbours, the sea, and (unless the caller
    redraws them above the cells each frame) Syria's border and the cities' names."""
    from sim.viz import geo

    for shape in geo.neighbours().values():
        for ring in geo.polygon_rings(shape):
            ax.fill(ring[:, 0], ring[:, 1], color="#F2F2F2", ec="#C8C8C8", lw=0.6, zorder=0)
    if label_areas:
        draw_map_overlay(ax, data)
    ax.set_xlim(*LON_RANGE)
    ax.set_ylim(*LAT_RANGE)
    ax.set_aspect(1.0 / np.cos(np.deg2rad(35.0)))  # equal distances at Syria's latitude
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_facecolor("#DCEBF5")  # the sea (the Mediterranean west of Latakia)


def draw_map_overlay(ax, data: MapData, *, animated: bool = False) -> list:
    """Syria's border and the main cities' names, drawn above the cells."""
    from matplotlib import patheffects

    from sim.viz import geo

    artists = []
    for ring in geo.polygon_rings(geo.syria()):
        artists += ax.plot(
            ring[:, 0], ring[:, 1], color="#333333", lw=1.2, zorder=4.5, animated=animated
        )
    lon = np.asarray(data.lon, dtype=float)
    lat = np.asarray(data.lat, dtype=float)
    halo = [patheffects.withStroke(linewidth=3, foreground="white")]
    for i, name in enumerate(data.names):
        label = geo.CITY_LABELS.get(name)
        if label is None:
            continue
        artists += ax.plot(
            lon[i], lat[i], "o", ms=3.5, color="#222222", zorder=6, animated=animated
        )
        east = lon[i] > 40.5  # names near the eastern border are written to the left
        artists.append(
            ax.annotate(
                label,
                (lon[i], lat[i]),
                xytext=(-4 if east else 4, 3),
                ha="right" if east else "left",
                textcoords="offset points",
                fontsize=MAP_FONT,
                color="#111111",
                zorder=6,
                path_effects=halo,
                animated=animated,
            )
        )
    return artists


def draw_map_state(
    ax, data: MapData, *, animated: bool = False, differ: np.ndarray | None = None
) -> list:
    """This week's state: cells by controller, sieges hatched, events, and (side by side) the
    cells whose controller or siege differs from the other run outlined. Returns the artists."""
    from matplotlib.collections import PolyCollection

    from sim.viz import geo

    lon = np.asarray(data.lon, dtype=float)
    lat = np.asarray(data.lat, dtype=float)
    n = len(lon)
    cells = geo.area_cells(lon, lat)
    polys, colors, owner = [], [], []
    for i, cell in enumerate(cells):
        for ring in geo.polygon_rings(cell):
            polys.append(ring)
            colors.append(style.actor_color(data.controller[i]))
            owner.append(i)
    owner = np.asarray(owner)
    artists = [
        ax.add_collection(
            PolyCollection(
                polys,
                facecolors=colors,
                edgecolors="white",
                linewidths=0.4,
                zorder=2,
                animated=animated,
            )
        )
    ]
    besieged = np.asarray(data.besieged, dtype=bool)
    htr = np.asarray(data.hard_to_reach, dtype=bool) & ~besieged
    for mask, hatch_kw in (
        (besieged, {"hatch": "////", "edgecolors": "black", "linewidths": 1.2}),
        (htr, {"edgecolors": "#333333", "linewidths": 1.0, "linestyles": "--"}),
    ):
        chosen = [p for p, i in zip(polys, owner, strict=True) if mask[i]]
        if chosen:
            dark = [style.actor_key(data.controller[i]) == "isil" for i in owner if mask[i]]
            artists.append(
                ax.add_collection(
                    PolyCollection(
                        chosen,
                        facecolors="none",
                        zorder=3,
                        animated=animated,
                        **{
                            **hatch_kw,
                            "edgecolors": ["white" if d else hatch_kw["edgecolors"] for d in dark],
                        },
                    )
                )
            )
    if differ is not None and np.any(differ):
        union = geo.cells_union(cells, np.asarray(differ, bool))
        rings = geo.polygon_rings(union)
        if rings:
            artists.append(
                ax.add_collection(
                    PolyCollection(
                        rings,
                        facecolors="none",
                        edgecolors=style.DIFFER_EDGE,
                        linewidths=2.6,
                        zorder=4.8,
                        animated=animated,
                    )
                )
            )
    artists += _draw_events(ax, data, lon, lat, n, animated)
    return artists


def _draw_events(ax, data: MapData, lon, lat, n: int, animated: bool) -> list:
    artists = []
    by_kind: dict[str, list[int]] = {}
    for kind, area, _origin in data.events:  # (routes from the origin would cross the map)
        if 0 <= area < n:
            by_kind.setdefault(kind, []).append(area)
    for kind, idx in by_kind.items():
        st = style.EVENT_STYLES.get(kind, style.EVENT_STYLES["strike"])
        idx = np.asarray(idx)
        # several events on one area: spread them on a small circle so each stays visible
        k = np.arange(len(idx))
        _, first = np.unique(idx, return_index=True)
        rep = np.ones(len(idx), bool)
        rep[first] = False
        jx = np.where(rep, 0.07 * np.cos(k * 2.4), 0.0)
        jy = np.where(rep, 0.07 * np.sin(k * 2.4), 0.0)
        artists.append(
            ax.scatter(
                lon[idx] + jx + 0.06,
                lat[idx] + jy + 0.06,
                marker=st["marker"],
                s=60,
                c=st["color"],
                edgecolors="black",
                linewidths=0.5,
                zorder=5.5,
                animated=animated,
            )
        )
    return artists


def map_legend_handles(data: MapData | None = None, *, differ: bool = False) -> list:
    """A complete key: every controller, siege hatching, hard to reach, the usual event kinds
    (plus any other kind present in `data`), and the outline of differing areas."""
    controllers = ["government", "opposition", "isil", "kurdish"]
    if data is not None:
        controllers += sorted(
            {style.actor_key(c) for c in data.controller} - set(controllers), key=_actor_order
        )
    handles: list = [
        Patch(facecolor=style.actor_color(c), label=f"Held by {style.actor_label(c)}")
        for c in controllers
    ]
    handles += [
        Patch(facecolor="white", edgecolor="black", hatch="////", label="Besieged"),
        Patch(facecolor="white", edgecolor="#333333", ls="--", label="Hard to reach"),
    ]
    kinds = list(MAP_EVENT_KINDS)
    if data is not None:
        kinds += sorted({k for k, _, _ in data.events} - set(kinds))
    for kind in kinds:
        handles.append(event_handle(style.EVENT_STYLES.get(kind, style.EVENT_STYLES["strike"])))
    if differ:
        handles.append(
            Patch(
                facecolor="none",
                edgecolor=style.DIFFER_EDGE,
                lw=2.4,
                label="Differs from other run",
            )
        )
    return handles


def event_handle(st: dict) -> Line2D:
    """Legend entry for one kind of placed event (convoy, strike, violation)."""
    return Line2D(
        [],
        [],
        marker=st["marker"],
        ls="",
        color=st["color"],
        mec="black",
        mew=0.5,
        ms=7,
        label=st["label"],
    )


def _actor_order(key: str) -> int:
    order = list(style.ACTOR_COLORS)
    return order.index(key) if key in order else len(order)


def map_figure(
    panels: Sequence[tuple[str, MapData]],
    *,
    suptitle: str | None = None,
    width: float = 5.2,
    height: float = 5.6,
) -> Figure:
    """One map per panel (title, data) side by side, e.g. the same week under two structures."""
    with style.RcContext():
        fig = Figure(figsize=(width * len(panels), height), layout="constrained")
        axes = fig.subplots(1, len(panels), squeeze=False)[0]
        for ax, (title, data) in zip(axes, panels, strict=True):
            draw_map(ax, data, title=title, legend=False)
        # one key below the maps, never over the data
        fig.legend(
            handles=map_legend_handles(panels[0][1]),
            loc="outside lower center",
            ncols=3 if len(panels) == 1 else 5,
            frameon=False,
        )
        if suptitle:
            fig.suptitle(suptitle)
    return fig


# --- time-series charts --------------------------------------------------------------------------
def plot_measure(
    ax,
    series: Iterable[Series],
    column: str,
    *,
    window: tuple[date, date] | None = None,
    shade_ceasefire: bool = True,
    now: date | None = None,
    events: Sequence[tuple[date, str]] = (),
    event_labels: bool = True,
) -> None:
    """Plot one output column over dated weeks, one line per run, coloured by structure."""
    frames = [(s, add_derived_columns(s.frame)) for s in series]
    top = None
    m = style.measure(column)
    if not m.ylim:
        values = [
            f[column].astype(float).max() * m.scale
            for _, f in frames
            if column in f.columns and not f.empty
        ]
        top = nice_ceiling(max(values, default=0.0))
    setup_measure_axes(ax, column, window=window, events=events, top=top, event_labels=event_labels)
    draw_measure_data(ax, frames, column, now=now, shade_ceasefire=shade_ceasefire)


def nice_ceiling(x: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k that is >= x * 1.05 (a tidy y-axis top)."""
    x = float(x) * 1.05
    if not np.isfinite(x) or x <= 0:
        return 1.0
    k = np.floor(np.log10(x))
    for f in (1.0, 2.0, 2.5, 5.0, 10.0):
        if f * 10**k >= x:
            return float(f * 10**k)
    return float(10 ** (k + 1))


def setup_measure_axes(
    ax,
    column: str,
    *,
    window: tuple[date, date] | None = None,
    events: Sequence[tuple[date, str]] = (),
    top: float | None = None,
    event_labels: bool = True,
) -> None:
    """The static part of a chart: title, unit, dated x axis, y range, dated decisions
    (dotted lines, labelled only when `event_labels`; labels closer than 3 weeks are merged)."""
    m = style.measure(column)
    if window:
        ax.set_xlim(pd.Timestamp(window[0]), pd.Timestamp(window[1]))
    lo, hi = m.ylim if m.ylim else (0.0, top if top else 1.0)
    ax.set_ylim(lo - 0.02 * (hi - lo), hi + 0.02 * (hi - lo))
    last_label = None
    for when, text in events:
        ts = pd.Timestamp(when)
        if window and not (pd.Timestamp(window[0]) <= ts <= pd.Timestamp(window[1])):
            continue
        ax.axvline(ts, color=style.EVENT_LINE, lw=0.7, ls=":", zorder=0)
        if event_labels and (last_label is None or ts - last_label > pd.Timedelta(weeks=3)):
            ax.annotate(
                text,
                (ts, 0.98),
                xycoords=("data", "axes fraction"),
                rotation=90,
                va="top",
                ha="right",
                fontsize=matplotlib.rcParams["xtick.labelsize"],
                color=style.EVENT_LINE,
            )
            last_label = ts
    ax.set_title(m.title)
    ax.set_ylabel(m.unit or m.title)
    ax.yaxis.set_major_formatter(FuncFormatter(compact_number))
    style.format_date_axis(ax)


def compact_number(x: float, _pos=None) -> str:
    """Tick labels that stay short: 950, 2.5k, 40k, 1.2M."""
    ax_ = abs(x)
    if ax_ >= 1e6:
        return f"{x / 1e6:g}M"
    if ax_ >= 1e4 or (ax_ >= 1e3 and x % 1000 == 0):
        return f"{x / 1e3:g}k"
    if ax_ >= 1e3:
        return f"{x / 1e3:.1f}k"
    return f"{x:g}"


def draw_measure_data(
    ax,
    frames,
    column: str,
    *,
    now: date | None = None,
    shade_ceasefire: bool = True,
    animated: bool = False,
) -> list:
    """The moving part of a chart: one line per run, ceasefire shading, the current week.

    `frames` is a list of (Series, DataFrame with derived columns). Returns the artists.
    """
    m = style.measure(column)
    artists = []
    shaded = False
    for s, df in frames:
        if column not in df.columns or df.empty:
            continue
        if shade_ceasefire and not shaded and "ceasefire_active" in df.columns:
            artists += _shade_spans(
                ax, df["date"], df["ceasefire_active"].astype(float) > 0.5, animated=animated
            )
            shaded = True
        y = df[column].astype(float).to_numpy() * m.scale
        (line,) = ax.plot(
            df["date"].to_numpy(),
            y,
            color=style.structure_color(s.structure),
            ls=style.structure_linestyle(s.structure),
            lw=1.6,
            label=s.display_label,
            animated=animated,
        )
        artists.append(line)
    if now is not None:
        artists.append(
            ax.axvline(pd.Timestamp(now), color="#444444", lw=1.0, alpha=0.6, animated=animated)
        )
    return artists


def _shade_spans(ax, dates: pd.Series, active: pd.Series, *, animated: bool = False) -> list:
    dates = pd.to_datetime(dates).reset_index(drop=True)
    active = active.reset_index(drop=True).to_numpy()
    out = []
    start = None
    for i, on in enumerate(active):
        if on and start is None:
            start = dates[i]
        if start is not None and (not on or i == len(active) - 1):
            end = dates[i] if not on else dates[i] + pd.Timedelta(days=7)
            out.append(
                ax.axvspan(
                    start,
                    end,
                    color=style.CEASEFIRE_SHADE,
                    alpha=0.35,
                    lw=0,
                    zorder=0,
                    animated=animated,
                )
            )
            start = None
    return out


# --- ensembles: mean and band per structure, and the record ---------------------------------
def draw_ensemble(ax, ens, column: str, *, highlight: Sequence[str] | None = None) -> None:
    """Each structure's mean over the ensemble's seeds as a line; the band (10th-90th
    percentile) for the `highlight`ed structures (all when None). Monthly measures as steps."""
    from sim.viz.ensemble import MONTHLY

    m = style.measure(column)
    monthly = column in MONTHLY
    for s in ens.structures:
        band = ens.band(s, column)
        if band.empty:
            continue
        color = style.structure_color(s)
        x = band["date"].to_numpy()
        strong = highlight is None or s in highlight
        if strong:
            ax.fill_between(
                x,
                band["lo"] * m.scale,
                band["hi"] * m.scale,
                color=color,
                alpha=0.18,
                lw=0,
                step="post" if monthly else None,
                zorder=1,
            )
        ax.plot(
            x,
            band["mean"] * m.scale,
            color=color,
            ls=style.structure_linestyle(s),
            lw=2.6 if strong else 1.6,
            zorder=3 if strong else 2,
            drawstyle="steps-post" if monthly else "default",
        )


def draw_record(ax, column: str) -> None:
    """What happened (sim.viz.record): a point at a date, or a level across a window."""
    from sim.viz.record import record_marks

    m = style.measure(column)
    marker = {"marker": "o", "ms": 9, "mfc": "white", "mec": "black", "mew": 2, "zorder": 6}
    for mark in record_marks(column):
        y = mark.value * m.scale
        if mark.kind == "point":
            ax.plot(mark.end, y, ls="", **marker)
        else:
            ax.plot([mark.start, mark.end], [y, y], color="black", lw=2.5, zorder=6)
            ax.plot(mark.start + (mark.end - mark.start) / 2, y, ls="", **marker)


def ensemble_legend_handles(ens, has_record: bool) -> list:
    handles = []
    if ens is not None:
        handles = [
            Line2D(
                [],
                [],
                color=style.structure_color(s),
                lw=2.4,
                ls=style.structure_linestyle(s),
                label=style.structure_short(s),
            )
            for s in ens.structures
        ]
        handles.append(
            Patch(color="#777777", alpha=0.3, label=f"Middle 80% of {len(ens.seeds)} seeds")
        )
    if has_record:
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                ls="",
                ms=8,
                mfc="white",
                mec="black",
                mew=2,
                label="Record (UN, OPCW)",
            )
        )
    return handles


def ensemble_figure(
    ens,
    columns: Sequence[str],
    *,
    window: tuple[date, date],
    events: Sequence[tuple[date, str]] = (),
    title: str | None = None,
    highlight: Sequence[str] | None = None,
) -> Figure:
    """The app's ensemble view as a figure: one chart per column, mean and band per structure,
    the record as points (`syriasim figure case --seeds N`)."""
    from sim.viz.record import record_marks

    columns = list(columns)
    with style.RcContext():
        fig = Figure(figsize=(4.2 * len(columns), 4.2), layout="constrained")
        axes = fig.subplots(1, len(columns), squeeze=False)[0]
        for i, (ax, col) in enumerate(zip(axes, columns, strict=True)):
            m = style.measure(col)
            top = None
            if not m.ylim:
                peak = max((float(ens.band(s, col)["hi"].max()) for s in ens.structures), default=0)
                top = nice_ceiling(peak * m.scale)
            setup_measure_axes(ax, col, window=window, events=events, top=top, event_labels=i == 0)
            draw_ensemble(ax, ens, col, highlight=highlight)
            draw_record(ax, col)
        fig.legend(
            handles=ensemble_legend_handles(ens, any(record_marks(c) for c in columns)),
            loc="outside lower center",
            ncols=4,
            frameon=False,
        )
        if title:
            fig.suptitle(title)
    return fig


def goals_figure(
    series: Sequence[Series],
    columns: Sequence[str],
    *,
    window: tuple[date, date] | None = None,
    title: str | None = None,
    now: date | None = None,
    events: Sequence[tuple[date, str]] = (),
    ncols: int = 2,
    width: float = 10.0,
    row_height: float = 2.6,
) -> Figure:
    """A grid of charts, one per goal measure, every run as a line coloured by its structure."""
    columns = list(columns)
    nrows = int(np.ceil(len(columns) / ncols))
    with style.RcContext():
        fig = Figure(figsize=(width, row_height * nrows + 0.6), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        for i, (ax, col) in enumerate(zip(axes, columns, strict=False)):
            plot_measure(
                ax, series, col, window=window, now=now, events=events, event_labels=i == 0
            )
        for ax in axes[len(columns) :]:
            ax.set_visible(False)
        handles = [
            Line2D(
                [],
                [],
                color=style.structure_color(s.structure),
                ls=style.structure_linestyle(s.structure),
                lw=1.6,
                label=s.display_label,
            )
            for s in series
        ]
        if any(
            "ceasefire_active" in s.frame.columns and (s.frame["ceasefire_active"] > 0.5).any()
            for s in series
        ):
            handles.append(
                Patch(color=style.CEASEFIRE_SHADE, alpha=0.5, label="Ceasefire in force")
            )
        if handles:
            fig.legend(
                handles=handles,
                loc="outside lower center",
                ncols=min(len(handles), 4),
                frameon=False,
            )
        if title:
            fig.suptitle(title)
    return fig
