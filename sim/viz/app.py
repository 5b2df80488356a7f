"""The browser app: a Mesa SolaraViz page for live counterfactuals (`syriasim app`).

Sidebar (Mesa's): step / play / reset, and the model parameters — case study, the structure of
each track, a side-by-side structure, the compliance rule, key leverage and compliance
parameters, and the seed (a slider, so Reset always gets a valid integer). Parameter changes
take effect on Reset, as in every Mesa app.

Main area: the territory map at the areas' latitude/longitude (areas coloured by controller,
besieged ones ringed, this week's convoys, strikes and violations marked), live charts of the
case study's goal measures, and a short text panel about the case.

Served by `syriasim app` (solara on 127.0.0.1); `Page` is the solara entry point.
"""

from __future__ import annotations

import os

import pandas as pd
import solara
from mesa.visualization import Slider, SolaraViz
from mesa.visualization.utils import update_counter

from sim.plugins import TRACKS
from sim.viz import adapter, style
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
from sim.viz.live import live_views

APP_NAME = "syriasim: US-Russia cooperation in Syria"


def initial_settings() -> dict:
    """Start-up values of the controls (from `syriasim app --case/--seed` via the environment)."""
    case = get_case(os.environ.get("SYRIASIM_APP_CASE", "access"))
    seed = int(os.environ.get("SYRIASIM_APP_SEED", "7"))
    compare = os.environ.get("SYRIASIM_APP_COMPARE", OFF)
    return {"case_study": case.label, "seed": max(0, min(SEED_MAX, seed)), "compare_with": compare}


def model_params(settings: dict | None = None) -> dict:
    """SolaraViz controls: every value comes from a Select or a Slider (nothing typed)."""
    settings = settings or initial_settings()
    case = get_case(settings["case_study"])
    base = base_scenario(case)
    flat = base.flat_params()
    structures = structure_choices()
    params: dict = {
        "case_study": {
            "type": "Select",
            "value": case.label,
            "values": [c.label for c in CASES.values()],
            "label": "Case study",
        },
    }
    for track in TRACKS:
        params[f"structure_{track}"] = {
            "type": "Select",
            "value": str(flat.get(f"tracks.{track}.structure", "timeline")),
            "values": structures,
            "label": f"Structure: {track} track",
        }
    params["compare_with"] = {
        "type": "Select",
        "value": settings.get("compare_with", OFF),
        "values": [OFF, *structures],
        "label": "Side by side: same seed under structure",
    }
    params["compliance_rule"] = {
        "type": "Select",
        "value": str(flat.get("rules.compliance.name")),
        "values": compliance_rule_choices(),
        "label": "Compliance rule",
    }
    for knob in KNOBS:
        value = knob.default if knob.default is not None else flat.get(knob.key)
        if value is None:
            continue
        value = min(max(float(value), knob.lo), knob.hi)
        params[knob.name] = Slider(knob.label, value, knob.lo, knob.hi, knob.step, dtype=float)
    params["seed"] = Slider("Seed", settings["seed"], 0, SEED_MAX, 1, dtype=int)
    return params


def map_png(model: SyriaApp) -> bytes:
    """This week's map(s) as PNG bytes (fast: cached background + this week's artists)."""
    return live_views(model)[0].png()


def charts_png(model: SyriaApp) -> bytes:
    """The goal-measure charts up to this week as PNG bytes."""
    return live_views(model)[1].png()


def _week_image(model: SyriaApp, render, css_class: str) -> None:
    """A PNG of this week, redrawn when the model steps or is replaced."""
    update_counter.get()
    png = solara.use_memo(lambda: render(model), [update_counter.value, id(model)])
    with solara.Column(classes=[css_class]):
        solara.Image(png, format="png", width="100%")


@solara.component
def MapView(model: SyriaApp):
    """The territory map of the current week (two maps in side-by-side mode)."""
    _week_image(model, map_png, "syriasim-map")


