"""Each mechanism and track, checked on real runs (means over paired seeds where noisy)."""

import numpy as np
import pytest

from sim import SyriaModel, load_scenario, run
from sim.agents import Government, OppositionGroup, Patron, UnitedNations
from sim.params import Param
from sim.rules import COMPLIANCE_RULES, LEVERAGE_RULES, compliance_rule

from .conftest import short_scenario

SEEDS = range(5)


def mean_metric(scenario, name, seeds=SEEDS):
    return float(np.mean([run(scenario, seed=s).metrics[name] for s in seeds]))


@pytest.mark.parametrize("rule", sorted(COMPLIANCE_RULES))
def test_compliance_rules_respond_to_pressure_and_cost(rule):
    r = COMPLIANCE_RULES[rule]
    p = r.defaults()
    pressure = np.linspace(0, 1, 11)
    prob = r.func(p, pressure, 0.5, 0.2, 0.3)
    assert np.all((prob >= 0) & (prob <= 1))
    assert np.all(np.diff(prob) >= 0) and prob[-1] > prob[0]
    cost = r.func(p, np.full(11, 0.4), np.linspace(0, 2, 11), 0.2, 0.3)
    assert np.all(np.diff(cost) <= 0) and cost[0] > cost[-1]


def test_threshold_rule_without_noise_is_a_step():
    p = {**COMPLIANCE_RULES["threshold"].defaults(), "noise": 0.0}
    prob = COMPLIANCE_RULES["threshold"].func(p, np.array([0.0, 1.0]), 0.1, 0.0, 0.0)
    assert list(prob) == [0.0, 1.0]


def test_a_new_rule_is_selected_by_name(historical):
    @compliance_rule(
        "always_test", params={"level": Param(1.0, "1", "Fixed probability", lo=0, hi=1)}
    )
    def always(p, pressure, cost, monitoring, aims):
        return np.full(np.shape(pressure), p["level"])

    try:
        sc = short_scenario(
            **{"rules.compliance.name": "always_test", "rules.compliance.params.level": 1.0}
        )
        res = run(sc, seed=1)
        monthly = res.monthly
        requested = monthly["aid_requested"].sum()
        assert (
            requested > 0 and monthly["aid_approved"].sum() == requested
        )  # every request approved
    finally:
        del COMPLIANCE_RULES["always_test"]


@pytest.mark.parametrize("rule", sorted(LEVERAGE_RULES))
def test_leverage_is_bounded_and_stock_is_spent(rule):
    r = LEVERAGE_RULES[rule]
    p = r.defaults()
    stock = np.array([1.0])
    for _ in range(50):
        pressure, stock = r.func(p, stock, np.array([1.0]), np.array([1.0]))
        assert 0 <= pressure[0] <= 1 and 0 <= stock[0] <= 1
    if rule == "stock":
        assert stock[0] < 0.9  # spent by use
        for _ in range(200):
            _, stock = r.func(p, stock, np.array([1.0]), np.array([0.0]))
        assert stock[0] > 0.95  # recovers when unused


def test_agents_are_mesa_agents(historical):
    m = SyriaModel(historical, seed=2)
    assert len(m.agents_by_type[OppositionGroup]) == 25
    assert len(m.agents_by_type[Government]) == 1 and len(m.agents_by_type[UnitedNations]) == 1
    assert {a.name for a in m.agents_by_type[Patron]} == {"United States", "Russia", "Turkey"}
    g = m.groups[0]
    assert 0 <= g.us_alignment <= 1 and g.strength > 0
    assert all(m.territory.holder[a] == 0 for a in g.areas)


def test_invariants_over_a_run(hist_run):
    ts, mo = hist_run.timeseries, hist_run.monthly
    for col in (
        "cw_removed_frac",
        "us_russia_trust",
        "escalation",
        "leverage_russia",
        "leverage_us",
    ):
        assert ts[col].between(0, 1).all(), col
    shares = ts[
        ["pop_share_government", "pop_share_opposition", "pop_share_isil", "pop_share_kurdish"]
    ].sum(axis=1)
    assert np.allclose(shares, 1.0)
    assert (mo["aid_reached"] <= mo["aid_approved"] + 1e-6).all()
    assert (mo["aid_approved"] <= mo["aid_requested"] + 1e-6).all()
    assert mo["besieged_reached_frac"].between(0, 1).all()
    assert (ts["violence"] >= 0).all() and (ts["besieged_pop"] >= 0).all()
    assert len(ts) == 300 and ts["date"].iloc[0] == "2012-04-02"


def test_population_is_conserved(historical):
    """People move (flight, evacuations) but are never created or lost: people present in the
    areas (residents and displaced) plus refugees abroad stay the starting population."""
    m = SyriaModel(historical, seed=5)
    total = m.territory.population.sum()
    for _ in range(150):
        m.step()
    t = m.territory
    assert t.population.sum() + m.conflict.refugees == pytest.approx(total, rel=1e-9)
    assert m.conflict.refugees > 0 and t.displaced.sum() > 0
    assert (t.displaced >= -1e-6).all() and (t.displaced <= t.population + 1e-6).all()
    assert (
        m.conflict.changed >= 0
        and (m.territory.controller != SyriaModel(historical, seed=5).territory.controller).any()
    )


