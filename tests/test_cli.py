"""The command line as a user runs it: outputs written, bad input rejected on one line."""

import json
import subprocess
import sys

import pytest


def syriasim(*args):
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True)


def test_run_writes_output_contract(tmp_path):
    out = tmp_path / "hist7"
    r = syriasim("run", "scenarios/historical.toml", "--seed", "7", "--out", str(out))
    assert r.returncode == 0, r.stderr
    header = (out / "timeseries.csv").read_text().splitlines()[0].split(",")
    for col in (
        "step",
        "date",
        "cw_declared_t",
        "cw_removed_frac",
        "chem_attacks",
        "aid_requested",
        "aid_approved",
        "aid_reached",
        "besieged_pop",
        "besieged_reached",
        "violence",
        "ceasefire_active",
        "ceasefire_violations",
        "us_russia_trust",
        "escalation",
        "pop_share_government",
        "pop_share_opposition",
        "pop_share_isil",
        "pop_share_kurdish",
    ):
        assert col in header, col
    assert "besieged_reached_frac" in (out / "monthly.csv").read_text().splitlines()[0]
    summary = json.loads((out / "summary.json").read_text())
    assert (
        summary["seed"] == 7
        and summary["scenario"] == "historical"
        and len(summary["scenario_hash"]) == 64
    )
    assert summary["params"]["rules.compliance.name"] == "logistic"
    assert "cw_removed_frac_final" in summary["metrics"]


def test_counterfactual_with_set(tmp_path):
    out = tmp_path / "x"
    r = syriasim(
        "run",
        "scenarios/cw_unilateral_strike.toml",
        "--seed",
        "7",
        "--set",
        "rules.compliance.params.pressure_weight=2.5",
        "--out",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["params"]["rules.compliance.params.pressure_weight"] == 2.5


def test_scenarios_and_validate():
    r = syriasim("scenarios")
    assert r.returncode == 0 and "historical" in r.stdout and "cw_unilateral_strike" in r.stdout
    r = syriasim("validate", "scenarios/historical.toml")
    assert r.returncode == 0 and "ok" in r.stdout


@pytest.mark.parametrize(
    "args, words",
    [
        (
            ["run", "scenarios/historical.toml", "--set", "tracks.acess.structure=none"],
            "did you mean 'access'",
        ),
        (["run", "scenarios/historical.toml", "--set", "params.trust.initial=2"], "out of range"),
        (["run", "nowhere.toml"], "no such scenario file"),
        (
            ["validate", "scenarios/historical.toml", "--set", "rules.compliance.name=probit"],
            "unknown rule",
        ),
    ],
)
def test_bad_input_exit_2_one_line_nothing_written(tmp_path, args, words):
    out = tmp_path / "out"
    r = syriasim(*args, "--out", str(out)) if args[0] == "run" else syriasim(*args)
    assert r.returncode == 2
    assert words in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr
    assert not out.exists()


def test_params_markdown_is_the_shipped_reference():
    from pathlib import Path

    from sim.docs import parameters_markdown

    assert Path("docs/PARAMETERS.md").read_text() == parameters_markdown()


def test_help_and_version_do_not_import_the_model():
    code = (
        "import sys; from sim.cli import main; from importlib.metadata import version\n"
        "assert main(['--help']) == 0 and main(['--version']) == 0\n"
        "assert 'sim.model' not in sys.modules and 'mesa' not in sys.modules, 'model imported'\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "syriasim 0" in r.stdout  # the version is the installed package's


@pytest.mark.parametrize(
    "args",
    [
        ["demo", "--seeds", "0"],
        ["compare", "historical", "--track", "access", "--out", "x", "--jobs", "0"],
        ["calibrate", "--seeds", "two"],
    ],
)
def test_shared_options_reject_bad_numbers_on_one_line(args):
    r = syriasim(*args)
    assert r.returncode == 2 and "expected an integer" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "usage" not in r.stderr
