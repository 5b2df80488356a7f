"""Figures, palette and the viz CLI (`syriasim figure`, `syriasim app` argument and port errors)."""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from sim import SyriaModel, load_scenario
from sim.cli import main
from sim.errors import UserError
from sim.structures import STRUCTURES
from sim.viz import adapter, style
from sim.viz.commands import check_port_free
from sim.viz.figures import (
    MapData,
    Series,
    add_derived_columns,
    compact_number,
    goals_figure,
    map_figure,
    map_legend_handles,
    nice_ceiling,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# --- palette -------------------------------------------------------------------------------------
def test_every_structure_and_controller_has_its_own_colour():
    from sim.territory import CONTROLLERS

    structures = ["timeline", *STRUCTURES]
    colours = [style.structure_color(s) for s in structures]
    assert len(set(colours)) == len(colours)
    assert all(s in style.STRUCTURE_COLORS for s in structures)
    controller_colours = [style.actor_color(c) for c in CONTROLLERS]
    assert len(set(controller_colours)) == len(CONTROLLERS)
    assert all(c in style.ACTOR_COLORS for c in CONTROLLERS)
    assert style.actor_color("ISIS") == style.actor_color("isil")  # aliases map to one colour


def test_every_output_column_charted_has_a_label_with_a_unit():
    from sim.metrics import WEEKLY

    for column in (
        "cw_removed_frac",
        "besieged_reached_share",
        "violence",
        "us_russia_trust",
        "escalation",
        "aid_reached",
        "ceasefire_violations",
        "chem_attacks",
    ):
        m = style.measure(column)
        assert m.title and m.unit, column
    for column in WEEKLY:
        if column in style.MEASURES:
            assert style.MEASURES[column].unit


def test_save_figure_png_svg_and_a_clear_error_otherwise(tmp_path):
    fig = Figure()
    fig.subplots().plot([0, 1], [1, 0])
    png = style.save_figure(fig, tmp_path / "a.png")
    assert png.read_bytes()[:8] == PNG_MAGIC
    svg = style.save_figure(fig, tmp_path / "sub" / "b.svg")
    ET.parse(svg)  # well-formed SVG
    with pytest.raises(UserError, match=r"\.png, \.svg, \.pdf"):
        style.save_figure(fig, tmp_path / "c.gif")


def test_tidy_axis_numbers():
    assert nice_ceiling(0.0) == 1.0
    assert nice_ceiling(37) == 50
    assert nice_ceiling(96) == 200  # 5% headroom above 96 passes 100
    assert nice_ceiling(1900) == 2000
    assert nice_ceiling(2300) == 2500
    assert [compact_number(x) for x in (0, 950, 2500, 40000, 1.2e6)] == [
        "0",
        "950",
        "2.5k",
        "40k",
        "1.2M",
    ]


# --- figures from the real model -----------------------------------------------------------------
@pytest.fixture(scope="module")
def stepped_model():
    sc = load_scenario("scenarios/historical.toml")
    model = SyriaModel(sc, seed=3)
    adapter.fast_forward(model, pd.Timestamp("2016-03-07").date())
    return model


def test_map_data_reads_the_territory_and_this_weeks_log(stepped_model):
    data = adapter.map_data(stepped_model)
    t = stepped_model.territory
    assert len(data.lat) == len(data.lon) == len(data.controller) == t.n
    assert set(data.controller) <= {"government", "opposition", "isil", "kurdish"}
    assert np.array_equal(data.besieged, t.status == 2)
    assert len(data.edges) == len(t.edge_u)
    convoys = [e for e in stepped_model.week_log if e["kind"] == "convoy"]
    mapped = [e for e in data.events if e[0] in ("convoy", "convoy_blocked")]
    assert len(mapped) == len(convoys)
    assert all(origin == t.capital for _, _, origin in mapped)
    assert data.date == stepped_model.date


def test_map_and_goal_figures_draw(stepped_model, tmp_path):
    data = adapter.map_data(stepped_model)
    fig = map_figure([("A", data), ("B", data)])
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 2
    ax = fig.axes[0]
    texts = {t.get_text() for t in ax.texts}
    assert {"Damascus", "Aleppo", "Homs", "Raqqa", "Deir ez-Zor"} <= texts  # whole names
    assert all(t.get_fontsize() >= 10.5 for t in ax.texts)  # >= 14 px at 96 px per inch
    style.save_figure(fig, tmp_path / "map.png")
    df = adapter.timeseries(stepped_model)
    fig = goals_figure(
        [Series("timeline", df), Series("bilateral", df.assign(violence=0.0))],
        ["violence", "us_russia_trust"],
    )
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [a.get_ylabel() for a in axes] == ["conflict deaths per week", "0 = none, 1 = full"]
    lines = axes[0].get_lines()
    colours = {line.get_color() for line in lines}
    assert style.structure_color("timeline") in colours
    assert style.structure_color("bilateral") in colours


def test_every_area_is_a_cell_inside_syria_and_cells_do_not_overlap():
    from sim.viz import geo

    areas = pd.read_csv("sim/data/areas.csv")
    cells = geo.area_cells(areas["lon"], areas["lat"])
    country = geo.syria()
    assert len(cells) == len(areas) and not any(c.is_empty for c in cells)
    for cell, lon, lat in zip(cells, areas["lon"], areas["lat"], strict=True):
        assert country.buffer(1e-6).contains(cell)
        point = geo.shape({"type": "Point", "coordinates": [lon, lat]})
        if country.contains(point):  # (Quneitra's point lies in the Golan, outside the outline)
            assert cell.buffer(1e-6).contains(point)
    total = sum(c.area for c in cells)
    assert total == pytest.approx(country.area, rel=1e-6)  # a partition of Syria
    assert "Natural Earth" in geo.outline_source()


def test_legend_is_complete_and_marks_differences():
    labels = [h.get_label() for h in map_legend_handles(differ=True)]
    for needed in (
        "Besieged",
        "Hard to reach",
        "Strike",
        "Aid delivered",
        "Convoy blocked",
        "Ceasefire violation",
        "Differs from other run",
        "Held by ISIL",
    ):
        assert needed in labels


def test_side_by_side_outlines_exactly_the_differing_areas():
    from matplotlib.collections import PolyCollection

    from sim.viz.figures import draw_map_state

    data = MapData(
        lat=np.array([33.5, 36.2, 35.0]),
        lon=np.array([36.3, 37.1, 40.0]),
        controller=["government", "opposition", "isil"],
        population=np.ones(3),
        besieged=np.array([False, True, False]),
        hard_to_reach=np.zeros(3, bool),
        names=["a", "b", "c"],
    )
    fig = Figure()
    ax = fig.subplots()
    before = len(ax.collections)
    draw_map_state(ax, data, differ=np.array([False, False, False]))
    no_diff = len(ax.collections) - before
    ax2 = Figure().subplots()
    draw_map_state(ax2, data, differ=np.array([False, True, False]))
    outlined = [
        c
        for c in ax2.collections
        if isinstance(c, PolyCollection)
        and tuple(c.get_edgecolor()[0][:3])
        == pytest.approx(tuple(int(style.DIFFER_EDGE[i : i + 2], 16) / 255 for i in (1, 3, 5)))
    ]
    assert len(ax2.collections) == no_diff + 1 and len(outlined) == 1


def test_record_marks_come_from_the_calibration_targets():
    from sim.viz.record import record_marks

    cw = record_marks("cw_removed_frac")
    assert any(m.kind == "point" and m.value == 1.0 and m.end.month == 6 for m in cw)
    access = record_marks("besieged_reached_frac")
    assert {m.kind for m in access} == {"level", "best"}
    assert record_marks("no_such_column") == []


def test_derived_share_of_besieged_reached():
    df = pd.DataFrame(
        {
            "date": ["2016-01-04", "2016-01-11"],
            "besieged_reached": [50.0, 0.0],
            "besieged_pop": [200.0, 0.0],
        }
    )
    out = add_derived_columns(df)
    assert out["besieged_reached_share"].tolist() == [0.25, 0.0]
    assert pd.api.types.is_datetime64_any_dtype(out["date"])


def test_month_to_date_share_ends_each_month_on_the_monthly_figure():
    from sim import run

    # A seed in which convoys reach besieged people (in some, none is besieged long enough).
    res = run(load_scenario("scenarios/historical.toml"), seed=3)
    weekly = add_derived_columns(res.timeseries)
    month_end = weekly.groupby(weekly["date"].dt.to_period("M"))["besieged_reached_mtd"].last()
    monthly = res.monthly.set_index("month")["besieged_reached_frac"]
    assert np.allclose(month_end.to_numpy(), monthly.to_numpy())
    assert month_end.max() > 0


def test_map_events_without_a_place_are_left_to_the_weekly_summary():
    data = MapData(
        lat=np.array([33.5, 36.2]),
        lon=np.array([36.3, 37.1]),
        controller=["government", "opposition"],
        population=np.array([1e6, 2e5]),
        besieged=np.array([False, True]),
        hard_to_reach=np.array([False, False]),
        names=["Damascus", "Aleppo"],
        events=[("strike", 1, None), ("convoy", 5, 0)],
    )
    fig = map_figure([("test", data)])  # the out-of-range area 5 is skipped, not a crash
    assert fig.axes


# --- CLI -----------------------------------------------------------------------------------------
def test_figure_case_writes_png_and_svg(tmp_path, capsys):
    out = tmp_path / "cw.png"
    assert (
        main(
            [
                "figure",
                "case",
                "chemical",
                "--structures",
                "timeline,unilateral_us",
                "--seed",
                "2",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert out.read_bytes()[:8] == PNG_MAGIC
    svg = tmp_path / "cw.svg"
    assert main(["figure", "case", "ceasefire", "--out", str(svg)]) == 0
    root = ET.parse(svg).getroot()
    text = ET.tostring(root, encoding="unicode")
    assert "Cessation of hostilities" in text and "conflict deaths per week" in text


def test_figure_map_and_run(tmp_path):
    out = tmp_path / "map.svg"
    assert (
        main(
            [
                "figure",
                "map",
                "scenarios/historical.toml",
                "--date",
                "2016-06-01",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "Besieged" in out.read_text()  # the legend, kept as text in the SVG
    run_dir = tmp_path / "run"
    assert main(["run", "scenarios/historical.toml", "--seed", "1", "--out", str(run_dir)]) == 0
    png = tmp_path / "run.png"
    assert (
        main(["figure", "run", str(run_dir), "--columns", "violence,escalation", "--out", str(png)])
        == 0
    )
    assert png.read_bytes()[:8] == PNG_MAGIC


@pytest.mark.parametrize(
    "argv, message",
    [
        (["figure", "case", "access", "--out", "{tmp}/x.bmp"], "cannot save a figure as 'bmp'"),
        (
            [
                "figure",
                "map",
                "scenarios/historical.toml",
                "--date",
                "2030-01-01",
                "--out",
                "{tmp}/m.png",
            ],
            "outside the scenario's horizon",
        ),
        (["figure", "run", "{tmp}/no_such_dir", "--out", "{tmp}/r.png"], "no such file"),
        (
            ["figure", "case", "access", "--set", "params.trust.initial=7", "--out", "{tmp}/t.png"],
            "params.trust.initial",
        ),
        (["app", "--seed", "5000"], "out of range"),
        (["app", "--compare", "tripartite"], "not a structure"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, message, capsys, tmp_path):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1
    assert not any(tmp_path.iterdir()), "nothing written on bad input"


def test_port_in_use_is_a_one_line_error_with_the_fix(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(UserError) as info:
            check_port_free("127.0.0.1", port)
        message = str(info.value)
        assert "already in use" in message and "syriasim app --port" in message
        assert "\n" not in message
        assert main(["app", "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("syriasim app: error: port") and len(err.splitlines()) == 1
    suggested = int(err.rsplit("--port", 1)[1].split()[0])
    with socket.socket() as s:  # the suggested port is free
        s.bind(("127.0.0.1", suggested))


def test_app_listens_on_loopback_by_default():
    from sim.viz.commands import DEFAULT_HOST, app_command

    assert DEFAULT_HOST == "127.0.0.1"
    cmd = app_command(DEFAULT_HOST, 8765)
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert "--no-check-version" in cmd  # no network call at start-up


def test_offline_assets_are_detected_in_solaras_folder(tmp_path, monkeypatch):
    from sim.viz import assets

    required = assets.required_packages()
    assert any("solara-vuetify" in p for p in required)
    assert "requirejs@2.3.6" in required
    monkeypatch.setattr(assets, "cdn_dir", lambda: tmp_path)
    assert assets.missing_packages() == required
    for pkg in required:  # what `npm pack` leaves: the package's files under name@version/
        name = pkg.rsplit("@", 1)[0]
        probe = tmp_path / pkg / assets._PROBE.get(name, "package.json")
        probe.parent.mkdir(parents=True, exist_ok=True)
        probe.write_text("{}")
    assert assets.missing_packages() == []
    assert assets.main(["--check"]) == 0