def test_chemical_framework_removes_stockpile_and_strike_costs_trust(historical):
    """What a strike alone removes is a compliance outcome (tests/test_earned_structures.py),
    never zero by construction; what it always does is cost trust and raise escalation."""
    strike = load_scenario("scenarios/cw_unilateral_strike.toml")
    bil = [run(historical, seed=s) for s in SEEDS]
    uni = [run(strike, seed=s) for s in SEEDS]
    assert np.mean([r.metrics["cw_removed_frac_final"] for r in bil]) > 0.95
    # the strike costs trust and raises escalation in the year after September 2013
    window = lambda r, col: r.timeseries.query("'2013-09-14' <= date < '2014-09-14'")[col].mean()  # noqa: E731
    assert np.mean([window(r, "us_russia_trust") for r in uni]) < np.mean(
        [window(r, "us_russia_trust") for r in bil]
    )
    assert np.mean([window(r, "escalation") for r in uni]) > np.mean(
        [window(r, "escalation") for r in bil]
    )
    # attacks continue after removal (chlorine and undeclared stock)
    assert sum(r.timeseries.query("date >= '2014-07-01'")["chem_attacks"].sum() for r in bil) > 0


def test_bilateral_access_beats_multilateral(historical):
    no_tf = load_scenario("scenarios/access_no_task_force.toml")
    name = "access_reached_frac_mean_12m"
    assert mean_metric(historical, name) > 2 * mean_metric(no_tf, name)


def test_no_structure_means_no_mechanism():
    sc = load_scenario("scenarios/no_cooperation.toml")
    res = run(sc, seed=1)
    assert res.metrics["cw_removed_frac_final"] == 0
    assert res.timeseries["aid_requested"].sum() == 0
    assert res.timeseries["ceasefire_active"].sum() == 0


def test_zones_reduce_collateral_strikes(historical):
    zones = load_scenario("scenarios/ceasefire_zones.toml")

    def collateral(sc):
        return np.mean(
            [
                run(sc, seed=s)
                .timeseries.query("'2016-02-27' <= date < '2016-10-01'")["collateral_strikes"]
                .sum()
                for s in SEEDS
            ]
        )

    assert collateral(zones) < collateral(historical)


def test_ceasefire_outcomes_emerge(hist_run):
    hist = hist_run.summary["ceasefires"]
    assert [h["id"] for h in hist][:2] == ["annan_2012", "coh_2016"]
    # a collapse is a model outcome, dated by the mechanism, never by the timeline
    collapsed = [h for h in hist if h["collapsed"]]
    assert collapsed and all(h["collapse_date"] > h["date"] for h in collapsed)


def test_observers_withdraw_when_risk_accumulates(historical):
    """UNSMIS's end is a conditional decision: taken when the observers' risk is untenable, and
    never taken in a run whose observers are never at risk."""
    risky = historical.with_overrides({"params.ceasefire.observer_risk": 0.01})
    m = SyriaModel(risky, seed=1)
    withdrawn = []
    for _ in range(20):
        m.step()
        withdrawn += [e for e in m.week_log if e.get("type") == "observers_end"]
    assert withdrawn and m.un.observers == 0 and m.date.isoformat() < "2012-08-19"
    safe = SyriaModel(historical.with_overrides({"params.ceasefire.observer_risk": 0.0}), seed=1)
    for _ in range(40):
        safe.step()
    assert safe.un.observers == 300 and not any(
        f["id"] == "unsmis_end" for f in safe.policies.fired
    )


def test_only_sealable_enclaves_are_besieged(historical):
    """A city of 1.5 million cut off by its enemies keeps supply lines open (western Aleppo was cut
    off for days in 2013 and 2016, never counted as besieged); the same encirclement with a
    higher enclave_max_people cap is sealed, and a small enclave is sealed either way."""
    from sim.territory import GOV, OPP

    def cut_off(scenario, name):
        m = SyriaModel(scenario, seed=0)
        t = m.territory
        area = int(np.flatnonzero(t.name == name)[0])
        group = int(np.flatnonzero(np.bincount(t.holder[t.holder >= 0]))[0])
        for nb in t.neighbours(area):
            t.controller[nb], t.holder[nb] = OPP, group
        t.controller[area] = GOV
        encircled, besieger = m.conflict._encirclement()
        return bool(encircled[area]), int(besieger[area])

    assert cut_off(historical, "Western Aleppo city") == (False, -1)
    raised = historical.with_overrides({"params.fighting.enclave_max_people": 2_000_000})
    assert cut_off(raised, "Western Aleppo city") == (True, OPP)
    assert cut_off(historical, "Nubl and Zahraa") == (True, OPP)
