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
from sim.viz import style
from sim.viz.app_model import KNOBS_BY_NAME, SyriaApp, case_series
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
    views = live_views(app, None, "single")
    first_map, first_chart = views.map.png(), views.chart.png()
    assert first_map[:8] == b"\x89PNG\r\n\x1a\n"
    for _ in range(6):
        app.step()
    assert views.map.png() != first_map  # the areas and events changed
    assert views.chart.png() != first_chart  # the lines grew


def test_explanation_narrates_the_week_from_the_log():
    from sim.viz.explain import week_story, why_differ

    app = SyriaApp(case_study="access", compare_with="none", seed=3)
    app.jump_to(dt.date(2016, 4, 1))
    a, b = (r.model for r in app.runs)
    story = week_story(a)
    assert story and all(isinstance(line, str) and line for line in story)
    convoys = [e for e in a.week_log if e["kind"] == "convoy"]
    if convoys:
        assert any(f"to {len(convoys)} places" in line for line in story)
    assert why_differ(a, b)


def test_case_series_for_the_cli_and_notebooks():
    series = case_series("chemical", ["timeline", "unilateral_us"], seed=4)
    assert [s.structure for s in series] == ["timeline", "unilateral_us"]
    for s in series:
        assert s.frame["date"].min() >= np.datetime64(get_case("chemical").start)
        assert s.frame["date"].max() >= np.datetime64(get_case("chemical").end)


# --- the ensemble --------------------------------------------------------------------------------
@pytest.mark.parametrize("case", ["chemical", "access", "ceasefire"])
def test_each_cases_lesson_difference_is_visible_in_the_ensemble_view(case):
    """The headline the lesson points at (docs/TEACHING.md) shows in the mean-and-band view over
    the app's ensemble of seeds: the paired difference is clear of zero and big enough to see
    (>= 3% of the chart's 0-100% axis). It is a property of the model, not of a lucky seed."""
    from sim.viz import ensemble
    from sim.viz.app_model import base_scenario
    from sim.viz.live import LiveChart, headline_column

    c = get_case(case)
    h = ensemble.HEADLINES[case]
    assert headline_column(c) == h.column  # the chart the page shows first
    ens = ensemble.compute(c, base_scenario(c), [h.a, h.b], jobs=0)
    d = ensemble.headline_difference(ens, h)
    sign = 1 if h.higher_is_better else -1
    assert d["n_pairs"] == ensemble.N_SEEDS
    assert sign * d["ci_low"] > 0 or sign * d["ci_high"] < 0, f"{h.words}: {d}"
    m = style.measure(h.column)
    span = (m.ylim[1] - m.ylim[0]) if m.ylim else 100.0
    assert abs(d["diff"]) * m.scale >= 0.03 * span, f"{h.words}: {d}"
    # and the chart draws both bands
    app = SyriaApp(case_study=case, seed=0)
    chart = LiveChart(app, [h.column], (5, 4), ensemble=ens, view="ensemble")
    chart.png()
    ax = chart.axes[h.column]
    colours = {line.get_color() for line in ax.get_lines()}
    assert {style.structure_color(h.a), style.structure_color(h.b)} <= colours


def test_ensemble_seeds_are_fixed_and_shared_by_structures():
    from sim.viz import ensemble

    assert ensemble.ensemble_seeds(3) == ensemble.ensemble_seeds(3)
    c = get_case("chemical")
    from sim.viz.app_model import base_scenario

    ens = ensemble.compute(c, base_scenario(c), ["bilateral", "bilateral"], n_seeds=2, jobs=0)
    a = ens.weekly["bilateral"]
    assert ens.done == ens.total == 4 and len(a)
    band = ens.band("bilateral", "cw_removed_frac")
    assert (band["lo"] <= band["mean"] + 1e-12).all() and (band["mean"] <= band["hi"] + 1e-12).all()
    table = ensemble.summary_table(ens, c)
    assert "weeks to 95% removed" in table.columns


def test_the_pages_figure_command_draws_the_same_view(tmp_path):
    import shlex

    from sim.cli import main

    app = SyriaApp(case_study="chemical", compare_with="unilateral_us", seed=4, chaos=0.3)
    cmd = app_page.figure_command(app, "ensemble")
    assert "--structures timeline,bilateral,multilateral,unilateral_us,none" in cmd
    assert "--set params.diplomacy.chaos=0.3" in cmd
    argv = shlex.split(cmd)[1:]
    argv[argv.index("--seeds") + 1] = "1"  # the same command, fewer seeds (fast)
    argv[argv.index("--out") + 1] = str(tmp_path / "chem.png")
    assert main(argv) == 0
    assert (tmp_path / "chem.png").stat().st_size > 10_000
    single = app_page.figure_command(app, "single")
    assert "--seed 4" in single and "--structures timeline,unilateral_us" in single


