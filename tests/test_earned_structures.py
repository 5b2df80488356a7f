"""One mechanism under every structure: no constant fixes a structure's result. For each constant
removed (issue 11) a test shows the structure reaching the other result when compliance allows
it, through the same code; and escalation has consequences."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from sim import load_scenario, run
from sim.model import SyriaModel

END_2014 = dt.date(2014, 12, 31)
END_2016 = dt.date(2016, 12, 31)


def removed_by_june_2014(scenario, seed=0):
    ts = run(scenario.ending(END_2014), seed=seed).timeseries
    return float(ts.loc[ts["date"] <= "2014-06-30", "cw_removed_frac"].iloc[-1])


@pytest.fixture(scope="module")
def strike():
    return load_scenario("scenarios/cw_unilateral_strike.toml")


def test_unilateral_us_declares_when_compliance_allows_and_not_when_it_does_not(strike):
    """Was: the US alone declares nothing by definition. Now the strike's threat is pressure and
    Damascus decides by the same compliance rule as under the framework."""
    willing = strike.with_overrides({"params.chemical.cost": 0.0})
    assert removed_by_june_2014(willing) > 0.25  # no Russian escort: slower, not zero
    unwilling = strike.with_overrides({"params.chemical.cost": 5.0})
    assert removed_by_june_2014(unwilling) == 0.0


def test_russia_alone_equals_bilateral_when_compliance_allows(historical):
    """Was: `destruction_without_us` made Russia-alone removal slower by construction."""
    sure = {"rules.compliance.params.bias": 10.0}
    bilateral = historical.with_overrides({**sure, "tracks.chemical.structure": "bilateral"})
    russia = historical.with_overrides({**sure, "tracks.chemical.structure": "unilateral_russia"})
    for seed in (0, 1):
        assert removed_by_june_2014(russia, seed) == pytest.approx(
            removed_by_june_2014(bilateral, seed)
        )


def test_multilateral_convoys_reach_people_when_compliance_allows(historical):
    """Multilateral access reached exactly 0 people by convoy: the thin uniform pressure, not a
    rule. With compliance allowing it, the same funnel delivers."""
    multi = historical.with_overrides({"tracks.access.structure": "multilateral"})
    easy = multi.with_overrides(
        {
            "params.access.approval_cost": 0.0,
            "params.access.facilitation_cost": 0.0,
            "params.access.checkpoint_cost": 0.0,
            "params.diplomacy.chaos": 0.0,
        }
    )
    reached = run(easy.ending(END_2016), seed=0).timeseries["aid_reached"].sum()
    assert reached > 0


def _airdropped_2016(scenario, seed=0):
    ts = run(scenario.ending(END_2016), seed=seed).timeseries
    return float(ts.loc[ts["date"] >= "2016-02-12", "aid_airdropped"].sum())


def test_us_forced_airdrops_go_as_far_as_damascus_tolerates_them():
    """Was: `forced_airdrop_coverage` (unsourced) fixed the US-alone gain. Now US airdrops deliver
    like agreed airdrops as far as the besieger tolerates them (the convoy letters' compliance)."""
    us = load_scenario("scenarios/access_us_alone.toml")
    tolerated = us.with_overrides(
        {"params.access.facilitation_cost": 0.0, "params.diplomacy.government_war_aims": 0.0}
    )
    contested = us.with_overrides({"params.access.facilitation_cost": 5.0})
    assert _airdropped_2016(tolerated) > 2 * _airdropped_2016(contested)


def test_trust_moves_under_a_multilateral_structure_through_monitoring(historical):
    """Was: trust grew only under joint structures. Now each side sees what monitoring shows."""
    m = SyriaModel(historical.with_overrides({"tracks.access.structure": "multilateral"}), seed=0)
    track = m.tracks["access"]
    track.set_structure("multilateral")
    before = m.trust
    track.joint_success(1.0)
    seen = m.diplomacy["multilateral_monitoring"]
    assert m.trust - before == pytest.approx(m.trust_params["success_gain"] * seen)
    track.set_structure("unilateral_us")  # the other power has no part to see
    before = m.trust
    track.joint_success(1.0)
    assert m.trust == before


def test_escalation_lowers_pressure_and_information_and_risks_incidents(historical):
    m = SyriaModel(historical.with_overrides({"params.trust.incident_rate": 1.0}), seed=0)
    m.step()
    cf = m.tracks["ceasefire"]
    cf.set_structure("bilateral")
    m.russia.pressure = np.array([0.8])
    calm = cf.government_pressure(), cf.information()
    m.escalation = 1.0
    crisis = cf.government_pressure(), cf.information()
    share = 1 - m.trust_params["escalation_counter"]
    assert crisis[0] == pytest.approx(calm[0] * share)
    assert crisis[1] == pytest.approx(calm[1] * share)
    trust = m.trust
    m.incident()  # at full escalation and rate 1 an incident is certain
    assert m.incidents == 1 and m.trust < trust
    m.escalation = 0.0
    m.incident()
    assert m.incidents == 1


def test_a_us_strike_without_a_framework_raises_incidents_over_seeds(historical):
    """Acting alone costs more than a number: the escalation a strike adds risks incidents."""
    strike = load_scenario("scenarios/cw_unilateral_strike.toml").with_overrides(
        {"params.trust.incident_rate": 0.5}
    )
    calm = historical.with_overrides({"params.trust.incident_rate": 0.5})
    n_strike = sum(run(strike.ending(END_2014), seed=s).summary["incidents"] for s in range(3))
    n_calm = sum(run(calm.ending(END_2014), seed=s).summary["incidents"] for s in range(3))
    assert n_strike > n_calm
