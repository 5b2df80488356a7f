"""The out-of-sample report and the fit on the record up to a date (issue 10)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sim.calibration.record_scores import (
    last_snapshot,
    record_report,
    record_targets,
    targets_until,
)
from sim.calibration.targets import load_targets
from sim.record import load

UNTIL = "2015-12-31"


@pytest.fixture(scope="module")
def record():
    return load()


def test_record_targets_use_only_rows_up_to_the_date(record):
    targets = record_targets(record, UNTIL)
    assert targets and all(t.group == "record" for t in targets)
    for t in targets:
        for q in t.quantities:
            assert q.end <= UNTIL[:7]
    ids = {t.id for t in targets}
    assert "record_deaths_2015" in ids and "record_deaths_2016" not in ids
    assert "record_areas_isil_2015-07" in ids and not any("2016" in i for i in ids)
    early = record_targets(record, "2013-12-31")
    assert len(early) < len(targets)


def test_targets_after_the_date_are_left_out():
    targets = load_targets()
    kept = targets_until(targets, UNTIL)
    assert 0 < len(kept) < len(targets)
    assert all(q.end <= UNTIL for t in kept for q in t.quantities)
    assert "access_2016_best_month" not in {t.id for t in kept}


def test_report_scores_every_series_and_snapshot_in_and_out_of_sample(record, historical):
    table, text = record_report(record, historical, seeds=[0, 1], until=UNTIL, jobs=1)
    deaths = table[(table["series"] == "deaths_sohr") & (table["run"] == "free")]
    assert set(deaths["sample"]) == {"in", "out"}
    assert (deaths["n"] > 0).all() and deaths["model"].between(0, 10).all()
    assert np.isfinite(deaths["skill"]).all()
    control = table[table["series"].str.startswith("control@")]
    assert set(control["run"]) == {"free", "forecast"}
    forecast = control[control["run"] == "forecast"]
    start = pd.Timestamp(last_snapshot(record, UNTIL)[0])
    assert (forecast["sample"] == "out").all()
    assert all(pd.Timestamp(s[8:]) > start for s in forecast["series"])
    assert control["model"].between(0, 1).all() and control["baseline"].between(0, 1).all()
    # Series without a model counterpart are listed with the reason, never dropped.
    named = set(table["series"])
    assert set(record.series["series"]) <= named
    assert "out of sample" in text and "| deaths_sohr | free | out |" in text


def test_bad_until_is_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "rh"
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "report-history", "--until", "2015-13-01", "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "--until" in proc.stderr
    assert not out.exists()
