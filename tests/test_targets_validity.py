"""Validity: the shipped historical scenario meets every calibration target, as a mean over 30
seeds (issue 3). One test per target, so a miss names the target, its rule and the model's numbers.
Runs in about a minute on two cores (not a timing test)."""

from __future__ import annotations

import pytest

from sim import load_scenario
from sim.calibration.runs import evaluate_targets
from sim.calibration.targets import load_targets
from sim.options import default_jobs

# Slow: deselect it for a quick local run with `-m "not slow"`; scripts/test.sh (CI) runs it.
pytestmark = pytest.mark.slow

SEEDS = 30
TARGETS = load_targets()
# Targets the shipped defaults do not meet, with the numbers: a finding reported in
# docs/CALIBRATION.md ("Known misses"), never a reason to loosen the target. Strict: the day the
# model meets one, this test fails until the entry is removed.
KNOWN_MISSES: dict[str, str] = {
    "access_2016_best_month": (
        "issue 10's conflict layer: sieges emerge, fewer and smaller in 2016, and a smaller "
        "besieged population is reached in a larger share; mean 0.584 (5-95%: 0.28-0.87) over "
        "seeds 0-29 vs 0.40 +/- 0.10; not re-fitted (docs/CALIBRATION.md, Known misses)"
    ),
    "access_dec2016_reached_of_requested": (
        "issue 10's conflict layer: December 2016 convoys get through more often; mean 0.045 "
        "(5-95%: 0.006-0.084) over seeds 0-29 vs 0.0065 +/- 0.01; not re-fitted "
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
