"""The teaching app without a browser: the SyriaApp model and the page rendered with solara.render.

The page is driven the way a user drives it: pick values in the sidebar's selects, press
Step / Reset, and the map, charts and text must follow.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import ipyvue
import ipyvuetify as v
import ipywidgets as widgets
import numpy as np
import pytest
import solara

from sim.errors import UserError
from sim.viz import app as app_page
from sim.viz.app_model import KNOBS_BY_NAME, SEED_MAX, SyriaApp, case_series
from sim.viz.cases import CASES, get_case
from sim.viz.live import live_views


# --- the model behind the page ----------------------------------------------------------------
def test_case_study_starts_at_its_window_and_stops_at_its_end():
    app = SyriaApp(case_study="ceasefire", seed=3)
    case = get_case("ceasefire")
    assert case.start <= app.date < case.start + dt.timedelta(days=7)
    weeks = 0
    while app.running:
        app.step()
        weeks += 1
        assert weeks < 80, "the ceasefire case must stop at the end of 2016"
    assert app.date >= case.end
    last = app.date
    app.step()  # stepping past the end is a no-op, not a crash
    assert app.date == last and not app.running


def test_same_seed_same_structure_is_reproducible():
    a = SyriaApp(case_study="access", seed=11)
    b = SyriaApp(case_study="access", seed=11)
    for _ in range(20):
        a.step()
        b.step()
    fa, fb = a.runs[0].timeseries(), b.runs[0].timeseries()
    assert len(fa) == len(fb) > 20
    assert fa.drop(columns="date").equals(fb.drop(columns="date"))


def test_side_by_side_runs_the_same_seed_under_another_structure():
    app = SyriaApp(case_study="access", compare_with="none", seed=5)
    assert len(app.runs) == 2
    a, b = app.runs
    assert a.scenario.get("tracks.access.structure") == "timeline"
    assert b.scenario.get("tracks.access.structure") == "none"
    # the other tracks are left as they were
    assert b.scenario.get("tracks.ceasefire.structure") == "timeline"
    for _ in range(70):
        app.step()
    ra, rb = (r.timeseries(app.case.start) for r in app.runs)
    # history before the case window is common to both runs (same seed, same structure then)
    assert ra["date"].iloc[0] == rb["date"].iloc[0]
    # the task force of Feb 2016 lies inside 70 weeks: with no mechanism at all, access differs
    assert ra["aid_reached"].sum() != rb["aid_reached"].sum()


def test_side_by_side_with_the_same_structure_gives_identical_lines():
    app = SyriaApp(case_study="ceasefire", compare_with="timeline", seed=9)
    for _ in range(15):
        app.step()
    ra, rb = (r.timeseries() for r in app.runs)
    assert ra.drop(columns="date").equals(rb.drop(columns="date"))


def test_knobs_change_the_scenario_the_model_runs():
    base = SyriaApp(case_study="access", seed=1)
    flat = base.runs[0].scenario.flat_params()
    app = SyriaApp(case_study="access", seed=1, pressure_weight_x=2.0, chaos=0.6)
    sc = app.runs[0].scenario
    key = KNOBS_BY_NAME["pressure_weight_x"].key
    assert sc.get(key) == pytest.approx(2.0 * flat[key])
    assert sc.get("params.diplomacy.chaos") == pytest.approx(0.6)


def test_switching_compliance_rule_uses_that_rules_own_parameters():
    app = SyriaApp(case_study="access", compliance_rule="threshold", seed=1)
    sc = app.runs[0].scenario
    assert sc.get("rules.compliance.name") == "threshold"
    assert "threshold" in sc.get("rules.compliance.params")
    app.step()


def test_bad_values_are_user_errors():
    with pytest.raises(UserError, match="case study"):
        SyriaApp(case_study="nowhere")
    with pytest.raises(UserError, match="structure"):
        SyriaApp(structure_access="tripartite")
    with pytest.raises(UserError, match="compliance rule"):
        SyriaApp(compliance_rule="oracle")


def test_live_views_redraw_and_change_week_by_week():
    app = SyriaApp(case_study="chemical", compare_with="unilateral_us", seed=2)
    map_view, charts_view = live_views(app)
    first_map, first_charts = map_view.png(), charts_view.png()
    assert first_map[:8] == b"\x89PNG\r\n\x1a\n"
    for _ in range(6):
        app.step()
    assert map_view.png() != first_map  # the week text and the areas changed
    assert charts_view.png() != first_charts  # the lines grew


def test_case_series_for_the_cli_and_notebooks():
    series = case_series("chemical", ["timeline", "unilateral_us"], seed=4)
    assert [s.structure for s in series] == ["timeline", "unilateral_us"]
    for s in series:
        assert s.frame["date"].min() >= np.datetime64(get_case("chemical").start)
        assert s.frame["date"].max() >= np.datetime64(get_case("chemical").end)


# --- the page ------------------------------------------------------------------------------------
@solara.component
def _Wrapped():
    with solara.AppLayout():
        app_page.Page()


@pytest.fixture
def page():
    box, rc = solara.render(_Wrapped(), handle_error=False)
    yield rc
    rc.close()


def _button(rc, label):
    return rc.find(v.Btn, children=[label]).widget


def _select(rc, label):
    return rc.find(v.Select, label=label).widget


def _images(rc) -> list[str]:
    return [hashlib.sha1(w.value).hexdigest() for w in rc.find(widgets.Image).widgets]


def _markdown(rc) -> str:
    """The text of the page's Markdown panels (solara renders them as Vue templates)."""
    return " ".join(str(w.template) for w in rc.find(ipyvue.VueTemplate).widgets)


