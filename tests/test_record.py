"""The sourced record (sim/data/record/): loader, validation errors, `syriasim record`."""

import shutil
import subprocess
import sys

import pandas as pd
import pytest

from sim.errors import UserError
from sim.record import SERIES, load, record_dir
from sim.territory import CONTROLLERS, load_syria


def test_shipped_record_loads_with_sources_for_every_row():
    r = load()
    known = set(r.sources["id"])
    figures = r.series[~r.series["gap"]]
    assert set(figures["source"]) <= known and figures["locator"].all()
    assert set(r.series["series"]) <= set(SERIES)
    for frame in (r.control, r.sieges, r.ceasefires):
        assert frame["source"].isin(known).all() and frame["locator"].str.len().gt(0).all()
    shares = r.series[r.series["series"].map(lambda s: SERIES[s].share)]
    assert shares["value"].dropna().between(0, 1).all()


def test_april_2012_snapshot_covers_every_area_and_has_no_siege_yet():
    r = load()
    snap = r.control_at("2012-04-12")
    assert list(snap["area_id"]) == list(range(load_syria().n))
    assert set(snap["controller"]) <= set(CONTROLLERS)
    # Before the Aleppo battle and the Kurdish takeover of July 2012: mostly government-held.
    assert (snap["controller"] == "government").mean() > 0.8
    assert r.sieges_at("2012-04-12").empty


def test_get_and_sieges_at():
    r = load()
    cw = r.get("cw_removed_share")
    assert cw["date"].is_monotonic_increasing and cw["value"].iloc[-1] == 1.0
    assert "Foua and Kafraya" in set(r.sieges_at("2016-06-01")["area"])
    with pytest.raises(UserError, match="unknown series"):
        r.get("nope")
    with pytest.raises(UserError, match="no control snapshot"):
        r.control_at("2001-01-01")


def _copy(tmp_path):
    d = tmp_path / "record"
    shutil.copytree(record_dir(), d)
    return d


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


BAD = [
    ("series.csv", "series,date,value,gap", "series,when,value,gap", r"missing column\(s\) date"),
    ("series.csv", "besieged_people,2016-11-21", "besieged_people,2016-21-11", "expected a date"),
    ("series.csv", ",974080,", ",974k,", "expected a number"),
    ("series.csv", ",974080,0,ocha_obrien_2016_11,", ",974080,0,,", "every figure needs a source"),
    ("series.csv", "cw_removed_share,2014-04-19,0.8,", "cw_removed_share,2014-04-19,8.0,", "share"),
    ("series.csv", "besieged_people,2016-11-21", "besieged_ppl,2016-11-21", "unknown series"),
    ("control.csv", "\n43,Foua and Kafraya,", "\n943,Foua and Kafraya,", "unknown area id"),
    ("control.csv", "\n43,Foua and Kafraya,", "\n43,Fua,", "does not match id 43"),
    (
        "control.csv",
        "2012-04-12,government,high,wiki_foua",
        "2012-04-12,rebels,high,wiki_foua",
        "controller",
    ),
    ("sieges.csv", ",high,wiki_foua,", ",high,nosuchsource,", "unknown source"),
    ("ceasefires.csv", "2012-04-12,2012-06-16", "2012-04-12,2012-03-16", "ends before it starts"),
]


@pytest.mark.parametrize("name, old, new, words", BAD)
def test_bad_input_is_one_line_user_error(tmp_path, name, old, new, words):
    d = _copy(tmp_path)
    _edit(d / name, old, new)
    with pytest.raises(UserError, match=words) as exc:
        load(d)
    assert name in str(exc.value) and "\n" not in str(exc.value)


def test_incomplete_snapshot_is_rejected(tmp_path):
    d = _copy(tmp_path)
    lines = (d / "control.csv").read_text().splitlines()
    (d / "control.csv").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(UserError, match="lacks area ids"):
        load(d)


def _syriasim(*args):
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_lists_and_plots(tmp_path):
    out = _syriasim("record")
    assert out.returncode == 0, out.stderr
    assert "besieged_people" in out.stdout and "sources in sources.csv" in out.stdout
    png = tmp_path / "rec.png"
    out = _syriasim("record", "--plot", str(png))
    assert out.returncode == 0, out.stderr
    assert png.stat().st_size > 1000


@pytest.mark.parametrize(
    "name, old, new", [BAD[1][:3], BAD[2][:3], BAD[3][:3], BAD[6][:3], BAD[0][:3]]
)
def test_cli_bad_record_exit_2_one_line_nothing_written(tmp_path, name, old, new):
    d = _copy(tmp_path)
    _edit(d / name, old, new)
    png = tmp_path / "x.png"
    out = _syriasim("record", "--dir", str(d), "--plot", str(png))
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1 and name in out.stderr
    assert not png.exists()


def test_cli_unknown_series(tmp_path):
    out = _syriasim("record", "--series", "deaths_xyz")
    assert out.returncode == 2 and "unknown series" in out.stderr


def test_frames_are_typed():
    r = load()
    assert pd.api.types.is_datetime64_any_dtype(r.series["date"])
    assert pd.api.types.is_float_dtype(r.series["value"])
    assert pd.api.types.is_datetime64_any_dtype(r.sieges["end"])


def test_monthly_deaths_cover_every_month_with_gaps_marked():
    deaths = load().get("deaths_sohr")
    months = pd.date_range("2012-04-01", "2017-12-01", freq="MS")
    assert list(deaths["date"]) == list(months)
    gaps = deaths[deaths["gap"]]
    assert gaps["value"].isna().all() and gaps["note"].str.len().gt(0).all()
    assert deaths["value"].notna().sum() >= 30  # figures found, the rest are gaps


def test_record_has_six_snapshots_and_the_named_ceasefires():
    r = load()
    assert len(r.snapshot_dates()) >= 6
    starts = set(r.ceasefires["start"].dt.strftime("%Y-%m-%d"))
    assert {"2012-04-12", "2016-02-27", "2016-09-12", "2016-12-30", "2017-05-06"} <= starts
    assert (r.control_at("2015-07-01")["controller"] == "isil").any()


def test_missing_record_file_is_one_line(tmp_path):
    d = _copy(tmp_path)
    (d / "sieges.csv").unlink()
    with pytest.raises(UserError, match="cannot read") as exc:
        load(d)
    assert "sieges.csv" in str(exc.value)
