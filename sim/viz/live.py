"""Fast redraws for the app: render the static part of a figure once, then each week only the
moving artists (blitting), and encode the frame as PNG at twice the displayed resolution.

A full matplotlib redraw of the map and the charts costs several hundred milliseconds on a
2-core machine; most of it is axes, labels, legends and (in the ensemble view) the bands, which
do not change from week to week. `LiveFigure` keeps them in a cached background and draws only
this week's cells, events, lines and the "now" cursor on top — with the drawing functions of
`sim.viz.figures`, so the app and `syriasim figure` look alike.

Sizes are in inches at `style.APP_CSS_DPI` (96 CSS px per inch): the page shows each image at
exactly that size, so 10.5 pt text is 14 px on screen (the projector minimum).
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Callable

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image

from sim.viz import style
from sim.viz.figures import (
    draw_ensemble,
    draw_map_background,
    draw_map_overlay,
    draw_map_state,
    draw_record,
    ensemble_legend_handles,
    map_legend_handles,
    nice_ceiling,
    setup_measure_axes,
)

MAP_SIZE = (4.5, 5.3)  # one map with its legend (inches at 96 px/in: 432 x 509 px)
MAP2_SIZE = (7.0, 5.3)  # two maps side by side, one legend
CHART_SIZE = (5.2, 5.3)  # the case's headline chart with its legend
MORE_SIZE = (9.8, 3.3)  # the other measures, one row


class LiveFigure:
    """A figure with a cached static background and per-frame animated artists."""

    def __init__(self, fig: Figure):
        self.fig = fig
        self.canvas = FigureCanvasAgg(fig)
        self._background = None
        self._dynamic: list = []
        self.lock = threading.RLock()

    def invalidate(self) -> None:
        """The static part changed (e.g. a y range grew): lay out and render it again."""
        self._background = None

    def frame(self, draw_dynamic: Callable[[], list]) -> bytes:
        """Draw one frame: background (cached) + the artists `draw_dynamic` creates; PNG bytes."""
        with self.lock, style.RcContext(style.APP_RC_PARAMS):
            for artist in self._dynamic:
                # an artist may be gone already (its axes were cleared by a rescale)
                with contextlib.suppress(NotImplementedError, ValueError):
                    artist.remove()
            self._dynamic = []
            if self._background is None:
                # one constrained-layout pass, then freeze the layout for fast frames
                self.fig.set_layout_engine("constrained")
                self.canvas.draw()
                self.fig.set_layout_engine("none")
                self.canvas.draw()
                self._background = self.canvas.copy_from_bbox(self.fig.bbox)
            else:
                self.canvas.restore_region(self._background)
            self._dynamic = draw_dynamic()
            for artist in self._dynamic:
                self.fig.draw_artist(artist)
            return self.png()

    def png(self) -> bytes:
        width, height = self.canvas.get_width_height()
        img = Image.frombuffer(
            "RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1
        )
        out = io.BytesIO()
        # a palette keeps the file small and quick to encode; the charts have few colours
        img.convert("RGB").quantize(colors=128, method=Image.Quantize.FASTOCTREE).save(
            out, format="PNG", compress_level=1
        )
        return out.getvalue()

    @property
    def css_width(self) -> int:
        return round(self.fig.get_figwidth() * style.APP_CSS_DPI)


def _figure(size) -> Figure:
    return Figure(figsize=size, dpi=style.APP_DPI)


class LiveMap:
    """The territory map(s) of a SyriaApp: one panel per run, a complete legend below; side by
    side, the cells whose controller or siege differs between the runs are outlined."""

    def __init__(self, app):
        self.app = app
        panels = app.map_panels()
        self.n = len(panels)
        with style.RcContext(style.APP_RC_PARAMS):
            fig = _figure(MAP_SIZE if self.n == 1 else MAP2_SIZE)
            self.axes = fig.subplots(1, self.n, squeeze=False)[0]
            for ax, run, (_, data) in zip(self.axes, app.runs, panels, strict=True):
                draw_map_background(ax, data, label_areas=False)  # labels: above the cells
                if self.n > 1:
                    ax.set_title(
                        run.label.split(":")[0] + ": " + style.structure_label(run.structure),
                        color=style.structure_color(run.structure),
                        fontsize=10.5,
                    )
            fig.legend(
                handles=map_legend_handles(panels[0][1], differ=self.n > 1),
                loc="outside lower center",
                ncols=2 if self.n == 1 else 3,
                frameon=False,
                handlelength=1.4,
                columnspacing=1.0,
                labelspacing=0.35,
            )
        self.live = LiveFigure(fig)

    def png(self) -> bytes:
        panels = self.app.map_panels()
        differ = None
        if self.n == 2:
            a, b = panels[0][1], panels[1][1]
            differ = (np.asarray(a.controller) != np.asarray(b.controller)) | (
                np.asarray(a.besieged) != np.asarray(b.besieged)
            )

        def draw():
            artists = []
            for ax, (_, data) in zip(self.axes, panels, strict=True):
                artists += draw_map_state(ax, data, animated=True, differ=differ)
                artists += draw_map_overlay(ax, data, animated=True)
            return artists

        return self.live.frame(draw)


class LiveChart:
    """Charts of some measures of a SyriaApp, in the ensemble view (mean and band per structure,
    static) or the single-seed view (one line per run, growing week by week); the record drawn
    as points; the current week as a cursor with the weeks ahead greyed."""

    def __init__(self, app, columns, size, *, ensemble=None, view: str = "ensemble"):
        from sim.viz.record import record_marks

        self.app = app
        case = app.case
        self.columns = list(columns)
        self.window = (pd.Timestamp(case.start), pd.Timestamp(case.end))
        self.ensemble = ensemble if view == "ensemble" else None
        self.view = view
        # bands for the structures on the page (and the lesson's pair); the others as mean lines
        self.highlight = highlight_structures(app)
        self.events = app.events()
        self.tops: dict[str, float | None] = {}
        with style.RcContext(style.APP_RC_PARAMS):
            fig = _figure(size)
            axes = fig.subplots(1, len(self.columns), squeeze=False)[0]
            self.axes = dict(zip(self.columns, axes, strict=True))
            for col in self.columns:
                self.tops[col] = None if style.measure(col).ylim else self._band_top(col)
                self._setup(col)
            handles = self._legend_handles(any(record_marks(c) for c in self.columns))
            fig.legend(
                handles=handles,
                loc="outside lower center",
                ncols=2 if len(self.columns) == 1 else 4,
                frameon=False,
                handlelength=1.8,
                columnspacing=1.0,
                labelspacing=0.35,
            )
        self.live = LiveFigure(fig)

    # --- static part -----------------------------------------------------------------------
    def structures(self) -> list[str]:
        if self.ensemble is not None:
            return list(self.ensemble.structures)
        return [r.structure for r in self.app.runs]

    def _band_top(self, col: str) -> float:
        if self.ensemble is None:
            return 1.0
        m = style.measure(col)
        peak = max(
            (float(self.ensemble.band(s, col)["hi"].max()) for s in self.ensemble.structures),
            default=0.0,
        )
        return nice_ceiling(peak * m.scale) if np.isfinite(peak) and peak > 0 else 1.0

    def _setup(self, col: str) -> None:

        ax = self.axes[col]
        setup_measure_axes(
            ax,
            col,
            window=(self.window[0].date(), self.window[1].date()),
            events=self.events,
            top=self.tops[col],
            event_labels=col == self.columns[0] and len(self.columns) == 1,
        )
        ax.set_title("")
        ax.set_title(style.measure(col).title, loc="left")
        if self.ensemble is not None:
            draw_ensemble(ax, self.ensemble, col, highlight=self.highlight)
        draw_record(ax, col)

    def _legend_handles(self, has_record: bool) -> list:
        if self.ensemble is not None:
            return ensemble_legend_handles(self.ensemble, has_record)
        handles = [
            Line2D(
                [],
                [],
                color=style.structure_color(r.structure),
                lw=2.2,
                ls=style.structure_linestyle(r.structure),
                label=r.label,
            )
            for r in self.app.runs
        ]
        if has_record:
            handles += ensemble_legend_handles(None, True)
        return handles

    def cursor(self) -> tuple[float, tuple[float, float]] | None:
        """Where the current week is on the first chart, as fractions of the image: x from the
        left, and the plot area's top and bottom margins (the page draws the cursor there, so
        the ensemble's chart need not be redrawn each week)."""
        import matplotlib.dates as mdates

        ax = self.axes[self.columns[0]]
        with self.live.lock:
            if self.live._background is None:
                return None
            x = ax.transData.transform((mdates.date2num(pd.Timestamp(self.app.date)), 0))[0]
            x0, y0, x1, y1 = ax.get_position().extents
        width = self.live.fig.get_figwidth() * self.live.fig.dpi
        return min(max(x / width, x0), x1), (1 - y1, y0)

    # --- moving part -----------------------------------------------------------------------
    def _grow(self, frames) -> None:
        """Single view: grow a y axis (to a tidy value) when a line outgrows it."""
        for col, ax in self.axes.items():
            if self.tops[col] is None:
                continue
            m = style.measure(col)
            peak = max(
                (float(f[col].max()) * m.scale for f in frames if col in f.columns and len(f)),
                default=0.0,
            )
            if np.isfinite(peak) and peak > self.tops[col]:
                self.tops[col] = nice_ceiling(peak)
                ax.cla()
                self._setup(col)
                self.live.invalidate()

    def png(self) -> bytes:
        now = pd.Timestamp(self.app.date)
        frames = [] if self.ensemble is not None else self.app.single_frames()
        if frames:
            with self.live.lock, style.RcContext(style.APP_RC_PARAMS):
                self._grow([f for _, f in frames])

        def draw():
            artists = []
            if self.ensemble is not None:
                return artists  # static: the page draws the week's cursor over the image
            for col, ax in self.axes.items():
                m = style.measure(col)
                monthly = col in _monthly_columns()
                for structure, f in frames:
                    if col not in f.columns or f.empty:
                        continue
                    (line,) = ax.plot(
                        f["date"].to_numpy(),
                        f[col].to_numpy(float) * m.scale,
                        color=style.structure_color(structure),
                        ls=style.structure_linestyle(structure),
                        lw=2.4,
                        zorder=4,
                        drawstyle="steps-post" if monthly else "default",
                        animated=True,
                    )
                    artists.append(line)
                if now < self.window[1]:
                    artists.append(
                        ax.axvspan(
                            now,
                            self.window[1],
                            color="white",
                            alpha=0.55,
                            lw=0,
                            zorder=5,
                            animated=True,
                        )
                    )
                artists.append(ax.axvline(now, color="#333333", lw=1.6, zorder=7, animated=True))
            return artists

        return self.live.frame(draw)


