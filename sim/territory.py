"""The area network: areas (cities, enclaves, districts, crossings) joined by roads.

Per-area state lives in numpy arrays so that a week of fighting, sieges and convoys over thousands
of areas costs a few vectorised operations. The shipped network (sim/data/areas.csv, roads.csv,
sources in sim/data/SOURCES.md) covers Syria's 14 governorates; `synthetic()` builds a seeded
network of any size for teaching and scale tests.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order

from sim.errors import UserError
from sim.io_safety import read_text

GOV, OPP, ISIL, KURD = 0, 1, 2, 3
CONTROLLERS = ("government", "opposition", "isil", "kurdish")
ACCESSIBLE, HARD_TO_REACH, BESIEGED = 0, 1, 2
STATUSES = ("accessible", "hard_to_reach", "besieged")
GOVERNORATES = (
    "Damascus",
    "Rif Dimashq",
    "Quneitra",
    "Daraa",
    "As-Suwayda",
    "Homs",
    "Hama",
    "Idlib",
    "Aleppo",
    "Latakia",
    "Tartus",
    "Raqqa",
    "Deir ez-Zor",
    "Al-Hasakah",
)

# How readily each pair of controllers fights (symmetric): government, opposition, ISIL, Kurdish.
HOSTILITY = np.array(
    [
        [0.0, 1.0, 0.6, 0.05],
        [1.0, 0.0, 0.8, 0.2],
        [0.6, 0.8, 0.0, 0.8],
        [0.05, 0.2, 0.8, 0.0],
    ]
)
HOSTILE = HOSTILITY >= 0.3  # pairs that besiege each other and block each other's convoys


# The required columns of an areas table (sim/data/areas.csv; `challenger` and the 2016 reference
# columns are optional).
AREA_COLUMNS = (
    "id",
    "name",
    "governorate",
    "lat",
    "lon",
    "population",
    "in_need",
    "controller",
    "nusra_share",
    "border_crossing",
)


@dataclass
class Territory:
    name: np.ndarray  # str
    governorate: np.ndarray  # str
    lat: np.ndarray
    lon: np.ndarray
    population: np.ndarray  # people present (residents and displaced people hosted); people move
    in_need: np.ndarray  # people in need of humanitarian assistance
    border: np.ndarray  # bool: a border crossing usable for cross-border aid and supply
    edge_u: np.ndarray  # int, road endpoints (u < v)
    edge_v: np.ndarray
    controller: np.ndarray  # int code (GOV, OPP, ISIL, KURD)
    nusra_share: np.ndarray  # share of fighters tied to excluded groups (Nusra/ISIL)
    # armed challenger present in spring 2012 in a government-held area (controller code, -1 none)
    challenger: np.ndarray | None = None
    ref_controller: np.ndarray | None = None  # the 2016 controller, for reference only
    ref_status: np.ndarray | None = None  # the 2016 UN status, for reference only
    # dynamic state, set by the model
    holder: np.ndarray = field(default=None)  # opposition group index holding the area, -1 if none
    status: np.ndarray = field(default=None)
    besieger: np.ndarray = field(default=None)  # controller code besieging, -1 if none
    encircled_weeks: np.ndarray = field(default=None)
    displaced: np.ndarray = field(default=None)  # people displaced from elsewhere, hosted here

    def __post_init__(self) -> None:
        n = self.n
        if self.holder is None:
            self.holder = np.full(n, -1, dtype=np.int64)
        self.status = np.zeros(n, dtype=np.int64) if self.status is None else self.status
        self.besieger = np.full(n, -1, dtype=np.int64) if self.besieger is None else self.besieger
        self.encircled_weeks = (
            np.zeros(n, dtype=np.int64) if self.encircled_weeks is None else self.encircled_weeks
        )
        self.displaced = np.zeros(n) if self.displaced is None else self.displaced
        if self.challenger is None:
            self.challenger = np.full(n, -1, dtype=np.int64)
        self._build_adjacency()

    @property
    def n(self) -> int:
        return len(self.population)

    def _build_adjacency(self) -> None:
        n = self.n
        both_u = np.concatenate([self.edge_u, self.edge_v])
        both_v = np.concatenate([self.edge_v, self.edge_u])
        order = np.lexsort((both_v, both_u))
        self.adj_indices = both_v[order]
        self.adj_indptr = np.zeros(n + 1, dtype=np.int64)
        np.add.at(self.adj_indptr, both_u + 1, 1)
        self.adj_indptr = np.cumsum(self.adj_indptr)
        self.degree = np.diff(self.adj_indptr)
        # The capital: the most populous government-held area; convoys start there.
        gov = np.flatnonzero(self.controller == GOV)
        pool = gov if len(gov) else np.arange(n)
        self.capital = int(pool[np.argmax(self.population[pool])])
        # The port: the westernmost government-held border area (chemical agents leave by sea).
        gov_border = np.flatnonzero((self.controller == GOV) & self.border)
        pool = gov_border if len(gov_border) else pool
        self.port = int(pool[np.argmin(self.lon[pool])])
        self.route_parent = self.bfs_within(np.ones(self.n, dtype=bool))

    def neighbours(self, i: int) -> np.ndarray:
        return self.adj_indices[self.adj_indptr[i] : self.adj_indptr[i + 1]]

    def route(self, target: int, parent: np.ndarray | None = None) -> np.ndarray:
        """Road route from the capital to `target` (areas crossed, capital excluded).

        With `parent` (a tree from `bfs_within`), the route stays inside that tree's areas up to
        the last step, entering `target` from its nearest neighbour in the tree; otherwise (or
        when no neighbour is in the tree) it is the shortest road route."""
        if parent is not None and parent[target] == -2:
            entries = [v for v in self.neighbours(target) if parent[v] != -2]
            if entries:
                return np.append(
                    self.route(min(entries, key=lambda v: (self._depth(v, parent), v)), parent),
                    target,
                )
        tree = self.route_parent if parent is None or parent[target] == -2 else parent
        path = []
        j = target
        while j != self.capital and j >= 0:
            path.append(j)
            j = tree[j]
        return np.array(path[::-1], dtype=np.int64)

    def _depth(self, v: int, parent: np.ndarray) -> int:
        d = 0
        while parent[v] >= 0:
            v, d = parent[v], d + 1
        return d

    def bfs_within(self, mask: np.ndarray) -> np.ndarray:
        """Breadth-first tree from the capital through the areas in `mask` only (parent per
        area, -1 for the capital, -2 where unreachable)."""
        parent = np.full(self.n, -2, dtype=np.int64)
        if not mask[self.capital]:
            return parent
        keep = mask[self.edge_u] & mask[self.edge_v]
        u, v = self.edge_u[keep], self.edge_v[keep]
        graph = csr_matrix((np.ones(len(u)), (u, v)), shape=(self.n, self.n))
        order, pred = breadth_first_order(
            graph, self.capital, directed=False, return_predecessors=True
        )
        parent[order] = pred[order]
        parent[self.capital] = -1
        return parent

    def is_connected(self) -> bool:
        return bool(np.all(self.route_parent != -2))


def load_csv(areas_path: Path | str, roads_path: Path | str) -> Territory:
    """Read and validate an area table and a road table (see sim/data/SOURCES.md for columns)."""
    areas_path, roads_path = str(areas_path), str(roads_path)
    rows = _read_rows(areas_path)
    required = AREA_COLUMNS
    missing = [c for c in required if c not in rows[0]]
    if missing:
        raise UserError(
            f"missing column(s) {', '.join(missing)}; required: {', '.join(required)}",
            file=areas_path,
        )
    ids: dict[int, int] = {}
    cols: dict[str, list] = {c: [] for c in required}
    ref_c, ref_s, challenger = [], [], []
    for line, row in enumerate(rows, start=2):
        key = f"line {line}"
        try:
            area_id = int(row["id"])
            lat, lon = float(row["lat"]), float(row["lon"])
            pop, need = int(row["population"]), int(row["in_need"])
            nusra = float(row["nusra_share"])
            border = int(row["border_crossing"])
        except ValueError as exc:
            raise UserError(f"not a number: {exc}", file=areas_path, key=key) from None
        if area_id in ids:
            raise UserError(f"duplicate area id {area_id}", file=areas_path, key=key)
        if row["controller"] not in CONTROLLERS:
            raise UserError(
                f"unknown controller {row['controller']!r}; allowed: {', '.join(CONTROLLERS)}",
                file=areas_path,
                key=f"{key}.controller",
            )
        rival = row.get("challenger") or "none"
        if rival not in (*CONTROLLERS, "none"):
            raise UserError(
                f"unknown challenger {rival!r}; allowed: none, {', '.join(CONTROLLERS)}",
                file=areas_path,
                key=f"{key}.challenger",
            )
        challenger.append(CONTROLLERS.index(rival) if rival != "none" else -1)
        if pop < 0 or need < 0 or need > pop:
            raise UserError(
                f"population and in_need must satisfy 0 <= in_need <= population (got {pop}, {need})",
                file=areas_path,
                key=f"{key}.population",
            )
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise UserError("latitude/longitude out of range", file=areas_path, key=f"{key}.lat")
        if not 0.0 <= nusra <= 1.0:
            raise UserError(
                "nusra_share must be in [0, 1]", file=areas_path, key=f"{key}.nusra_share"
            )
        if border not in (0, 1):
            raise UserError(
                "border_crossing must be 0 or 1", file=areas_path, key=f"{key}.border_crossing"
            )
        ids[area_id] = len(ids)
        for c, v in zip(
            required,
            (
                area_id,
                row["name"],
                row["governorate"],
                lat,
                lon,
                pop,
                need,
                CONTROLLERS.index(row["controller"]),
                nusra,
                bool(border),
            ),
            strict=True,
        ):
            cols[c].append(v)
        ref_c.append(
            CONTROLLERS.index(row["controller_2016"])
            if row.get("controller_2016") in CONTROLLERS
            else -1
        )
        ref_s.append(
            STATUSES.index(row["status_2016"]) if row.get("status_2016") in STATUSES else -1
        )
    if sorted(ids) != list(range(len(ids))):
        raise UserError("area ids must be 0..N-1", file=areas_path, key="id")
    us, vs = [], []
    for line, row in enumerate(_read_rows(roads_path), start=2):
        try:
            u, v = int(row["source"]), int(row["target"])
        except (KeyError, ValueError):
            raise UserError(
                "expected integer columns 'source,target'", file=roads_path, key=f"line {line}"
            ) from None
        for end in (u, v):
            if end not in ids:
                raise UserError(
                    f"road to unknown area id {end} (dangling edge)",
                    file=roads_path,
                    key=f"line {line}",
                )
        if u == v:
            raise UserError(f"road from area {u} to itself", file=roads_path, key=f"line {line}")
        us.append(min(u, v))
        vs.append(max(u, v))
    pairs = np.unique(np.array([us, vs], dtype=np.int64), axis=1)
    territory = Territory(
        name=np.array(cols["name"], dtype=object),
        governorate=np.array(cols["governorate"], dtype=object),
        lat=np.array(cols["lat"]),
        lon=np.array(cols["lon"]),
        population=np.array(cols["population"], dtype=np.float64),
        in_need=np.array(cols["in_need"], dtype=np.float64),
        border=np.array(cols["border_crossing"], dtype=bool),
        edge_u=pairs[0],
        edge_v=pairs[1],
        controller=np.array(cols["controller"], dtype=np.int64),
        nusra_share=np.array(cols["nusra_share"]),
        challenger=np.array(challenger, dtype=np.int64),
        ref_controller=np.array(ref_c),
        ref_status=np.array(ref_s),
    )
    if not territory.is_connected():
        cut = int(np.flatnonzero(territory.route_parent == -2)[0])
        raise UserError(
            f"road network is disconnected: area {cut} ({territory.name[cut]}) cannot be reached "
            "from the capital",
            file=roads_path,
        )
    return territory


def _read_rows(path: str) -> list[dict]:
    rows = list(csv.DictReader(io.StringIO(read_text(path), newline="")))
    if not rows:
        raise UserError("no rows", file=path)
    return rows


def load_syria() -> Territory:
    data = resources.files("sim") / "data"
    return load_csv(Path(str(data / "areas.csv")), Path(str(data / "roads.csv")))


def synthetic(
    n_areas: int, rng: np.random.Generator, total_population: float = 16.5e6
) -> Territory:
    """A seeded synthetic Syria-like network: points in Syria's bounding box, joined to their
    three nearest neighbours and along a west-east chain (so the graph is connected); control
    regions seeded like 2012 (government west and centre, opposition north-west and south,
    Kurdish north-east; ISIL emerges from radical opposition areas in the east)."""
    from scipy.spatial import cKDTree

    lat = rng.uniform(32.4, 37.2, n_areas)
    lon = rng.uniform(35.8, 42.2, n_areas)
    pts = np.column_stack([lon, lat * 1.2])
    k = min(4, n_areas)
    _, nn = cKDTree(pts).query(pts, k=k)
    u = np.repeat(np.arange(n_areas), k - 1)
    v = nn[:, 1:].ravel()
    chain = np.argsort(lon)
    u = np.concatenate([u, chain[:-1]])
    v = np.concatenate([v, chain[1:]])
    pairs = np.unique(np.sort(np.column_stack([u, v]), axis=1), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    # Control regions: nearest of a few labelled seed points.
    seeds = np.array(
        [
            [36.3, 33.5 * 1.2],
            [36.7, 34.8 * 1.2],
            [35.9, 35.5 * 1.2],
            [37.1, 36.2 * 1.2],
            [36.6, 35.9 * 1.2],
            [36.2, 32.8 * 1.2],
            [39.5, 35.6 * 1.2],
            [40.5, 35.0 * 1.2],
            [41.0, 36.8 * 1.2],
            [38.3, 36.8 * 1.2],
        ]
    )
    labels = np.array([GOV, GOV, GOV, GOV, OPP, OPP, OPP, OPP, KURD, OPP])
    _, region = cKDTree(seeds).query(pts)
    controller = labels[region]
    pop = rng.lognormal(10.5, 1.1, n_areas)
    pop = np.round(pop * total_population / pop.sum())
    need = np.round(pop * rng.uniform(0.4, 0.95, n_areas))
    nusra = np.where(controller == OPP, rng.beta(1.2, 3.0, n_areas), 0.0)
    nusra[(controller == OPP) & (lon > 39.0)] = rng.uniform(
        0.5, 0.8, int(((controller == OPP) & (lon > 39.0)).sum())
    )
    border = (lat > 36.6) | (lat < 32.6) | (lon > 41.8) | (lon < 35.95)
    border &= rng.random(n_areas) < 0.5
    return Territory(
        name=np.array([f"Area {i}" for i in range(n_areas)], dtype=object),
        governorate=np.array([GOVERNORATES[i % len(GOVERNORATES)] for i in region], dtype=object),
        lat=lat,
        lon=lon,
        population=pop.astype(np.float64),
        in_need=need.astype(np.float64),
        border=border,
        edge_u=pairs[:, 0].astype(np.int64),
        edge_v=pairs[:, 1].astype(np.int64),
        controller=controller.astype(np.int64),
        nusra_share=nusra,
    )
