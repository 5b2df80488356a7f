"""The territory as a networkx graph: for users' analysis and drawing, GraphML and GeoJSON export,
and loading a user's own network from GraphML.

The model's weekly hot path stays on numpy arrays (sim/territory.py); this module only converts.
Nodes are the area indices (integers, as Mesa's network drawing needs) with the columns of
sim/data/areas.csv as attributes; edges are the roads.

```python
from sim.network import to_networkx, write_graphml, write_geojson, read_graphml
g = to_networkx(model.territory)          # e.g. networkx.betweenness_centrality(g)
write_graphml(model.territory, "syria.graphml"); write_geojson(model.territory, "syria.geojson")
territory = read_graphml("my_network.graphml")   # validated like areas.csv + roads.csv
```
"""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path
from xml.etree.ElementTree import ParseError

import networkx as nx

from sim.errors import UserError
from sim.territory import AREA_COLUMNS, CONTROLLERS, Territory, load_csv

# the node attributes: the columns of areas.csv but the row id (the node), with the challenger
_AREA_COLUMNS = (*AREA_COLUMNS[1:], "challenger")


def _controller_name(code: int) -> str:
    return CONTROLLERS[code] if code >= 0 else "none"


def _area(t: Territory, i: int) -> dict:
    return {
        "name": str(t.name[i]),
        "governorate": str(t.governorate[i]),
        "lat": float(t.lat[i]),
        "lon": float(t.lon[i]),
        "population": int(round(t.population[i])),
        "in_need": int(round(t.in_need[i])),
        "controller": _controller_name(int(t.controller[i])),
        "challenger": _controller_name(int(t.challenger[i])),
        "nusra_share": float(t.nusra_share[i]),
        "border_crossing": int(bool(t.border[i])),
    }


def to_networkx(t: Territory) -> nx.Graph:
    """The areas (nodes 0..n-1) and roads (edges) with the areas' current attributes."""
    g = nx.Graph()
    g.add_nodes_from((i, _area(t, i)) for i in range(t.n))
    g.add_edges_from(zip(t.edge_u.tolist(), t.edge_v.tolist(), strict=True))
    return g


def write_graphml(t: Territory, path: str | Path) -> Path:
    nx.write_graphml(to_networkx(t), str(path))
    return Path(path)


def to_geojson(t: Territory) -> dict:
    """A GeoJSON FeatureCollection: one Point per area (with its attributes), one LineString per
    road."""
    areas = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [float(t.lon[i]), float(t.lat[i])]},
            "properties": {"id": i, **_area(t, i)},
        }
        for i in range(t.n)
    ]
    roads = [
        {
            "type": "Feature",
            "geometry": {
                "type": "LineString",
                "coordinates": [
                    [float(t.lon[u]), float(t.lat[u])],
                    [float(t.lon[v]), float(t.lat[v])],
                ],
            },
            "properties": {"source": int(u), "target": int(v)},
        }
        for u, v in zip(t.edge_u.tolist(), t.edge_v.tolist(), strict=True)
    ]
    return {"type": "FeatureCollection", "features": areas + roads}


def write_geojson(t: Territory, path: str | Path) -> Path:
    Path(path).write_text(json.dumps(to_geojson(t)) + "\n", encoding="utf-8")
    return Path(path)


def read_graphml(path: str | Path) -> Territory:
    """A user's network from GraphML (node attributes as the columns of areas.csv), checked by
    the same validation as the shipped CSV files; errors name `path`."""
    path = str(path)
    try:
        g = nx.read_graphml(path)
    except (OSError, nx.NetworkXError, ParseError) as exc:
        raise UserError(
            f"cannot read GraphML: {str(exc).splitlines()[0][:200]}", file=path
        ) from None
    nodes = list(g.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    missing = {c for _, data in g.nodes(data=True) for c in _AREA_COLUMNS if c not in data}
    missing -= {"challenger"}  # optional, as in areas.csv
    if missing:
        raise UserError(
            f"node attribute(s) missing: {', '.join(sorted(missing))}; "
            f"needed: {', '.join(_AREA_COLUMNS)}",
            file=path,
        )
    with tempfile.TemporaryDirectory() as tmp:
        areas, roads = Path(tmp) / "areas.csv", Path(tmp) / "roads.csv"
        with areas.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=("id", *_AREA_COLUMNS), extrasaction="ignore")
            w.writeheader()
            for node, data in g.nodes(data=True):
                w.writerow({"id": index[node], **data})
        with roads.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(("source", "target"))
            w.writerows((index[u], index[v]) for u, v in g.edges)
        try:
            return load_csv(areas, roads)
        except UserError as exc:  # name the user's file, not the temporary table
            raise UserError(exc.detail, file=path, key=exc.key) from None
