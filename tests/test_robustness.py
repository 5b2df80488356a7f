"""`syriasim robustness`: each claim's difference over a design of the assumed parameters, with
the share of the space where it holds and the parameters that can flip it (stand-in model)."""

from __future__ import annotations

import pytest

from sim.calibration.effectiveness import REACH_2016
from sim.calibration.robustness import explored_params, figures, robustness
from sim.cli import main
from sim.experiments.design import ParamSpec
from tests.test_calibration import StubScenario, stub_run

CASES = [
    {
        "case": "access",
        "title": "stub",
        "thesis_goal": "moderate",
        "goal": {"expr": "reach", "q": {"reach": REACH_2016}},
        "thesis_counterfactual": "",
        "claims": [
            {
                "id": "bilateral_beats_multilateral",
                "claim": "bilateral reaches more than multilateral",
                "a": {**REACH_2016, "scenario": {"tracks.access.structure": "bilateral"}},
                "b": {**REACH_2016, "scenario": {"tracks.access.structure": "multilateral"}},
            },
            {
                # holds only when params.x > 0.15: x can flip it, drop cannot
                "id": "reach_above_15pct",
                "claim": "reach above 15%",
                "expr": "reach - 0.15",
                "q": {"reach": REACH_2016},
            },
        ],
    }
]
PARAMS = [ParamSpec("params.x", 0.0, 0.5), ParamSpec("params.drop", 0.0, 0.5)]


@pytest.fixture(scope="module")
def result():
    return robustness(
        StubScenario(), samples=6, seeds=[0, 1], params=PARAMS, cases=CASES, jobs=1, runner=stub_run
    )


def test_share_of_space_and_flipping_parameters(result):
    claims = result.claims.set_index("id")
    assert claims.loc["bilateral_beats_multilateral", "share_holds"] > 0.7
    assert claims.loc["bilateral_beats_multilateral", "flippers"] == ""
    assert 0.2 < claims.loc["reach_above_15pct", "share_holds"] < 0.95
    assert claims.loc["reach_above_15pct", "flippers"] == "`x`"
    rows = result.indices[result.indices["id"] == "reach_above_15pct"].set_index("parameter")
    assert rows.loc["params.x", "mu_star"] > 10 * rows.loc["params.drop", "mu_star"]
    assert len(result.points) == 6 * 3 and "reach_above_15pct" in result.points


def test_a_figure_per_claim(result, tmp_path):
    paths = figures(result, tmp_path)
    assert [p.name for p in paths] == [
        "robustness_bilateral_beats_multilateral.png",
        "robustness_reach_above_15pct.png",
    ]
    assert all(p.stat().st_size > 1000 for p in paths)


def test_default_parameters_are_the_assumed_mechanisms():
    keys = [p.key for p in explored_params()]
    assert "params.diplomacy.chaos" in keys and "params.ceasefire.zone_protection" in keys
    assert not any(k.startswith("params.fighting") for k in keys)
    assert all(p.low < p.high for p in explored_params())


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--method", "fast"], "allowed: morris, sobol"),
        (["--param", "params.trust.success_gain"], "not an assumed parameter"),
        (["--samples", "1"], "--samples"),
    ],
)
def test_bad_robustness_input_is_one_line(argv, words, tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["robustness", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0]
    assert not out.exists()
