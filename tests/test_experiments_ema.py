"""EMA Workbench adapter: a small real EMA run (perform_experiments + PRIM) on the real model.

Skipped when the optional package `ema-workbench` is not installed.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

ema = pytest.importorskip("ema_workbench")

from sim import load_scenario, run  # noqa: E402
from sim.errors import UserError  # noqa: E402
from sim.experiments.ema import replicator_model  # noqa: E402
from sim.experiments.seeds import derive_seed  # noqa: E402

HIST = "scenarios/historical.toml"


def test_replicator_model_runs_in_ema_and_feeds_prim():
    from ema_workbench import SequentialEvaluator, perform_experiments
    from ema_workbench.analysis import prim

    model = replicator_model(
        HIST,
        uncertainties={
            "params.diplomacy.chaos": (0.1, 0.4),
            "params.access.convoys_per_week": (1, 6),
            "tracks.access.structure": ["bilateral", "none"],
        },
        outcomes=["access_reached_frac_mean_12m", "aid_reached_total"],
        replications=2,
        master_seed=1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with SequentialEvaluator(model) as ev:
            experiments, outcomes = perform_experiments(model, scenarios=8, evaluator=ev)
    assert len(experiments) == 8 and outcomes["aid_reached_total"].shape == (8,)
    assert set(experiments["tracks__access__structure"]) <= {"bilateral", "none"}
    # an outcome is the mean over the replications' seeds of our own runs
    e = experiments.iloc[0]
    sc = load_scenario(HIST).with_overrides(
        {
            "params.diplomacy.chaos": float(e["params__diplomacy__chaos"]),
            "params.access.convoys_per_week": int(e["params__access__convoys_per_week"]),
            "tracks.access.structure": str(e["tracks__access__structure"]),
        }
    )
    expect = np.mean([run(sc, derive_seed(1, r)).metrics["aid_reached_total"] for r in range(2)])
    assert outcomes["aid_reached_total"][0] == pytest.approx(expect)
    # no task force at all reaches nobody by cross-line convoys: the structure matters
    none = (experiments["tracks__access__structure"] == "none").to_numpy()
    if none.any() and (~none).any():
        assert (
            outcomes["aid_reached_total"][none].max() < outcomes["aid_reached_total"][~none].min()
        )
    # PRIM scenario discovery on the result
    # PRIM as docs/EXPERIMENTS.md shows it: integers as floats, limits read without inspect()
    y = outcomes["aid_reached_total"] > np.median(outcomes["aid_reached_total"])
    x = experiments[model.parameter_columns()]
    x = x.astype({c: float for c in x.columns if x[c].dtype.kind in "iu"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        box = prim.Prim(x, y, mass_min=0.1).find_box()
    assert 0 < box.coverage <= 1 and 0 < box.density <= 1
    assert list(box.box_lims[-1].columns) == list(x.columns)
    assert {"coverage", "density", "mass"} <= set(box.peeling_trajectory.columns)


def test_unknown_uncertainty_is_a_user_error():
    with pytest.raises(UserError, match="unknown parameter"):
        replicator_model(HIST, {"params.trust.nope": (0, 1)}, ["trust_final"])
    with pytest.raises(UserError, match="inverted"):
        replicator_model(HIST, {"params.trust.initial": (0.5, 0.1)}, ["trust_final"])
