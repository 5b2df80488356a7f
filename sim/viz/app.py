"""The browser app (`syriasim app`): a classroom page for live counterfactuals.

Layout, made for a 1024x768 projector (everything below fits without scrolling there):

* a top bar: case study, structure on the case's track, side-by-side structure, seed (a number
  box), the view (the mean and band over an ensemble of seeds, or one possible history),
  Reset / Step / Play, "jump to" buttons for the case's key dates, and a "More settings" toggle
  for the compliance rule, the other tracks' structures and the model's knobs. A changed control
  shows "press Reset to apply" until Reset rebuilds the model from it;
* the map of the current week (one possible history: the chosen seed) and the case's headline
  chart: in the ensemble view the mean and the band of each structure over `N_SEEDS` seeds
  (computed in the background, with a progress bar), the record as points, the week as a cursor;
* below: what happened this week and why the two runs differ (read from the model's week log),
  the case summary comparing the structures, the other charts, the guided lesson, export.

The model behind the page is `SyriaApp` (a mesa.Model, `sim.viz.app_model`); the page drives it
itself rather than through Mesa's SolaraViz, whose sidebar shows controls a class should not
see (render interval, threads, the raw step counter). `Page` is the solara entry point.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import threading
import time
from dataclasses import dataclass, field

import pandas as pd
import solara
import solara.lab

from sim.plugins import TRACKS
from sim.viz import style
from sim.viz.app_model import (
    KNOBS,
    OFF,
    SEED_MAX,
    SyriaApp,
    base_scenario,
    compliance_rule_choices,
    structure_choices,
)
from sim.viz.cases import CASES, get_case

APP_NAME = "syriasim: US-Russia cooperation in Syria"
PLAY_INTERVAL_S = 0.35  # a week every 0.35 s while playing (the class can follow the map)
VIEWS = {"ensemble": "Average of many seeds", "single": "One possible history"}

CSS = """
.syriasim-bar { position: sticky; top: 0; z-index: 5; background: #fafafa;
  border-bottom: 1px solid #ddd; padding: 4px 8px; }
.syriasim-bar .v-input { margin-top: 0 !important; padding-top: 0 !important; }
.syriasim-bar .v-text-field__details, .syriasim-bar .v-messages { display: none !important; }
.syriasim-main { padding: 6px 8px; gap: 8px; }
.syriasim-figure { position: relative; display: inline-block; line-height: 0; }
.syriasim-cursor-info { font-size: 14px; }
.syriasim-notice { background: #fff3cd; border: 1px solid #e0c060; padding: 2px 8px;
  border-radius: 4px; font-size: 15px; }
.syriasim-panel { font-size: 16px; max-width: 980px; }
.syriasim-panel table { font-size: 15px; border-collapse: collapse; }
.syriasim-panel td, .syriasim-panel th { padding: 2px 8px; border-bottom: 1px solid #ddd; }
body, .v-application { font-size: 15px; }
"""


# --- settings ----------------------------------------------------------------------------------
def initial_settings() -> dict:
    """Start-up values of the controls (from `syriasim app --case/--seed/--compare`)."""
    case = get_case(os.environ.get("SYRIASIM_APP_CASE", "access"))
    seed = int(os.environ.get("SYRIASIM_APP_SEED", "7"))
    compare = os.environ.get("SYRIASIM_APP_COMPARE", OFF)
    flat = base_scenario(case).flat_params()
    settings = {
        "case_study": case.key,
        "seed": max(0, min(SEED_MAX, seed)),
        "compare_with": compare,
        "compliance_rule": str(flat.get("rules.compliance.name")),
    }
    for track in TRACKS:
        settings[f"structure_{track}"] = str(flat.get(f"tracks.{track}.structure", "timeline"))
    for knob in KNOBS:
        value = knob.default if knob.default is not None else flat.get(knob.key)
        if value is not None:
            settings[knob.name] = min(max(float(value), knob.lo), knob.hi)
    return settings


def new_model(settings: dict) -> SyriaApp:
    return SyriaApp(**settings)


# The server imports this module when it starts: build the start-up page's model, draw its first
# frames and start its ensemble then, so the first visitor does not wait for them.
_PREBUILT: dict[str, SyriaApp] = {}


def _settings_key(settings: dict) -> str:
    return repr(sorted(settings.items()))


def prewarm() -> None:
    from sim.viz.live import live_views

    settings = initial_settings()
    app = new_model(settings)
    views = live_views(app, None, "ensemble")
    for fig in (views.map, views.chart, views.more):
        fig.png()
    _PREBUILT[_settings_key(settings)] = app
    ensemble_job(app)


def first_model(settings: dict) -> SyriaApp:
    """The prebuilt model if it matches (once), else a new one."""
    return _PREBUILT.pop(_settings_key(settings), None) or new_model(settings)


# --- the ensemble, computed in the background and shared by every page --------------------------
@dataclass
class EnsembleJob:
    key: tuple
    done: int = 0
    total: int = 0
    result: object = None
    error: str | None = None
    finished: threading.Event = field(default_factory=threading.Event)


_JOBS: dict[tuple, EnsembleJob] = {}
_JOBS_LOCK = threading.Lock()
_RUN_LOCK = threading.Lock()  # one ensemble at a time: the machine is shared


def ensemble_job(app: SyriaApp) -> EnsembleJob:
    """The (possibly running, possibly finished) ensemble for this app's settings."""
    from sim.viz import ensemble

    key, base, structures = app.ensemble_request()
    with _JOBS_LOCK:
        job = _JOBS.get(key)
        if job is not None:
            return job
        job = _JOBS[key] = EnsembleJob(key, total=len(structures) * ensemble.N_SEEDS)
        while len(_JOBS) > 12:  # keep the most recent ensembles only
            _JOBS.pop(next(iter(_JOBS)))
    case = app.case

    def work():
        def progress(ens):
            job.done = ens.done

        try:
            with _RUN_LOCK:
                job.result = ensemble.compute(
                    case, base, structures, jobs=ENSEMBLE_JOBS, on_progress=progress
                )
        except Exception as exc:  # shown on the page; the single-seed view still works
            job.error = f"{type(exc).__name__}: {exc}"
        finally:
            job.finished.set()

    threading.Thread(target=work, name="syriasim-ensemble", daemon=True).start()
    return job


# Worker processes for the ensemble (0: in this process). One worker keeps the page's own
# process free to redraw while the ensemble runs, on a machine of two shared cores.
ENSEMBLE_JOBS = int(os.environ.get("SYRIASIM_APP_ENSEMBLE_JOBS", "1"))


def use_ensemble(app: SyriaApp):
    """(ensemble or None, done, total, error), following the background job."""
    job = solara.use_memo(lambda: ensemble_job(app), [id(app)])

    def follow(cancel: threading.Event):
        while not job.finished.wait(0.5):
            if cancel.is_set():
                return
            yield (job.done, job.total, False)
        yield (job.total, job.total, True)  # differs from every earlier value: a re-render

    progress = solara.use_thread(follow, dependencies=[id(job)], intrusive_cancel=False)
    done, total, _ = progress.value or (job.done, job.total, False)
    ens = job.result if job.finished.is_set() else None
    return ens, done, total, job.error


# --- pieces of the page -------------------------------------------------------------------------
def _figure_with_cursor(png: bytes, css_width: int, cursor: tuple[float, float] | None):
    """An image at its natural CSS size; a cursor (x, future-start as fractions) over it."""
    children = [solara.Image(png, width=f"{css_width}px")]
    if cursor is not None:
        x, top_bottom = cursor
        top, bottom = top_bottom
        children.append(
            solara.v.Html(
                tag="div",
                style_=(
                    f"position:absolute; left:{100 * x:.2f}%; top:{100 * top:.2f}%; "
                    f"bottom:{100 * bottom:.2f}%; width:2px; background:#333;"
                ),
                class_="syriasim-cursor",
            )
        )
    return solara.v.Html(tag="div", class_="syriasim-figure", children=children)


def week_label(app: SyriaApp) -> str:
    return f"Week of {app.date:%d %b %Y} (week {app.weeks_shown()} of the case)"


def figure_command(app: SyriaApp, view: str) -> str:
    """The `syriasim figure` command that draws the current view's charts."""
    from sim.viz.ensemble import N_SEEDS, case_structures

    case = app.case
    if view == "ensemble":
        structures = case_structures(case, *[r.structure for r in app.runs])
        extra = f" --seeds {N_SEEDS}"
    else:
        structures = [r.structure for r in app.runs]
        extra = f" --seed {app.seed}"
    # the settings that differ from the scenario file, except the structures varied above
    flat = base_scenario(case).flat_params()
    varied = {f"tracks.{case.track}.structure"} if case.track else set(flat)
    for key, value in app.overrides.items():
        if isinstance(value, dict):  # a switched compliance rule
            key, value = f"{key}.name", value.get("name")
        if key in varied or flat.get(key) == value:
            continue
        extra += f" --set {key}={value:g}" if isinstance(value, float) else f" --set {key}={value}"
    return (
        f"syriasim figure case {case.key} --structures {','.join(structures)}{extra} "
        f"--out {case.key}.png"
    )


def view_csv(app: SyriaApp, ens, view: str) -> str:
    """The numbers behind the current charts as CSV (long format)."""
    from sim.viz.live import headline_column, other_columns

    cols = [headline_column(app.case), *other_columns(app.case)]
    parts = []
    if view == "ensemble" and ens is not None:
        for s in ens.structures:
            for col in cols:
                b = ens.band(s, col)
                if len(b):
                    parts.append(b.assign(structure=s, measure=col, view="ensemble"))
    else:
        for structure, f in app.single_frames():
            for col in cols:
                if col in f.columns:
                    parts.append(
                        f[["date", col]]
                        .rename(columns={col: "mean"})
                        .assign(structure=structure, measure=col, view=f"seed {app.seed}")
                    )
    if not parts:
        return "date,mean,structure,measure,view\n"
    df = pd.concat(parts, ignore_index=True)
    return df.to_csv(index=False)


@solara.component
def TopBar(settings, applied, on_reset, on_step, playing, view, app, more_open, on_jump, tick):
    case = get_case(settings.value["case_study"])
    structures = structure_choices()

    def set_key(key):
        return lambda v: settings.set({**settings.value, key: v})

    pending = settings.value != applied.value
    with solara.Column(classes=["syriasim-bar"], gap="4px"):
        with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Select(
                "Case study",
                values=list(CASES),
                value=case.key,
                on_value=set_key("case_study"),
                dense=True,
                style={"max-width": "120px"},
            )
            if case.track:
                solara.Select(
                    "Structure",
                    values=structures,
                    value=settings.value[f"structure_{case.track}"],
                    on_value=set_key(f"structure_{case.track}"),
                    dense=True,
                    style={"max-width": "165px"},
                )
            solara.Select(
                "Side by side",
                values=[OFF, *structures],
                value=settings.value["compare_with"],
                on_value=set_key("compare_with"),
                dense=True,
                style={"max-width": "165px"},
            )
            solara.InputInt(
                "Seed",
                value=settings.value["seed"],
                on_value=lambda v: set_key("seed")(max(0, min(SEED_MAX, int(v or 0)))),
                dense=True,
                continuous_update=True,
                style={"max-width": "80px"},
            )
            solara.Button("Reset", on_click=on_reset, color="primary" if pending else None)
            solara.Button("Step", on_click=on_step, disabled=playing.value or not app.running)
            solara.Button(
                "Pause" if playing.value else "Play",
                on_click=lambda: playing.set(not playing.value),
                disabled=not app.running and not playing.value,
            )
            solara.Button(
                "Hide settings" if more_open.value else "Settings",
                on_click=lambda: more_open.set(not more_open.value),
                outlined=True,
            )
        with solara.Row(gap="6px", style={"align-items": "center", "flex-wrap": "wrap"}):
            with solara.ToggleButtonsSingle(value=view.value, on_value=view.set, dense=True):
                for k, label in VIEWS.items():
                    solara.Button(label, value=k, text=True, style={"text-transform": "none"})
            solara.Text("Jump to:", style={"font-size": "14px"})
            for when, label in app.case.key_dates:
                solara.Button(
                    label,
                    on_click=lambda w=when: on_jump(w),
                    text=True,
                    outlined=True,
                    style={"text-transform": "none"},
                )
            solara.Text(week_label(app), style={"font-size": "15px", "font-weight": "bold"})
            if pending:
                solara.Text("Changed: press Reset to apply", classes=["syriasim-notice"])
        if more_open.value:
            MoreSettings(settings, set_key)


@solara.component
def MoreSettings(settings, set_key):
    """The compliance rule, the other tracks' structures and the model's knobs (values shown)."""
    case = get_case(settings.value["case_study"])
    with solara.Row(gap="12px", style={"flex-wrap": "wrap", "align-items": "center"}):
        solara.Select(
            "Compliance rule",
            values=compliance_rule_choices(),
            value=settings.value["compliance_rule"],
            on_value=set_key("compliance_rule"),
            dense=True,
            style={"max-width": "160px"},
        )
        for track in TRACKS:
            if track == case.track:
                continue
            solara.Select(
                f"Structure ({track})",
                values=structure_choices(),
                value=settings.value[f"structure_{track}"],
                on_value=set_key(f"structure_{track}"),
                dense=True,
                style={"max-width": "150px"},
            )
    with solara.Row(gap="16px", style={"flex-wrap": "wrap"}):
        for knob in KNOBS:
            if knob.name not in settings.value:
                continue
            with solara.Column(style={"width": "200px"}, gap="0px"):
                solara.SliderFloat(
                    f"{knob.label}: {settings.value[knob.name]:g}",
                    value=settings.value[knob.name],
                    min=knob.lo,
                    max=knob.hi,
                    step=knob.step,
                    on_value=set_key(knob.name),
                    thumb_label="always",
                )


@solara.component
def Explanation(app: SyriaApp, tick: int):
    from sim.viz.explain import week_story, why_differ

    lines = [f"#### This week ({app.date:%d %b %Y}), seed {app.seed}"]
    a = app.runs[0]
    if app.side_by_side:
        b = app.runs[1]
        lines.append(f"\n**Why {a.label.split(':')[0]} and {b.label.split(':')[0]} differ:**\n")
        lines += [f"- {s}" for s in why_differ(a.model, b.model)]
        for run in app.runs:
            lines.append(f"\n**{run.label}**\n")
            lines += [f"- {s}" for s in week_story(run.model)]
    else:
        lines.append(f"\n**{a.label}**\n")
        lines += [f"- {s}" for s in week_story(a.model)]
    with solara.Column(classes=["syriasim-panel", "syriasim-explanation"]):
        solara.Markdown("\n".join(lines))


@solara.component
def CaseSummary(app: SyriaApp, ens, done: int, total: int, error):
    from sim.viz.ensemble import HEADLINES, headline_difference, summary_table

    case = app.case
    with solara.Column(classes=["syriasim-panel"]):
        solara.Markdown(
            f"#### {case.label}\n\n**What happened.** {case.what_happened}\n\n"
            f"**Question.** {case.question}"
        )
        if error:
            solara.Error(f"The ensemble could not be computed: {error}")
            return
        if ens is None:
            solara.Text(f"Computing the ensemble: {done} of {total} runs ...")
            return
        table = summary_table(ens, case)
        table["structure"] = [style.structure_label(s) for s in table["structure"]]
        md = [
            f"**Case summary over {len(ens.seeds)} seeds** (mean; 10th-90th percentile):",
            "",
            "| " + " | ".join(table.columns) + " |",
            "|" + "---|" * len(table.columns),
        ]
        for _, row in table.iterrows():
            md.append("| " + " | ".join(str(v) for v in row.fillna("–")) + " |")
        h = HEADLINES.get(case.key)
        if h is not None:
            d = headline_difference(ens, h)
            md.append(
                f"\n**The lesson's difference**: {h.words}: "
                f"{style.structure_label(h.a)} {_fmt_value(h.column, d['mean_a'])}, "
                f"{style.structure_label(h.b)} {_fmt_value(h.column, d['mean_b'])} "
                f"(difference {_fmt_value(h.column, d['diff'])}, 95% interval "
                f"{_fmt_value(h.column, d['ci_low'])} to {_fmt_value(h.column, d['ci_high'])})."
            )
        solara.Markdown("\n".join(md))


def _fmt_value(column: str, x: float) -> str:
    m = style.measure(column)
    return (
        f"{x * m.scale:.0f}{'%' if m.unit.startswith('%') else ''}"
        if m.scale != 1
        else (f"{x:.2f}")
    )


@solara.component
def Lesson(app: SyriaApp, on_lesson):
    case = app.case
    if not case.lesson:
        return
    with solara.Column(classes=["syriasim-panel"]):
        solara.Markdown("#### Guided lesson (see docs/TEACHING.md)")
        for i, step in enumerate(case.lesson, 1):
            with solara.Row(style={"align-items": "center"}):
                solara.Button(
                    f"Lesson {i}: {step.title}",
                    on_click=lambda s=step: on_lesson(s),
                    outlined=True,
                    style={"text-transform": "none"},
                )
                solara.Text(step.question, style={"font-size": "15px"})


@solara.component
def Export(app: SyriaApp, ens, view: str, views):
    def both_png():
        from PIL import Image

        imgs = [
            Image.open(io.BytesIO(views.map.live.png())),
            Image.open(io.BytesIO(views.chart.live.png())),
        ]
        w = sum(i.width for i in imgs)
        h = max(i.height for i in imgs)
        out = Image.new("RGB", (w, h), "white")
        x = 0
        for i in imgs:
            out.paste(i.convert("RGB"), (x, 0))
            x += i.width
        buf = io.BytesIO()
        out.save(buf, format="PNG")
        return buf.getvalue()

    stem = f"syriasim_{app.case.key}_{app.date:%Y-%m-%d}_{view}"
    with solara.Column(classes=["syriasim-panel"]):
        solara.Markdown("#### Export this view")
        with solara.Row():
            solara.FileDownload(
                both_png, filename=f"{stem}.png", label="PNG (map and chart)", mime_type="image/png"
            )
            solara.FileDownload(
                lambda: view_csv(app, ens, view),
                filename=f"{stem}.csv",
                label="CSV (the charts' numbers)",
                mime_type="text/csv",
            )
        solara.Markdown(f"The same chart from the command line:\n\n    {figure_command(app, view)}")


@solara.component
def Page():
    from sim.viz.live import live_views

    init = solara.use_memo(initial_settings, [])
    settings = solara.use_reactive(init)  # what the controls show
    applied = solara.use_reactive(init)  # what the model was built from
    first = solara.use_memo(lambda: first_model(init), [])
    model = solara.use_reactive(first)
    tick = solara.use_reactive(0)
    view = solara.use_reactive("ensemble")
    playing = solara.use_reactive(False)
    more_open = solara.use_reactive(False)
    app = model.value

    ens, done, total, error = use_ensemble(app)

    def rebuild(new_settings: dict) -> SyriaApp:
        playing.set(False)
        fresh = new_model(new_settings)
        applied.set(dict(new_settings))
        model.set(fresh)
        return fresh

    def on_reset():
        rebuild(settings.value)

    def on_step():
        app.step()
        tick.set(tick.value + 1)

    def on_jump(when: dt.date):
        target = app
        if when < app.date:  # runs never rewind: start again from the applied settings
            target = rebuild(applied.value)
        target.jump_to(when)
        tick.set(tick.value + 1)

    def on_lesson(step):
        new = {**applied.value, "compare_with": step.compare_with}
        view.set(step.view)
        settings.set(new)
        target = (
            rebuild(new) if new != applied.value or (step.go_to and step.go_to < app.date) else app
        )
        if step.go_to:
            target.jump_to(step.go_to)
        tick.set(tick.value + 1)

    def play():
        # as Mesa's own controller does: a threaded task that steps while `playing` is set
        while playing.value and app.running:
            t0 = time.perf_counter()
            app.step()
            tick.set(tick.value + 1)
            time.sleep(max(0.0, PLAY_INTERVAL_S - (time.perf_counter() - t0)))
        if not app.running:
            playing.set(False)

    solara.lab.use_task(play, dependencies=[playing.value, id(app)], prefer_threaded=True)

    shown_view = view.value
    views = live_views(app, ens, shown_view)
    map_png = solara.use_memo(views.map.png, [tick.value, id(app), id(views)])
    # the ensemble's charts do not change week to week: only the cursor moves (drawn on the page)
    chart_deps = [id(views)] + ([] if views.chart.ensemble is not None else [tick.value, id(app)])
    chart_png = solara.use_memo(views.chart.png, chart_deps)
    more_png = solara.use_memo(views.more.png, chart_deps)

    solara.Style(CSS)
    solara.Title(APP_NAME)
    with solara.Column(gap="0px", style={"min-height": "100vh"}):
        TopBar(
            settings, applied, on_reset, on_step, playing, view, app, more_open, on_jump, tick.value
        )
        if ens is None and not error:
            with solara.Row(style={"align-items": "center", "padding": "0 8px"}):
                solara.ProgressLinear(done / max(total, 1), style={"max-width": "300px"})
                solara.Text(
                    f"Computing the average of many seeds: {done} of {total} runs "
                    "(showing one possible history meanwhile)",
                    style={"font-size": "14px"},
                )
        with solara.Row(classes=["syriasim-main"], style={"flex-wrap": "wrap"}):
            with solara.Column(gap="0px", classes=["syriasim-map"]):
                _figure_with_cursor(map_png, views.map.live.css_width, None)
            with solara.Column(gap="0px", classes=["syriasim-chart"]):
                _figure_with_cursor(
                    chart_png,
                    views.chart.live.css_width,
                    views.chart.cursor() if views.chart.ensemble is not None else None,
                )
        with solara.Row(classes=["syriasim-main"], style={"flex-wrap": "wrap"}):
            Explanation(app, tick.value)
            CaseSummary(app, ens, done, total, error)
        with solara.Column(classes=["syriasim-main"]):
            _figure_with_cursor(more_png, views.more.live.css_width, None)
            Lesson(app, on_lesson)
            Export(app, ens, shown_view, views)


if os.environ.get("SYRIASIM_APP_PREWARM") == "1":
    threading.Thread(target=prewarm, name="syriasim-prewarm", daemon=True).start()
