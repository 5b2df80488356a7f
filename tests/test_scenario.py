"""Scenario files: inheritance, overrides, and one-line errors for every kind of bad input."""

import pytest

from sim import load_scenario
from sim.errors import ScenarioError

BASE = 'extends = "{hist}"\nname = "t"\n'


def write(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
def hist_path():
    from pathlib import Path

    return Path("scenarios/historical.toml").resolve()


def test_historical_resolves_with_defaults(historical):
    assert historical.name == "historical"
    assert historical.n_steps == 300
    assert historical.get("params.trust.initial") == pytest.approx(0.35)
    flat = historical.flat_params()
    assert flat["rules.compliance.name"] == "logistic"
    assert "rules.compliance.params.pressure_weight" in flat
    assert len(historical.hash) == 64


def test_counterfactual_overrides_track_structure():
    sc = load_scenario("scenarios/cw_unilateral_strike.toml")
    framework = [e for e in sc.events() if e["type"] == "cw_framework"]
    assert framework[0]["structure"] == "unilateral_us"
    # other tracks keep the structures the timeline gives them
    cf = [e for e in sc.events() if e["id"] == "coh_2016"][0]
    assert cf["structure"] == "bilateral"


def test_event_patch_by_id():
    sc = load_scenario("scenarios/ceasefire_zones.toml")
    coh = [e for e in sc.events() if e["id"] == "coh_2016"][0]
    assert (
        coh["zones"] is True
        and coh["structure"] == "bilateral"
        and coh["date"].isoformat() == "2016-02-27"
    )


def test_set_overrides_and_hash_changes(historical):
    sc = load_scenario(
        "scenarios/historical.toml", overrides=["rules.compliance.params.pressure_weight=2.5"]
    )
    assert sc.get("rules.compliance.params.pressure_weight") == 2.5
    assert sc.hash != historical.hash
    again = historical.with_overrides({"rules.compliance.params.pressure_weight": 2.5})
    assert again.hash == sc.hash


def test_switching_rule_drops_other_rule_params(historical):
    from sim.rules import COMPLIANCE_RULES

    threshold = COMPLIANCE_RULES["threshold"].defaults()
    # the parameter may come before the name: the new rule still starts from its own defaults
    sc = historical.with_overrides(
        ["rules.compliance.params.noise=0.3", "rules.compliance.name=threshold"]
    )
    params = sc.get("rules.compliance.params")
    assert sc.get("rules.compliance.name") == "threshold" and "bias" not in params
    assert params["noise"] == 0.3 and params["pressure_weight"] == threshold["pressure_weight"]


@pytest.mark.parametrize(
    "text, key, words",
    [
        ("[tracks.acess]\nstructure = 'none'\n", "tracks.acess", "did you mean 'access'"),
        ("[params.trust]\ninital = 0.3\n", "params.trust.inital", "did you mean 'initial'"),
        ("[params.trust]\ninitial = 'high'\n", "params.trust.initial", "expected a number"),
        ("[params.trust]\ninitial = 1.5\n", "params.trust.initial", "out of range"),
        ("[actors]\nopposition_groups = 2.5\n", "actors.opposition_groups", "expected an integer"),
        (
            "[rules.compliance]\nname = 'logistc'\n",
            "rules.compliance.name",
            "did you mean 'logistic'",
        ),
        (
            "[tracks.access]\nstructure = 'bilaterl'\n",
            "tracks.access.structure",
            "did you mean 'bilateral'",
        ),
        (
            "[[events]]\nid = 'x'\ndate = 2020-01-01\ntype = 'airdrops'\n",
            "events[x].date",
            "outside the horizon",
        ),
        (
            "[[events]]\nid = 'x'\ndate = 2014-01-01\ntype = 'airdrop'\n",
            "events[x].type",
            "did you mean 'airdrops'",
        ),
        ("[[events]]\nid = 'coh_2016'\nzones = 'yes'\n", "events[coh_2016].zones", "true or false"),
        ("[[events]]\ndate = 2014-01-01\ntype = 'airdrops'\n", "events[0]", "needs an 'id'"),
        ("colour = 'red'\n", "colour", "unknown key"),
    ],
)
def test_bad_input_one_line_error(tmp_path, hist_path, text, key, words):
    path = write(tmp_path, BASE.format(hist=hist_path) + text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    message = str(err.value)
    assert "\n" not in message
    assert key in message and words in message
    assert str(path) in message or "historical.toml" in message


def test_malformed_toml(tmp_path):
    path = write(tmp_path, "name = 'x\n")
    with pytest.raises(ScenarioError, match="malformed TOML"):
        load_scenario(path)


def test_extends_cycle(tmp_path):
    write(tmp_path, 'extends = "b.toml"\n', "a.toml")
    write(tmp_path, 'extends = "a.toml"\n', "b.toml")
    with pytest.raises(ScenarioError, match="cycle: a.toml -> b.toml -> a.toml"):
        load_scenario(tmp_path / "a.toml")


def test_missing_file_lists_shipped():
    with pytest.raises(ScenarioError, match="historical"):
        load_scenario("no_such_scenario.toml")


def test_bad_set_overrides(historical):
    with pytest.raises(ScenarioError, match="KEY=VALUE"):
        load_scenario("scenarios/historical.toml", overrides=["tracks.access.structure"])
    with pytest.raises(ScenarioError, match="did you mean 'params'"):
        historical.with_overrides(["parms.trust.initial=0.2"])
    with pytest.raises(ScenarioError, match="events cannot be set"):
        historical.with_overrides(["events.0.date=2013-01-01"])


def test_end_before_start(tmp_path, hist_path):
    path = write(tmp_path, BASE.format(hist=hist_path) + "end = 2011-01-01\n")
    with pytest.raises(ScenarioError, match="must be after start"):
        load_scenario(path)
