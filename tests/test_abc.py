"""`syriasim calibrate --method abc`: an ABC-SMC posterior over free parameters (stand-in model),
written as Parquet samples with diagnostics and a figure, resumable from its SQLite history."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.calibration.abc import abc_calibrate
from sim.calibration.calibrate import FreeParam
from sim.calibration.targets import load_targets
from tests.test_calibration import STUB_TARGETS, StubScenario, stub_run


def test_abc_posterior_concentrates_where_the_targets_are_met_and_resumes(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(STUB_TARGETS)
    targets = [t for t in load_targets(path, record_only=False) if not t.is_ordering]
    params = [FreeParam("params.x", 0.0, 1.0)]  # best month near 0.4 +/- 0.05
    kwargs = dict(out_dir=tmp_path / "abc", population=12, seeds=[0, 1], runner=stub_run, log=str)
    first = abc_calibrate(StubScenario(), params, targets, generations=2, **kwargs)
    assert list(first["diagnostics"]["generation"]) == [0, 1]
    again = abc_calibrate(StubScenario(), params, targets, generations=3, **kwargs)
    diag = again["diagnostics"]
    assert list(diag["generation"]) == [0, 1, 2]  # resumed: one more generation
    assert (np.diff(diag["tolerance"]) <= 1e-12).all()
    assert ((diag["acceptance"] > 0) & (diag["acceptance"] <= 1)).all() and (diag["ess"] > 1).all()
    post = pd.read_parquet(tmp_path / "abc" / "posterior.parquet")
    assert len(post) == 12 and abs(post["weight"].sum() - 1) < 1e-9
    assert abs(again["means"]["params.x"] - 0.4) < 0.15  # prior mean 0.5, wide
    assert (tmp_path / "abc" / "posterior.png").stat().st_size > 1000
