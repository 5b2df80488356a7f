"""Conditional decisions: a policy fires only when its trigger happens inside its window, through
the same dispatch as a dated decision; a bad policy is one line naming the file, the key and what
is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import load_scenario
from sim.errors import ScenarioError
from sim.model import SyriaModel

HIST = Path("scenarios/historical.toml").resolve()
BASE = f'extends = "{HIST}"\nname = "t"\n'


def write(tmp_path, text):
    path = tmp_path / "s.toml"
    path.write_text(BASE + text)
    return path


POLICY = "[[policies]]\nid = 'p'\nfrom = 2014-01-01\n"


@pytest.mark.parametrize(
    "text, key, words",
    [
        (
            POLICY + "when = 'chemical_atack'\nthen = {type = 'us_strike'}\n",
            "policies[p].when",
            "did you mean 'chemical_attack'",
        ),
        (
            POLICY + "when = 'chemical_attack'\ncuont = 2\nthen = {type = 'us_strike'}\n",
            "policies[p].cuont",
            "did you mean 'count'",
        ),
        (
            POLICY + "when = 'chemical_attack'\ncount = 0\nthen = {type = 'us_strike'}\n",
            "policies[p].count",
            "out of range",
        ),
        (
            POLICY + "when = 'area_taken'\narea = 'Alepo'\nthen = {type = 'airdrops'}\n",
            "policies[p].area",
            "is not allowed",
        ),
        (
            POLICY + "when = 'area_taken'\nby = 'russia'\nthen = {type = 'airdrops'}\n",
            "policies[p].by",
            "expected one of",
        ),
        (
            POLICY + "when = 'chemical_attack'\nthen = {type = 'us_strik'}\n",
            "policies[p].then.type",
            "did you mean 'us_strike'",
        ),
        (
            POLICY + "when = 'chemical_attack'\nthen = {type = 'us_strike', strikes = 0}\n",
            "policies[p].then.strikes",
            "out of range",
        ),
        (POLICY + "when = 'chemical_attack'\n", "policies[p].then", "must be an event table"),
        (
            POLICY + "until = 2013-01-01\nwhen = 'chemical_attack'\nthen = {type = 'airdrops'}\n",
            "policies[p].until",
            "must not be before from",
        ),
        (
            "[[policies]]\nid = 'p'\nfrom = 'soon'\nwhen = 'chemical_attack'\nthen = {type = 'airdrops'}\n",
            "policies[p].from",
            "expected a date",
        ),
    ],
)
def test_bad_policy_is_one_line(tmp_path, text, key, words):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    message = str(err.value)
    assert "\n" not in message and key in message and words in message
    assert str(path) in message


def test_bad_policy_via_cli_exits_2_with_one_line(tmp_path, capsys):
    from sim.cli import main

    path = write(tmp_path, POLICY + "when = 'nope'\nthen = {type = 'airdrops'}\n")
    assert main(["run", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "policies[p].when" in err[0] and "one of 'chemical_attack'" in err[0]
    assert not (tmp_path / "o").exists()


def _strikes_in_2017(scenario, seed=0):
    m = SyriaModel(scenario, seed=seed)
    fired = []
    for _ in range(m.n_steps):
        m.step()
        fired += [
            (m.date, e) for e in m.week_log if e["kind"] == "event" and e["type"] == "us_strike"
        ]
    return m, fired


def test_shayrat_answers_an_attack_and_never_comes_without_one(historical):
    m, fired = _strikes_in_2017(historical)
    assert len(fired) == 1 and fired[0][1]["id"] == "shayrat_strike"
    assert m.policies.fired[0]["id"] == "unsmis_end"
    first = next(f for f in m.policies.fired if f["id"] == "shayrat_strike")
    # the strike comes the week after the attack that triggered it, inside the window
    assert first["date"] >= "2017-01-20"
    assert fired[0][0].isoformat() > first["date"]
    # a run without chemical attacks never gets the strike
    calm = historical.with_overrides({"params.chemical.attack_rate": 0.0})
    _, none = _strikes_in_2017(calm)
    assert none == []


def test_policy_decisions_are_patched_like_dated_ones(historical):
    patched = historical.with_event_patches({"type:ceasefire": {"zones": True}})
    astana = next(p for p in patched.data["policies"] if p["id"] == "astana_ceasefire")
    assert astana["then"]["zones"] is True
    by_id = historical.with_event_patches({"astana_ceasefire": {"structure": "bilateral"}})
    astana = next(p for p in by_id.data["policies"] if p["id"] == "astana_ceasefire")
    assert astana["then"]["structure"] == "bilateral"


def test_a_counterfactual_drops_or_changes_a_policy(tmp_path):
    path = write(tmp_path, "[[policies]]\nid = 'shayrat_strike'\ndrop = true\n")
    assert "shayrat_strike" not in {p["id"] for p in load_scenario(path).data["policies"]}
    path = write(tmp_path, "[[policies]]\nid = 'shayrat_strike'\ncount = 3\n")
    shayrat = next(p for p in load_scenario(path).data["policies"] if p["id"] == "shayrat_strike")
    assert shayrat["settings"]["count"] == 3 and shayrat["when"] == "chemical_attack"
