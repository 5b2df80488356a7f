"""Fast redraws for the app: render the static part of a figure once, then each week only the
moving artists (blitting), and encode the frame as PNG.

A full matplotlib redraw of the map and four dated charts costs several hundred milliseconds
on a 2-core machine; most of it is ticks, labels and legends that do not change from week to
week. `LiveFigure` keeps them in a cached background and draws only this week's areas, rings,
events and lines on top — the same drawing functions as the static figures of
`sim.viz.figures`, so the app and `syriasim figure` look alike.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Callable

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from PIL import Image

from sim.viz import style
from sim.viz.figures import (
    add_derived_columns,
    draw_map_background,
    draw_map_state,
    draw_measure_data,
    event_handle,
    map_legend_handles,
    nice_ceiling,
    setup_measure_axes,
)

LIVE_DPI = 90


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
        with self.lock, style.RcContext():
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
        img.convert("RGB").save(out, format="PNG", compress_level=1)
        return out.getvalue()


class LiveMap:
    """The territory map(s) of a SyriaApp: one panel per run, legend below."""

    def __init__(self, app):
        self.app = app
        panels = app.map_panels()
        n = len(panels)
        with style.RcContext():
            fig = Figure(figsize=(4.9 * n + 0.2, 4.9), dpi=LIVE_DPI)
            self.axes = fig.subplots(1, n, squeeze=False)[0]
            for ax, run, (_, data) in zip(self.axes, app.runs, panels, strict=True):
                draw_map_background(ax, data)
                ax.set_title(run.label, color=style.structure_color(run.structure))
            self.fig = fig
            self.n = n
            self.legend_kinds = {"convoy", "convoy_blocked"}
            self.legend = None
            self._build_legend(panels[0][1])
        self.live = LiveFigure(fig)

    def _build_legend(self, data) -> None:
        """Controllers, rings, and the kinds of placed events seen so far (convoys at least)."""
        if self.legend is not None:
            self.legend.remove()
        base = map_legend_handles(type(data)(**{**data.__dict__, "events": []}))
        events = [
            event_handle(st) for kind, st in style.EVENT_STYLES.items() if kind in self.legend_kinds
        ]
        self.legend = self.fig.legend(
            handles=_unique(base + events),
            loc="outside lower center",
            ncols=4 if self.n > 1 else 3,
            frameon=False,
            fontsize=7,
        )

    def png(self) -> bytes:
        panels = self.app.map_panels()
        summaries = self.app.week_summaries()
        kinds = {kind for _, data in panels for kind, _, _ in data.events}
        if not kinds <= self.legend_kinds:  # a new kind of event on the map: explain it
            with self.live.lock, style.RcContext():
                self.legend_kinds |= kinds
                self._build_legend(panels[0][1])
                self.live.invalidate()

        def draw():
            artists = []
            for ax, (_, data), summary in zip(self.axes, panels, summaries, strict=True):
                artists += draw_map_state(ax, data, animated=True)
                artists.append(
                    ax.text(
                        0.99,
                        0.01,
                        summary,
                        transform=ax.transAxes,
                        ha="right",
                        va="bottom",
                        fontsize=7,
                        animated=True,
                        zorder=7,
                        bbox={
                            "boxstyle": "round,pad=0.3",
                            "fc": "white",
                            "ec": "#999999",
                            "alpha": 0.9,
                        },
                    )
                )
            return artists

        return self.live.frame(draw)


class LiveCharts:
    """The goal-measure charts of a SyriaApp: one axes per measure, one line per run."""

    def __init__(self, app, ncols: int = 2):
        self.app = app
        case = app.case
        self.columns = list(case.measures)
        self.window = (case.start, case.end)
        self.events = app.events()
        nrows = int(np.ceil(len(self.columns) / ncols))
        self.tops: dict[str, float | None] = {
            c: (None if style.measure(c).ylim else 1.0) for c in self.columns
        }
        with style.RcContext():
            fig = Figure(figsize=(8.6, 2.2 * nrows + 0.5), dpi=LIVE_DPI)
            axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
            for ax in axes[len(self.columns) :]:
                ax.set_visible(False)
            self.axes = dict(zip(self.columns, axes, strict=False))
            for col, ax in self.axes.items():
                self._setup_axes(ax, col)
            handles = [
                Line2D(
                    [],
                    [],
                    color=style.structure_color(r.structure),
                    ls=style.structure_linestyle(r.structure),
                    lw=1.6,
                    label=r.label,
                )
                for r in app.runs
            ]
            handles.append(
                Patch(color=style.CEASEFIRE_SHADE, alpha=0.5, label="Ceasefire in force")
            )
            fig.legend(
                handles=handles, loc="outside lower center", ncols=3, frameon=False, fontsize=7
            )
        self.live = LiveFigure(fig)

    def _setup_axes(self, ax, col: str) -> None:
        setup_measure_axes(
            ax,
            col,
            window=self.window,
            events=self.events,
            top=self.tops[col],
            event_labels=col == self.columns[0],
        )

    def _rescale(self, frames) -> None:
        """Grow a y axis (to a tidy value) when the data outgrow it; never shrink mid-run."""
        for col, ax in self.axes.items():
            if self.tops[col] is None:
                continue
            m = style.measure(col)
            peak = max(
                (
                    float(f[col].max()) * m.scale
                    for _, f in frames
                    if col in f.columns and not f.empty
                ),
                default=0.0,
            )
            if np.isfinite(peak) and peak > self.tops[col]:
                self.tops[col] = nice_ceiling(peak)
                ax.cla()
                self._setup_axes(ax, col)
                self.live.invalidate()

    def png(self) -> bytes:
        frames = [(s, add_derived_columns(s.frame)) for s in self.app.series()]
        now = self.app.date
        with self.live.lock, style.RcContext():
            self._rescale(frames)

        def draw():
            artists = []
            for col, ax in self.axes.items():
                artists += draw_measure_data(ax, frames, col, now=now, animated=True)
            return artists

        return self.live.frame(draw)


def _unique(handles: list) -> list:
    seen, out = set(), []
    for h in handles:
        if h.get_label() not in seen:
            seen.add(h.get_label())
            out.append(h)
    return out


def live_views(app) -> tuple[LiveMap, LiveCharts]:
    """The renderers of one SyriaApp instance (built on first use, kept on the instance)."""
    views = getattr(app, "_live_views", None)
    if views is None:
        views = (LiveMap(app), LiveCharts(app))
        app._live_views = views
    return views
