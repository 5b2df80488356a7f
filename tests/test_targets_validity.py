"""Validity: the shipped historical scenario meets every calibration target, as a mean over 30
seeds (issue 3). One test per target, so a miss names the target, its rule and the model's numbers.
Runs in about a minute on two cores (not a timing test)."""

from __future__ import annotations

import pytest

from sim import load_scenario
from sim.calibration.runs import default_jobs
from sim.calibration.targets import evaluate_targets, load_targets

SEEDS = 30
TARGETS = load_targets()
# Targets the shipped defaults do not meet, with the numbers: a finding reported in
# docs/CALIBRATION.md ("Known misses"), never a reason to loosen the target. Strict: the day the
# model meets one, this test fails until the entry is removed.
KNOWN_MISSES: dict[str, str] = {
    "cw_start_near_zero": (
        "issue 10's conflict layer (offensives, April 2012 map): less fighting on the "
        "Damascus-Latakia route lets removal start early; mean 0.060 (5-95%: 0-0.18) over 30 "
        "seeds vs <= 0.05; not re-fitted (docs/CALIBRATION.md, Known misses)"
    ),
    "access_dec2016_rejected_at_approval": (
        "issue 10's conflict layer: more government-besieged places in the December 2016 plan; "
        "mean 0.243 (5-95%: 0.02-0.52) over 30 seeds vs 0.142 +/- 0.05; not re-fitted "
        "(docs/CALIBRATION.md, Known misses)"
    ),
}


@pytest.fixture(scope="module")
def results():
    scenario = load_scenario("historical")
    return {
        r.target.id: r
        for r in evaluate_targets(scenario, TARGETS, seeds=SEEDS, jobs=default_jobs())
    }


@pytest.mark.parametrize(
    "target_id",
    [
        pytest.param(t.id, marks=pytest.mark.xfail(reason=KNOWN_MISSES[t.id], strict=True))
        if t.id in KNOWN_MISSES
        else t.id
        for t in TARGETS
    ],
)
def test_historical_meets_target(results, target_id):
    r = results[target_id]
    assert r.values.size == SEEDS
    if not r.passed:
        pytest.fail(
            f"{target_id}: model mean {r.mean:.4g} (5-95%: {r.quantile(0.05):.4g} .. {r.quantile(0.95):.4g}) "
            f"does not meet {r.target.rule()} — {r.target.description} [{r.target.source}]",
            pytrace=False,
        )