def test_page_has_the_controls_and_no_free_text_inputs(page):
    labels = {w.label for w in page.find(v.Select).widgets}
    assert {
        "Case study",
        "Structure: chemical track",
        "Structure: access track",
        "Structure: ceasefire track",
        "Side by side: same seed under structure",
        "Compliance rule",
    } <= labels
    sliders = {w.label: w for w in page.find(v.Slider).widgets}
    seed = sliders["Seed"]
    assert (seed.min, seed.max, seed.step) == (
        0,
        SEED_MAX,
        1,
    )  # a seed cannot be typed out of range
    assert "Pressure weight (x)" in sliders and "Chaos (local share)" in sliders
    assert not page.find(v.TextField).widgets, "no text box: every value comes from a control"
    assert [b.children for b in page.find(v.Btn).widgets if b.children[0] in ("Reset", "Step")]
    assert len(page.find(widgets.Image).widgets) == 2  # map and charts


def test_step_updates_map_charts_and_text(page):
    before = _images(page)
    text_before = _markdown(page)
    for _ in range(4):
        _button(page, "Step").click()
    after = _images(page)
    assert after[0] != before[0] and after[1] != before[1]
    assert _markdown(page) != text_before
    assert "week 4 of the case" in _markdown(page) or "week 5 of the case" in _markdown(page)


def test_reset_applies_a_new_structure_and_side_by_side(page):
    for _ in range(3):
        _button(page, "Step").click()
    _select(page, "Structure: access track").v_model = "bilateral"
    _select(page, "Side by side: same seed under structure").v_model = "multilateral"
    _button(page, "Reset").click()
    text = _markdown(page)
    assert "A: Bilateral (US-Russia co-lead) on access track" in text
    assert "B: Multilateral (uniform rules) on access track" in text
    assert "week 0 of the case" in text
    before = _images(page)
    _button(page, "Step").click()
    assert _images(page) != before


def test_switching_case_study_mid_run_and_reset_never_crash(page):
    for label in [c.label for c in CASES.values()]:
        _button(page, "Step").click()
        _select(page, "Case study").v_model = label
        _button(page, "Reset").click()
        assert label in _markdown(page)
        _button(page, "Step").click()
    _button(page, "Reset").click()
    _button(page, "Reset").click()  # twice in a row
    assert not page.find(v.Alert).widgets, "no error banner after resets"


def test_redraw_while_a_week_is_half_collected():
    """Play steps in a thread: a redraw may see some columns with this week's row and others
    without. The charts keep the weeks every column has instead of failing."""
    app = SyriaApp(case_study="ceasefire", seed=1)
    app.step()
    dc = app.runs[0].model.datacollector
    complete = len(app.runs[0].timeseries())
    first = next(iter(dc.model_vars))
    dc.model_vars[first].append(dc.model_vars[first][-1])  # one column a week ahead
    assert len(app.runs[0].timeseries()) == complete
    assert live_views(app)[1].png()[:8] == b"\x89PNG\r\n\x1a\n"
