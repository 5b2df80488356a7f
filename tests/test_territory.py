"""The shipped area network, the synthetic generator, and rejection of invalid data."""

import numpy as np
import pytest

from sim.errors import UserError
from sim.territory import CONTROLLERS, GOVERNORATES, load_csv, load_syria, synthetic

NAMED_2016 = [
    "Douma",
    "Madaya",
    "Zabadani",
    "Darayya",
    "Moadamiyeh",
    "Yarmouk",
    "Khan al-Shih",
    "Al-Waer",
    "Foua",
    "Eastern Aleppo",
    "Deir ez-Zor city",
]


def test_syria_network_covers_governorates_and_named_places():
    t = load_syria()
    assert t.n >= 40
    assert set(t.governorate) == set(GOVERNORATES)
    for place in NAMED_2016:
        assert any(place in name for name in t.name), place
    assert t.is_connected()
    assert t.border.any()
    assert (t.in_need <= t.population).all()
    assert t.name[t.capital] == "Damascus city" and "Latakia" in t.name[t.port]


def test_synthetic_is_seeded_and_connected():
    a = synthetic(500, np.random.default_rng(4))
    b = synthetic(500, np.random.default_rng(4))
    c = synthetic(500, np.random.default_rng(5))
    assert np.array_equal(a.edge_u, b.edge_u) and np.array_equal(a.population, b.population)
    assert not np.array_equal(a.population, c.population)
    assert a.is_connected()
    assert set(np.unique(a.controller)) <= set(range(len(CONTROLLERS)))


AREAS = "id,name,governorate,lat,lon,population,in_need,controller,nusra_share,border_crossing\n"


@pytest.mark.parametrize(
    "areas, roads, message",
    [
        (
            AREAS + "0,A,Homs,34,36,100,50,government,0,0\n1,B,Homs,34,36,100,50,opposition,0,0\n",
            "source,target\n0,2\n",
            "dangling edge",
        ),
        (
            AREAS + "0,A,Homs,34,36,100,50,government,0,0\n1,B,Homs,34,36,100,50,rebels,0,0\n",
            "source,target\n0,1\n",
            "unknown controller 'rebels'",
        ),
        (
            AREAS + "0,A,Homs,34,36,-5,0,government,0,0\n1,B,Homs,34,36,100,50,opposition,0,0\n",
            "source,target\n0,1\n",
            "0 <= in_need <= population",
        ),
        (
            AREAS + "0,A,Homs,34,36,100,50,government,0,0\n1,B,Homs,34,36,100,50,opposition,0,0\n"
            "2,C,Homs,34,36,100,50,opposition,0,0\n",
            "source,target\n0,1\n",
            "disconnected",
        ),
    ],
)
def test_invalid_data_rejected(tmp_path, areas, roads, message):
    (tmp_path / "a.csv").write_text(areas)
    (tmp_path / "r.csv").write_text(roads)
    with pytest.raises(UserError, match=message):
        load_csv(tmp_path / "a.csv", tmp_path / "r.csv")