@solara.component
def ChartsView(model: SyriaApp):
    """Live charts of the case study's goal measures, one line per structure."""
    _week_image(model, charts_png, "syriasim-charts")


@solara.component
def CaseInfo(model: SyriaApp):
    """What happened, the counterfactual question, and where the run stands."""
    update_counter.get()
    case = model.case
    lines = [
        f"### {case.label}",
        f"**What happened.** {case.what_happened}",
        f"**Question.** {case.question}",
        "",
        f"**Week of {model.date:%d %B %Y}** — week {model.weeks_shown()} of the case "
        f"({case.start:%b %Y} to {case.end:%b %Y}); seed {model.seed}; "
        f"compliance rule *{model.compliance_rule}*.",
    ]
    for run in model.runs:
        colour = style.structure_color(run.structure)
        lines.append(f'- <span style="color:{colour}">&#9632;</span> {run.label}')
    lines.append(this_week_table(model))
    if not model.running:
        lines.append("\n**End of the case study window.** Press Reset to run it again.")
    lines.append(
        "\n**Controls.** *Structure*: who runs each policy track (timeline = as it happened). "
        "*Pressure / Cost / Monitoring weight (x)*: multiply how much a client's compliance "
        "responds to its patron's pressure, to its own cost, to being watched. *Leverage "
        "recovery / spent per use*: how fast a patron's leverage comes back and how much "
        "using it costs. *Chaos*: share of outcomes decided by local actors no patron "
        "controls. *Seed*: the run's chance events (same seed = same luck)."
    )
    lines.append(
        "\n*Changes to the parameters take effect when you press **Reset**. "
        "Pick a structure under 'Side by side' to run the same seed under two structures.*"
    )
    solara.Markdown("\n\n".join(lines))


def this_week_table(model: SyriaApp) -> str:
    """The case's goal measures this week, one column per run (Markdown)."""
    from sim.viz.figures import add_derived_columns

    rows = [add_derived_columns(pd.DataFrame([adapter.latest(r.model)])) for r in model.runs]
    header = "| this week | " + " | ".join(r.label.split(":")[0] for r in model.runs) + " |"
    out = [header, "|---|" + "---:|" * len(model.runs)]
    for col in model.case.measures:
        m = style.measure(col)
        cells = []
        for row in rows:
            if col in row.columns and len(row):
                value = float(row[col].iloc[0]) * m.scale
                cells.append(f"{value:,.0f}" if abs(value) >= 100 or value == 0 else f"{value:.2f}")
            else:
                cells.append("–")
        out.append(f"| {m.title} ({m.unit}) | " + " | ".join(cells) + " |")
    return "\n".join(out)


@solara.component
def MainView(model: SyriaApp):
    """The main area: map and charts side by side (stacked on narrow screens), case text below.

    (Laid out here rather than in Mesa's draggable grid, whose grid-layout script fails to
    load under Vue 3 / ipyvuetify 3 — the page would stay empty.)
    """
    # one run: map and charts side by side; two runs: the two maps get a full row
    widths = [12, 12] if model.side_by_side else [5, 7]
    with solara.Column(style={"padding": "8px", "gap": "8px"}):
        with solara.ColumnsResponsive(default=[12, 12], large=widths):
            with solara.Card("Territory this week", margin=0):
                MapView(model)
            with solara.Card("Goal measures", margin=0):
                ChartsView(model)
        with solara.Card(margin=0):
            CaseInfo(model)


def new_model(settings: dict) -> SyriaApp:
    return SyriaApp(
        case_study=settings["case_study"],
        seed=settings["seed"],
        compare_with=settings["compare_with"],
    )


@solara.component
def Page():
    settings = solara.use_memo(initial_settings, [])
    params = solara.use_memo(lambda: model_params(settings), [])
    initial = solara.use_memo(lambda: new_model(settings), [])
    # A reactive we own: Mesa's Reset replaces `model.value`, and MainView follows it.
    model = solara.use_reactive(initial)
    SolaraViz(model, components=[], model_params=params, name=APP_NAME, play_interval=150)
    MainView(model.value)
