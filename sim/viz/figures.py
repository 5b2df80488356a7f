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

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from sim.viz import style

# Syria's bounding box (degrees), with a small margin, so every map has the same frame.
LON_RANGE = (35.4, 42.6)
LAT_RANGE = (32.2, 37.5)
# Rings drawn around areas by status: (legend label, edge colour, width, line style, size added).
RINGS = (
    ("Hard to reach", style.HARD_TO_REACH_EDGE, 1.0, "--", 40),
    ("Besieged", style.BESIEGED_EDGE, 2.0, "-", 60),
)


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
def draw_map(
    ax, data: MapData, *, title: str | None = None, legend: bool = True, label_areas: bool = True
) -> None:
    """Draw the area network at its latitude/longitude on `ax`.

    Areas are discs coloured by controller (size ~ population), besieged areas have a thick
    black ring and hard-to-reach ones a grey dashed ring; this week's events are drawn on top.
    """
    draw_map_background(ax, data, label_areas=label_areas)
    draw_map_state(ax, data)
    if title:
        ax.set_title(title)
    if legend:
        ax.legend(
            handles=map_legend_handles(data),
            loc="upper left",
            fontsize=6.5,
            framealpha=0.85,
            borderpad=0.4,
            labelspacing=0.3,
        )


def _area_sizes(data: MapData) -> np.ndarray:
    pop = np.asarray(data.population, dtype=float)
    return 12 + 260 * np.sqrt(np.clip(pop, 0, None) / max(float(pop.max(initial=1.0)), 1.0))


def draw_map_background(
    ax, data: MapData, *, label_areas: bool = True, max_labels: int = 12
) -> None:
    """What does not change from week to week: frame, roads, and the names of the largest
    areas and of the areas besieged at the start."""
    lon = np.asarray(data.lon, dtype=float)
    lat = np.asarray(data.lat, dtype=float)
    n = len(lon)
    if data.edges:
        segs = [((lon[a], lat[a]), (lon[b], lat[b])) for a, b in data.edges if a < n and b < n]
        ax.add_collection(LineCollection(segs, colors=style.ROAD_COLOR, linewidths=0.8, zorder=1))
    if label_areas and n:
        pop = np.asarray(data.population, dtype=float)
        # the largest areas first, then besieged ones; skip any too close to one already named
        besieged = np.flatnonzero(np.asarray(data.besieged, bool))
        candidates = list(np.argsort(-pop)[:max_labels]) + list(
            besieged[np.argsort(-pop[besieged])]
        )
        placed: list[int] = []
        for i in candidates:
            if len(placed) >= max_labels:
                break
            if any(abs(lon[i] - lon[j]) < 0.9 and abs(lat[i] - lat[j]) < 0.22 for j in placed):
                continue
            placed.append(i)
            ax.annotate(
                data.names[i],
                (lon[i], lat[i]),
                xytext=(4, -7),
                textcoords="offset points",
                fontsize=6.5,
                color="#333333",
                zorder=6,
            )
    ax.set_xlim(*LON_RANGE)
    ax.set_ylim(*LAT_RANGE)
    ax.set_aspect(1.0 / np.cos(np.deg2rad(35.0)))  # equal distances at Syria's latitude
    ax.set_xlabel("Longitude (°E)")
    ax.set_ylabel("Latitude (°N)")
    ax.grid(True, alpha=0.2)


def draw_map_state(ax, data: MapData, *, animated: bool = False) -> list:
    """This week's state: areas by controller, siege rings, events. Returns the artists."""
    lon = np.asarray(data.lon, dtype=float)
    lat = np.asarray(data.lat, dtype=float)
    n = len(lon)
    sizes = _area_sizes(data)
    colors = [style.actor_color(c) for c in data.controller]
    besieged = np.asarray(data.besieged, dtype=bool)
    htr = np.asarray(data.hard_to_reach, dtype=bool) & ~besieged
    artists = [
        ax.scatter(
            lon,
            lat,
            s=sizes,
            c=colors,
            edgecolors="white",
            linewidths=0.5,
            zorder=2,
            animated=animated,
        )
    ]
    for mask, (_, edge, width, line, grow) in zip((htr, besieged), RINGS, strict=True):
        if mask.any():
            artists.append(
                ax.scatter(
                    lon[mask],
                    lat[mask],
                    s=sizes[mask] + grow,
                    facecolors="none",
                    edgecolors=edge,
                    linewidths=width,
                    linestyles=line,
                    zorder=3,
                    animated=animated,
                )
            )
    by_kind: dict[str, list[int]] = {}
    routes: dict[str, list] = {}
    for kind, area, origin in data.events:
        if not 0 <= area < n:
            continue
        by_kind.setdefault(kind, []).append(area)
        if origin is not None and 0 <= origin < n and origin != area:
            routes.setdefault(kind, []).append(((lon[origin], lat[origin]), (lon[area], lat[area])))
    for kind, segs in routes.items():
        st = style.EVENT_STYLES.get(kind, style.EVENT_STYLES["strike"])
        artists.append(
            ax.add_collection(
                LineCollection(
                    segs, colors=st["color"], linewidths=1.4, alpha=0.8, zorder=4, animated=animated
                )
            )
        )
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
                lon[idx] + jx + 0.08,
                lat[idx] + jy + 0.08,
                marker=st["marker"],
                s=70,
                c=st["color"],
                edgecolors="black",
                linewidths=0.5,
                zorder=5,
                animated=animated,
            )
        )
    return artists


def map_legend_handles(data: MapData | None = None) -> list:
    """Legend entries: controllers present, siege rings, and event kinds present."""
    controllers = (
        sorted({style.actor_key(c) for c in data.controller}, key=_actor_order)
        if data is not None
        else ["government", "opposition", "isil", "kurdish"]
    )
    handles: list = [
        Patch(facecolor=style.actor_color(c), label=f"Held by {style.actor_label(c)}")
        for c in controllers
    ]
    handles += [
        Line2D([], [], marker="o", ls="", mfc="none", mec=edge, mew=width, ms=8, label=label)
        for label, edge, width, _, _ in reversed(RINGS)
    ]
    kinds = sorted({k for k, _, _ in data.events}) if data is not None else []
    for kind in kinds:
        handles.append(event_handle(style.EVENT_STYLES.get(kind, style.EVENT_STYLES["strike"])))
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
    height: float = 4.4,
) -> Figure:
    """One map per panel (title, data) side by side, e.g. the same week under two structures."""
    with style.RcContext():
        fig = Figure(figsize=(width * len(panels), height), layout="constrained")
        axes = fig.subplots(1, len(panels), squeeze=False)[0]
        for ax, (title, data) in zip(axes, panels, strict=True):
            draw_map(ax, data, title=title)
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
                fontsize=6,
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
