"""The conflict layer's mechanisms, one test each: the April 2012 map, encirclement -> siege,
siege + offensive -> deal, outside support shifts the balance, war aims choose offensives,
fighting displaces people; and property tests on conservation of people and control shares."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import SyriaModel
from sim.territory import BESIEGED, GOV, ISIL, KURD, OPP

from .conftest import short_scenario


def area(m, name: str) -> int:
    return int(np.flatnonzero(m.territory.name == name)[0])


def enclave(m, name: str, inside: int = OPP, outside: int = GOV) -> int:
    """Make `name` a one-area enclave of `inside` surrounded by `outside`."""
    t = m.territory
    i = area(m, name)
    for nb in t.neighbours(i):
        t.controller[nb], t.holder[nb] = outside, -1
    t.controller[i] = inside
    t.holder[i] = 0 if inside == OPP else -1
    return i


def test_april_2012_map_has_no_siege(historical):
    m = SyriaModel(historical, seed=0)
    t = m.territory
    assert not (t.status == BESIEGED).any()
    # The sourced April 2012 map: the government held most areas, Kurdish areas included.
    assert (t.controller == GOV).sum() > 0.8 * t.n
    assert not (t.controller == ISIL).any() and not (t.controller == KURD).any()


def test_encirclement_becomes_a_siege_only_with_fighting(historical):
    m = SyriaModel(historical, seed=0)
    c, t = m.conflict, m.territory
    i = enclave(m, "Madaya")
    c.update_sieges(advance=False)
    assert c._encircled[i] and t.status[i] != BESIEGED  # encircled, not yet besieged
    for _ in range(100):  # encircled for two years, but nobody fights
        c.area_fighting[:] = 0.0
        c.update_sieges(advance=True, changed=False)
    assert t.status[i] != BESIEGED
    weeks = int(np.ceil(c.p["siege_fighting_weeks"]))
    c.area_fighting[i] = 1.0
    for _ in range(weeks - 1):
        c.update_sieges(advance=True, changed=False)
    assert t.status[i] != BESIEGED
    c.update_sieges(advance=True, changed=False)
    assert t.status[i] == BESIEGED and t.besieger[i] == GOV


def besieged_madaya(scenario, seed=0, years=3.0):
    m = SyriaModel(scenario, seed=seed)
    c, t = m.conflict, m.territory
    i = enclave(m, "Madaya")
    c.update_sieges(advance=False)
    c.siege_fighting[i] = 1e9
    c.besieged_weeks[i] = int(52 * years)
    c.update_sieges(advance=False)
    assert t.status[i] == BESIEGED
    return m, i


def test_besieged_area_under_offensive_agrees_a_deal_and_is_evacuated(historical):
    sc = historical.with_overrides(
        {
            "params.fighting.capture_rate": 0.0,  # only a deal can change its hands
            "params.fighting.deal_rate": 100.0,
            "params.fighting.siege_attrition": 5.0,  # the starving enclave is the softest target
            "params.fighting.uprising_rate": 0.0,
        }
    )
    m, i = besieged_madaya(sc)
    t, c = m.territory, m.conflict
    people = t.population[i]
    total = t.population.sum()
    c.step()
    assert c.offensive[(c.dst == i) & (t.controller[c.src] == GOV)].any()
    assert t.controller[i] == GOV and c.deals == 1
    evacuated = c.p["evacuation_share"] * people
    assert t.population[i] <= people - evacuated + 1e-6
    assert t.displaced[t.controller == OPP].sum() >= evacuated - 1e-6
    assert t.population.sum() + c.refugees == pytest.approx(total)


def test_no_deal_without_an_offensive(historical):
    sc = historical.with_overrides(
        {"params.fighting.deal_rate": 100.0, "params.fighting.offensives_per_strength": 0.0}
    )
    m, i = besieged_madaya(sc)
    m.conflict.step()
    assert m.territory.controller[i] == OPP and m.conflict.deals == 0


def gov_advantage(m):
    c, t = m.conflict, m.territory
    a, d = t.controller[c.src], t.controller[c.dst]
    own = c.side_strength()
    gov = (a == GOV) & (d == OPP)
    att = own[c.src] * (1 + c.support[a, d, c.dst])
    dfn = own[c.dst] * (1 + c.support[d, a, c.dst])
    return (att - dfn)[gov]


def test_air_support_shifts_the_balance_and_the_map(historical):
    sc = historical.with_overrides({"params.fighting.uprising_rate": 0.0})
    gained = {False: [], True: []}
    for backed in (False, True):
        for seed in range(6):
            m = SyriaModel(sc, seed=seed)
            t = m.territory
            opp = np.flatnonzero(m.territory.challenger == OPP)
            t.controller[opp], t.holder[opp] = OPP, m.conflict.cell[opp]
            m.conflict.update_sieges(advance=False)
            before = gov_advantage(m)
            if backed:
                m.conflict.intervene(GOV, 1.0, air=True)
                assert (gov_advantage(m) > before).all()
            start = (t.controller == GOV).sum()
            deaths = sum(m.conflict.step() for _ in range(52))
            gained[backed].append(((t.controller == GOV).sum() - start, deaths))
    plain, backed = np.array(gained[False]), np.array(gained[True])
    assert backed[:, 0].mean() > plain[:, 0].mean() + 1  # more areas taken with air power
    assert backed[:, 1].mean() > plain[:, 1].mean()  # and more people killed


def test_kurds_attack_isil_only_once_backed(historical):
    m = SyriaModel(historical, seed=0)
    t, c = m.territory, m.conflict
    t.controller[area(m, "Raqqa city")] = ISIL
    t.controller[area(m, "Tell Abyad")] = KURD
    t.controller[area(m, "Hasakah city")] = KURD
    m.isil.active = True
    c.update_sieges(advance=False)
    before = t.controller.copy()
    c.step()
    assert not (c.offensive & (before[c.src] == KURD)).any()
    c.intervene(KURD, 0.5, against=(ISIL,), air=True)
    before = t.controller.copy()
    c.step()
    kurd = c.offensive & (before[c.src] == KURD)
    assert kurd.any() and (before[c.dst[kurd]] == ISIL).all()


def test_isil_expands_then_holds(historical):
    m = SyriaModel(historical, seed=0)
    m.territory.controller[area(m, "Raqqa city")] = ISIL
    m.isil.strength = 2.0
    assert m.conflict.offensive_counts()[ISIL] > 0
    m.isil.strength = m.conflict.p["isil_hold_strength"]
    assert m.conflict.offensive_counts()[ISIL] == 0


def test_heavy_fighting_displaces_people_but_not_out_of_a_siege(historical):
    m = SyriaModel(historical, seed=0)
    t, c = m.territory, m.conflict
    hot, sieged = area(m, "Homs city"), area(m, "Madaya")
    t.status[sieged] = BESIEGED
    before = t.population.copy()
    c.area_fighting[:] = 0.0
    c.area_fighting[[hot, sieged]] = 3.0
    c._flee(np.zeros(t.n))
    assert t.population[hot] < before[hot] and t.population[sieged] == before[sieged]
    nbrs = t.neighbours(hot)
    assert (t.displaced[nbrs] > 0).any() and c.refugees > 0
    assert t.population.sum() + c.refugees == pytest.approx(before.sum())


def test_uprisings_pass_areas_to_their_challenger(historical):
    sc = historical.with_overrides({"params.fighting.uprising_rate": 1.0})
    m = SyriaModel(sc, seed=0)
    t = m.territory
    rival = t.challenger.copy()
    m.conflict.step()
    rose = rival >= 0
    assert (t.controller[rose] == rival[rose]).mean() > 0.5
    assert (t.holder[t.controller == OPP] >= 0).all()


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32),
    synthetic_net=st.booleans(),
    flight=st.floats(0, 0.2),
    refugees=st.floats(0, 1),
    deals=st.floats(0, 50),
    evacuation=st.floats(0, 1),
)
def test_people_are_conserved_and_control_shares_sum_to_one(
    seed, synthetic_net, flight, refugees, deals, evacuation
):
    sc = short_scenario(
        **{
            "network.source": "synthetic" if synthetic_net else "syria",
            "network.areas": 120,
            "params.fighting.flight_rate": flight,
            "params.fighting.refugee_share": refugees,
            "params.fighting.deal_rate": deals,
            "params.fighting.evacuation_share": evacuation,
            "params.fighting.siege_fighting_weeks": 2.0,
        }
    )
    m = SyriaModel(sc, seed=seed)
    total = m.territory.population.sum()
    for _ in range(60):
        m.step()
        t = m.territory
        people = t.population.sum() + m.conflict.refugees  # residents + displaced + refugees
        assert people == pytest.approx(total, rel=1e-9)
        assert (t.population >= -1e-6).all() and (t.displaced >= -1e-6).all()
        assert (t.displaced <= t.population + 1e-6).all() and (t.in_need <= t.population).all()
        rec = m.record
        shares = sum(rec[f"pop_share_{k}"] for k in ("government", "opposition", "isil", "kurdish"))
        assert shares == pytest.approx(1.0)
        assert (
            sum(rec[f"areas_{k}"] for k in ("government", "opposition", "isil", "kurdish")) == t.n
        )


def test_start_map_is_the_records_april_2012_snapshot(historical):
    from sim.record import load

    snap = load().control_at("2012-04-12")
    m = SyriaModel(historical, seed=0)
    names = np.array(["government", "opposition", "isil", "kurdish"])
    assert (names[m.territory.controller] == snap["controller"].to_numpy()).all()
