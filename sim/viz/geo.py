"""Geometry of the map: Syria's outline and one cell per area.

The outline is Natural Earth's 1:50m admin-0 boundary (public domain), taken from the npm
package `world-atlas` 2.0.2 and simplified by `scripts/make_outline.py` into
`sim/data/syria_outline.json` (shipped, so the map needs no network; see sim/data/SOURCES.md).

The model's areas are points (a town, a district); on the map each area is drawn as the Voronoi
cell of its point, clipped to Syria's outline: every place in Syria belongs to its nearest area.
Distances are measured on a plane scaled by cos(35 deg) in longitude, so cells are not stretched.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
from shapely import MultiPoint, voronoi_polygons
from shapely.geometry import Polygon, shape
from shapely.ops import unary_union

OUTLINE_FILE = Path(__file__).resolve().parents[1] / "data" / "syria_outline.json"
KX = float(np.cos(np.deg2rad(35.0)))  # km per degree of longitude / km per degree of latitude

# Names the map writes (area name in areas.csv -> label); the rest are too many for a projector.
CITY_LABELS = {
    "Damascus city": "Damascus",
    "Western Aleppo city": "Aleppo",
    "Homs city": "Homs",
    "Hama city": "Hama",
    "Latakia city and port": "Latakia",
    "Idlib city": "Idlib",
    "Raqqa city": "Raqqa",
    "Deir ez-Zor city (government-held)": "Deir ez-Zor",
    "Daraa city": "Daraa",
    "Hasakah city": "Hasakah",
    "Palmyra (Tadmur)": "Palmyra",
    "Qamishli": "Qamishli",
}


@lru_cache(maxsize=1)
def _features() -> dict:
    doc = json.loads(OUTLINE_FILE.read_text(encoding="utf-8"))
    return {f["properties"]["name"]: shape(f["geometry"]) for f in doc["features"]}


def syria() -> Polygon:
    """Syria's outline (lon/lat degrees)."""
    return _features()["Syria"]


def neighbours() -> dict:
    """The neighbouring countries' outlines (lon/lat), drawn in grey for context."""
    return {k: v for k, v in _features().items() if k != "Syria"}


def outline_source() -> str:
    return json.loads(OUTLINE_FILE.read_text(encoding="utf-8"))["source"]


@lru_cache(maxsize=8)
def _cells(points: tuple[tuple[float, float], ...]) -> tuple:
    pts = np.asarray(points, float)
    scaled = np.column_stack([pts[:, 0] * KX, pts[:, 1]])
    country = syria()
    box = Polygon(
        [(30 * KX, 28), (48 * KX, 28), (48 * KX, 42), (30 * KX, 42)]
    )  # well beyond Syria, so no cell is cut by the diagram's own frame
    # ordered=True: the i-th region is the i-th point's
    regions = voronoi_polygons(MultiPoint([tuple(p) for p in scaled]), extend_to=box, ordered=True)
    scaled_country = Polygon([(x * KX, y) for x, y in country.exterior.coords])
    out = [_unscale(region.intersection(scaled_country)) for region in regions.geoms]
    return tuple(out)


def _unscale(geom):
    from shapely import transform

    return transform(geom, lambda c: np.column_stack([c[:, 0] / KX, c[:, 1]]))


def area_cells(lon, lat) -> list:
    """One shapely geometry per area (lon/lat degrees): its Voronoi cell inside Syria."""
    key = tuple((round(float(x), 4), round(float(y), 4)) for x, y in zip(lon, lat, strict=True))
    return list(_cells(key))


def polygon_rings(geom) -> list[np.ndarray]:
    """The exterior rings of a (multi)polygon as (n, 2) arrays, for matplotlib collections."""
    if geom.is_empty:
        return []
    parts = getattr(geom, "geoms", [geom])
    return [np.asarray(p.exterior.coords) for p in parts if isinstance(p, Polygon)]


def cells_union(cells, mask) -> object:
    """The union of the cells where `mask` is true (e.g. the areas two runs disagree on)."""
    chosen = [c for c, m in zip(cells, mask, strict=True) if m and not c.is_empty]
    return unary_union(chosen) if chosen else Polygon()