def highlight_structures(app) -> tuple[str, ...]:
    """The structures drawn with a band: those of the page's runs and the lesson's pair."""
    from sim.viz.ensemble import HEADLINES

    out = [r.structure for r in app.runs]
    h = HEADLINES.get(app.case.key)
    if h is not None:
        out += [h.a, h.b]
    return tuple(dict.fromkeys(out))


def _monthly_columns() -> tuple[str, ...]:
    from sim.viz.ensemble import MONTHLY

    return MONTHLY


def headline_column(case) -> str:
    from sim.viz.ensemble import HEADLINES

    h = HEADLINES.get(case.key)
    return h.column if h else case.measures[0]


def other_columns(case) -> list[str]:
    head = headline_column(case)
    cols = [c for c in case.measures if c not in (head, "besieged_reached_mtd")]
    return cols[:3]


class Views:
    """The renderers of one SyriaApp for one view (ensemble or single), built on first use."""

    def __init__(self, app, ensemble=None, view: str = "ensemble"):
        self.map = LiveMap(app)
        case = app.case
        self.chart = LiveChart(
            app, [headline_column(case)], CHART_SIZE, ensemble=ensemble, view=view
        )
        self.more = LiveChart(app, other_columns(case), MORE_SIZE, ensemble=ensemble, view=view)


def live_views(app, ensemble=None, view: str = "ensemble") -> Views:
    """The renderers of one SyriaApp for (ensemble, view), cached on the instance."""
    key = (id(ensemble) if ensemble is not None and view == "ensemble" else None, view)
    cache = app.__dict__.setdefault("_live_views", {})
    if key not in cache:
        cache.clear()
        cache[key] = Views(app, ensemble if view == "ensemble" else None, view)
    return cache[key]