# --- the page ------------------------------------------------------------------------------------
@pytest.fixture
def page(monkeypatch):
    from sim.viz import ensemble

    monkeypatch.setattr(ensemble, "N_SEEDS", 2)  # a small ensemble, in this process
    monkeypatch.setattr(app_page, "ENSEMBLE_JOBS", 0)
    app_page._JOBS.clear()
    box, rc = solara.render(app_page.Page(), handle_error=False)
    # the background ensemble re-renders the page when it is done: let it finish first
    _wait(lambda: "Case summary over 2 seeds" in _text(rc))
    yield rc
    rc.close()


def _button(rc, label):
    return rc.find(v.Btn, children=[label]).widget


def _select(rc, label):
    return rc.find(v.Select, label=label).widget


def _images(rc) -> list[str]:
    return [hashlib.sha1(w.value).hexdigest() for w in rc.find(widgets.Image).widgets]


def _text(rc) -> str:
    """The page's text: Markdown panels (Vue templates) and plain text widgets."""
    parts = [str(w.template) for w in rc.find(ipyvue.VueTemplate).widgets]
    parts += [str(getattr(w, "children", "")) for w in rc.find(v.Html).widgets]
    return " ".join(parts)


def _wait(cond, timeout=60.0):
    import time

    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def test_page_has_class_controls_and_none_of_mesas_internal_ones(page):
    labels = {w.label for w in page.find(v.Select).widgets}
    assert {"Case study", "Structure", "Side by side"} <= labels
    seed = page.find(v.TextField, label="Seed").widget  # a number box: digits only
    assert seed.v_model == "7"
    text = _text(page)
    for hidden in ("Render Interval", "Use Threads", "Information"):
        assert hidden not in text
    for label in ("Reset", "Step", "Play", "Settings"):
        assert _button(page, label)
    assert len(page.find(widgets.Image).widgets) == 3  # map, headline chart, other charts
    _button(page, "Settings").click()
    _wait(lambda: page.find(v.Slider).widgets)
    sliders = page.find(v.Slider).widgets
    assert sliders and all(s.thumb_label == "always" for s in sliders)  # values shown
    assert any("Pressure weight (x): 1" in s.label for s in sliders)


def test_a_typed_seed_is_kept_in_range_and_waits_for_reset(page):
    seed = page.find(v.TextField, label="Seed").widget
    seed.v_model = "12"
    _wait(lambda: "press Reset to apply" in _text(page))
    seed.v_model = "5000"
    _wait(lambda: page.find(v.TextField, label="Seed").widget.v_model == "999")  # clamped
    _button(page, "Reset").click()
    _wait(lambda: "seed 999" in _text(page))


def test_step_updates_map_and_explanation(page):
    before = _images(page)
    for week in range(1, 4):
        _button(page, "Step").click()
        _wait(lambda w=week: f"week {w} of the case" in _text(page))
    _button(page, "ISSG task force").click()  # a year on, the map has changed
    _wait(lambda: "Feb 2016" in _text(page))
    _wait(lambda: _images(page) != before)
    assert "This week" in _text(page)


def test_a_change_waits_for_reset_and_says_so(page):
    _select(page, "Side by side").v_model = "multilateral"
    _wait(lambda: "press Reset to apply" in _text(page))
    _button(page, "Reset").click()
    _wait(lambda: "press Reset to apply" not in _text(page))
    _wait(lambda: "Why A and B differ" in _text(page))
    _button(page, "Step").click()


def test_jump_to_buttons_go_to_the_cases_key_dates(page):
    case = get_case("access")
    when, label = case.key_dates[1]
    _button(page, label).click()
    _wait(lambda: when.strftime("%b %Y") in _text(page))
    first, first_label = case.key_dates[0]
    _button(page, first_label).click()  # back in time: the model is rebuilt
    _wait(lambda: first.strftime("%b %Y") in _text(page))


def test_the_ensemble_finishes_in_the_background_and_fills_the_summary(page):
    assert "The lesson's difference" in _text(page)
    assert "Computing the average" not in _text(page)


def test_switching_case_study_and_reset_never_crash(page):
    for key in CASES:
        _button(page, "Step").click()
        _select(page, "Case study").v_model = key
        _button(page, "Reset").click()
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
    assert live_views(app, None, "single").chart.png()[:8] == b"\x89PNG\r\n\x1a\n"
