"""Extract Syria's outline (and its neighbours' borders, for context) from the npm package
`world-atlas` (Natural Earth 1:50m, public domain; packaging ISC) into sim/data/syria_outline.json.

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    .venv/bin/python scripts/make_outline.py package/countries-50m.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from shapely.geometry import mapping, shape

NAMES = {"Syria", "Turkey", "Iraq", "Jordan", "Lebanon", "Israel", "Palestine"}
OUT = Path(__file__).resolve().parents[1] / "sim" / "data" / "syria_outline.json"


def decode(topo: dict, obj: str) -> list[tuple[str, dict]]:
    """TopoJSON (quantized, delta-encoded arcs) to (name, GeoJSON geometry) pairs."""
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)

    def ring(ids):
        pts = []
        for i in ids:
            a = arcs[i] if i >= 0 else arcs[~i][::-1]
            pts.extend(a if not pts else a[1:])
        return pts

    out = []
    for g in topo["objects"][obj]["geometries"]:
        if g["type"] == "Polygon":
            geom = {"type": "Polygon", "coordinates": [ring(r) for r in g["arcs"]]}
        elif g["type"] == "MultiPolygon":
            coords = [[ring(r) for r in p] for p in g["arcs"]]
            geom = {"type": "MultiPolygon", "coordinates": coords}
        else:
            continue
        out.append((g.get("properties", {}).get("name", ""), geom))
    return out


def main(path: str) -> None:
    topo = json.loads(Path(path).read_text())
    features = []
    for name, geom in decode(topo, "countries"):
        if name in NAMES:
            g = shape(geom).simplify(0.01, preserve_topology=True)
            features.append(
                {
                    "type": "Feature",
                    "properties": {"name": name},
                    "geometry": json.loads(json.dumps(mapping(g))),
                }
            )
    doc = {
        "type": "FeatureCollection",
        "source": "Natural Earth 1:50m admin-0 countries (public domain), via the npm package "
        "world-atlas 2.0.2 (ISC licence), simplified to 0.01 degrees by scripts/make_outline.py",
        "features": features,
    }
    text = json.dumps(doc, separators=(",", ":"))
    # round coordinates to 3 decimals (about 100 m): the file stays small
    doc2 = json.loads(text, parse_float=lambda s: round(float(s), 3))
    OUT.write_text(json.dumps(doc2, separators=(",", ":")) + "\n")
    print(f"{OUT}: {len(features)} countries, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
