"""Property-based tests: random valid scenarios and random synthetic networks keep the invariants."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import run
from sim.structures import STRUCTURES
from sim.territory import synthetic

from .conftest import short_scenario

structures = st.sampled_from(sorted(STRUCTURES))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    access=structures,
    chemical=structures,
    ceasefire=structures,
    rule=st.sampled_from(["logistic", "threshold"]),
    groups=st.integers(1, 60),
    areas=st.integers(20, 400),
    synthetic_net=st.booleans(),
    chaos=st.floats(0, 1),
    trust=st.floats(0, 1),
    seed=st.integers(0, 2**32),
)
def test_random_scenarios_keep_invariants(
    access, chemical, ceasefire, rule, groups, areas, synthetic_net, chaos, trust, seed
):
    sc = short_scenario(
        **{
            "tracks.access.structure": access,
            "tracks.chemical.structure": chemical,
            "tracks.ceasefire.structure": ceasefire,
            "rules.compliance.name": rule,
            "actors.opposition_groups": groups,
            "network.source": "synthetic" if synthetic_net else "syria",
            "network.areas": areas,
            "params.diplomacy.chaos": chaos,
            "params.trust.initial": trust,
        }
    )
    res = run(sc, seed=seed)
    ts, mo = res.timeseries, res.monthly
    for col in ("cw_removed_frac", "us_russia_trust", "escalation"):
        assert ts[col].between(0, 1).all()
    assert (mo["aid_reached"] <= mo["aid_approved"] + 1e-6).all()
    assert (mo["aid_approved"] <= mo["aid_requested"] + 1e-6).all()
    assert mo["besieged_reached_frac"].between(0, 1).all()
    shares = ts.filter(like="pop_share_").sum(axis=1)
    assert np.allclose(shares, 1.0)
    assert (ts["violence"] >= 0).all()


@settings(max_examples=20, deadline=None)
@given(n=st.integers(10, 3000), seed=st.integers(0, 2**32))
def test_random_synthetic_networks_are_valid(n, seed):
    t = synthetic(n, np.random.default_rng(seed))
    assert t.n == n and t.is_connected()
    assert (t.population >= 0).all() and (t.in_need <= t.population).all()
    assert (t.edge_u < t.edge_v).all()
