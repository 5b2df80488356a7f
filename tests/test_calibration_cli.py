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
    assert main(args) == 0
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
        (["report-history", "--groups", "nope"], "unknown target group nope"),
        (["report-history", "--targets", "/nonexistent.toml"], "targets file not found"),
        (["effectiveness", "--seeds", "0"], "--seeds must be >= 1"),
    ],
)
def test_user_errors_exit_2_with_one_line(tmp_path, capsys, argv, message):
    assert main([*argv, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err
