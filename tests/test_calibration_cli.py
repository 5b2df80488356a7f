"""The calibration commands end to end on the real model (few seeds, few trials)."""

from __future__ import annotations

import tomllib

import pandas as pd
import pytest

from sim.cli import main


def test_report_history_writes_table(tmp_path, capsys):
    out = tmp_path / "rh"
    code = main(
        [
            "report-history",
            "--seeds",
            "2",
            "--groups",
            "chemical,access_2015",
            "--no-figures",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    table = pd.read_csv(out / "targets.csv")
    assert set(table["group"]) == {"chemical", "access_2015"}
    assert {"observed", "model_mean", "model_p05", "model_p95", "pass"} <= set(table.columns)
    assert (table["seeds"] == 2).all()
    md = (out / "targets.md").read_text()
    assert "| target | group | observed | rule | model mean | model 5-95% | pass |" in md
    assert "targets pass over 2 seeds" in capsys.readouterr().out
    record = pd.read_csv(out / "record.csv")  # the record, in and out of sample (issue 10)
    assert {"in", "out"} <= set(record["sample"]) and (out / "record.md").exists()


def test_calibrate_three_parameters_one_command(tmp_path, capsys):
    out = tmp_path / "cal"
    args = [
        "calibrate",
        "--set",
        "rules.compliance.name=threshold",
        "--param",
        "rules.compliance.params.pressure_weight=0.5:4",
        "--param",
        "rules.compliance.params.cost_weight=0.2:3",
        "--param",
        "params.chemical.transport_rate_t=40:120",
        "--groups",
        "chemical",
        "--trials",
        "3",
        "--seeds",
        "2",
        "--out",
        str(out),
    ]
    assert main([*args, "--validate-seeds", "2"]) == 0
    validation = pd.read_csv(out / "validation.csv")
    assert (validation["seeds"] == 2).all() and set(validation["group"]) == {"chemical"}
    written = tomllib.loads((out / "calibrated.toml").read_text())
    assert written["extends"].endswith("scenarios/historical.toml")
    assert written["rules"]["compliance"]["name"] == "threshold"
    assert 0.5 <= written["rules"]["compliance"]["params"]["pressure_weight"] <= 4
    assert 40 <= written["params"]["chemical"]["transport_rate_t"] <= 120
    loss = pd.read_csv(out / "loss_per_target.csv")
    assert set(loss["group"]) == {"chemical"} and loss["loss"].notna().all()
    # The written scenario loads, and resuming adds only the missing trials.
    from sim import load_scenario

    sc = load_scenario(out / "calibrated.toml")
    assert sc.get("rules.compliance.name") == "threshold"
    assert main([*args[:-6], "--trials", "4", "--seeds", "2", "--out", str(out)]) == 0
    assert "1 new trials (4 in the study)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["calibrate", "--param", "params.chemical.nope=0:1", "--trials", "1"],
            "params.chemical.nope",
        ),
        (["calibrate", "--param", "params.chemical.cost=1"], "KEY=LOW:HIGH"),
        (["calibrate", "--trials", "1"], "no free parameters"),
        (
            ["calibrate", "--param", "params.chemical.cost=0.1:1", "--margin", "-1"],
            "--margin must be a number >= 0",
        ),
        (["report-history", "--groups", "nope"], "unknown target group nope"),
        (["report-history", "--targets", "/nonexistent.toml"], "targets file not found"),
        (["effectiveness", "--seeds", "0"], "argument --seeds: expected an integer >= 1, got 0"),
    ],
)
def test_user_errors_exit_2_with_one_line(tmp_path, capsys, argv, message):
    assert main([*argv, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_report_history_check_fails_on_a_missed_target(tmp_path, capsys):
    targets = tmp_path / "t.toml"
    targets.write_text(
        """
[[target]]
id = "impossible"
group = "chemical"
description = "more than the whole stockpile removed"
period = "2014-06"
source = "test"
observed = 1.0
check = ">"
value = 1.5
[target.q.removed]
table = "monthly"
column = "cw_removed_frac"
start = "2014-06"
end = "2014-06"
agg = "last"
"""
    )
    out = tmp_path / "rh"
    argv = [
        "report-history",
        "--targets",
        str(targets),
        "--seeds",
        "1",
        "--no-figures",
        "--out",
        str(out),
    ]
    assert main([*argv, "--check"]) == 1
    assert main(argv) == 0
    assert "FAIL  impossible" in capsys.readouterr().out


def test_effectiveness_reproduces_the_thesis_table_layout(tmp_path):
    out = tmp_path / "eff"
    assert main(["effectiveness", "--seeds", "2", "--out", str(out)]) == 0
    table = pd.read_csv(out / "effectiveness.csv")
    assert list(table["case"]) == ["chemical", "access", "ceasefire"]
    assert list(table["thesis_goal"]) == ["strong", "moderate", "weak"]
    assert set(table["model_grade"]) <= {"strong", "moderate", "weak"}
    claims = pd.read_csv(out / "claims.csv")
    assert (claims["seeds"] == 2).all() and claims["diff_mean"].notna().all()
    assert set(claims["verdict"]) <= {"supported", "not supported", "undecided"}
    assert (
        (claims["ci_low"] <= claims["diff_mean"]) & (claims["diff_mean"] <= claims["ci_high"])
    ).all()
    # the chemical framework removes most of the stockpile
    assert claims.set_index("id").loc["cw_bilateral_beats_unilateral_us", "a_mean"] > 0.5
    assert "| case | thesis: goal |" in (out / "effectiveness.md").read_text()


def test_effectiveness_over_parameter_draws_and_posterior_samples(tmp_path, capsys):
    out = tmp_path / "eff"
    argv = ["effectiveness", "--seeds", "1", "--draws", "2", "--out", str(out)]
    assert main(argv) == 0
    claims = pd.read_csv(out / "claims.csv")
    assert (claims["draws"] == 2).all() and (claims["pairs"] == 2).all()
    samples = tmp_path / "post.csv"
    samples.write_text("params.diplomacy.chaos,loss\n0.2,1\n0.3,2\n")
    assert main([*argv[:-2], "--posterior", str(samples), "--out", str(out)]) == 0
    assert "2 rows of" in (out / "effectiveness.md").read_text()
    samples.write_text("loss\n1\n")
    capsys.readouterr()
    assert main([*argv[:-2], "--posterior", str(samples), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "post.csv" in err[0] and "--posterior" in err[0]


def test_counterfactual_runs_are_truncated_without_changing_the_weeks_kept():
    import datetime as dt

    import numpy as np

    from sim import load_scenario, run
    from sim.calibration.runs import truncate

    sc = load_scenario("historical")
    short = truncate(sc, dt.date(2014, 12, 31))
    assert short.end == dt.date(2014, 12, 31) and all(
        e["date"] <= short.end for e in short.data["events"]
    )
    full = run(sc, seed=5).timeseries
    cut = run(short, seed=5).timeseries
    cols = [c for c in cut.columns if c != "date"]
    assert len(cut) < len(full)
    np.testing.assert_allclose(
        cut[cols].to_numpy(float), full.iloc[: len(cut)][cols].to_numpy(float)
    )


def test_event_patches_by_id_and_type():
    from sim import load_scenario
    from sim.calibration.runs import patch_events
    from sim.errors import UserError

    sc = load_scenario("historical")
    patched = patch_events(
        sc,
        {
            "type:ceasefire": {"zones": True},
            "issg_access_task_force": {"structure": "multilateral"},
        },
    )
    events = {e["id"]: e for e in patched.data["events"]}
    assert all(e["zones"] for e in patched.data["events"] if e["type"] == "ceasefire")
    assert events["issg_access_task_force"]["structure"] == "multilateral"
    assert sc.get("events")[0] is not patched.get("events")[0]  # the original is untouched
    with pytest.raises(UserError, match="no event matches 'nope'; event ids: "):
        patch_events(sc, {"nope": {"zones": True}})
