"""The territory as a networkx graph: analysis, GraphML/GeoJSON export, a user's own network."""

import json

import networkx as nx
import numpy as np
import pytest

from sim.errors import UserError
from sim.network import read_graphml, to_geojson, to_networkx, write_geojson, write_graphml
from sim.territory import load_syria


def test_graph_has_every_area_and_road():
    t = load_syria()
    g = to_networkx(t)
    assert g.number_of_nodes() == t.n and g.number_of_edges() == len(t.edge_u)
    assert nx.is_connected(g)
    assert g.nodes[0]["name"] == t.name[0] and g.nodes[0]["controller"] == "government"


def test_graphml_round_trip_gives_the_same_territory(tmp_path):
    t = load_syria()
    back = read_graphml(write_graphml(t, tmp_path / "syria.graphml"))
    assert list(back.name) == list(t.name)
    for col in ("lat", "lon", "population", "in_need", "controller", "challenger", "border"):
        assert np.array_equal(getattr(back, col), getattr(t, col)), col
    assert np.array_equal(back.edge_u, t.edge_u) and np.array_equal(back.edge_v, t.edge_v)


def test_geojson_has_points_and_roads(tmp_path):
    t = load_syria()
    doc = json.loads(write_geojson(t, tmp_path / "syria.geojson").read_text())
    kinds = [f["geometry"]["type"] for f in doc["features"]]
    assert kinds.count("Point") == t.n and kinds.count("LineString") == len(t.edge_u)
    assert doc == to_geojson(t)


def test_a_bad_user_network_is_one_line_naming_the_file(tmp_path):
    g = to_networkx(load_syria())
    g.nodes[3]["controller"] = "rebels"
    bad = tmp_path / "bad.graphml"
    nx.write_graphml(g, bad)
    with pytest.raises(UserError) as err:
        read_graphml(bad)
    assert str(bad) in str(err.value) and "rebels" in str(err.value)
    assert "\n" not in str(err.value)
