"""The one place where the viz layer reads the core model (docs/API.md), so the app, the
figures and the notebooks need no knowledge of the model's internals.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from sim.plugins import EVENT_LABELS  # short labels of dated decisions on time axes
from sim.viz import style
from sim.viz.figures import MapData


def new_model(scenario, seed: int):
    from sim.model import SyriaModel

    return SyriaModel(scenario, seed=int(seed))


def compliance_rule_name(scenario) -> str:
    return str(scenario.get("rules.compliance.name"))


def compliance_rule_overrides(scenario, rule: str) -> dict:
    """Overrides that switch the compliance rule, with the new rule's own default parameters.

    (Setting only `rules.compliance.name` would keep the old rule's resolved weights.)
    """
    if rule == compliance_rule_name(scenario):
        return {}
    return {"rules.compliance": {"name": rule}}


# --- time ----------------------------------------------------------------------------------------
def current_date(model) -> dt.date:
    """The calendar date of the week the model has just simulated."""
    for attr in ("date", "current_date"):
        value = getattr(model, attr, None)
        if value is not None and not callable(value):
            return _as_date(value)
    scenario = model.config
    return scenario.start + dt.timedelta(weeks=int(getattr(model, "steps", 0)))


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


def fast_forward(model, until: dt.date) -> int:
    """Step `model` until the week `until` is reached (or the model stops); returns steps taken."""
    n = 0
    while current_date(model) < until and getattr(model, "running", True):
        model.step()
        n += 1
    return n


# --- data ----------------------------------------------------------------------------------------
def timeseries(model) -> pd.DataFrame:
    """The weekly records collected so far, with a datetime `date` column."""
    dc = model.datacollector
    # the app's play thread may be collecting this week's row while the page redraws: keep the
    # weeks every column already has
    columns = {k: list(v) for k, v in dc.model_vars.items()}
    n = min((len(v) for v in columns.values()), default=0)
    df = pd.DataFrame({k: v[:n] for k, v in columns.items()})
    if df.empty:
        return df
    if "date" in df.columns:
        df["date"] = pd.to_datetime(df["date"])
    else:
        start = pd.Timestamp(model.config.start)
        df["date"] = start + pd.to_timedelta(np.arange(len(df)) * 7, unit="D")
    return df


def latest(model) -> dict:
    """This week's record as a dict (the last row collected)."""
    dc = model.datacollector
    return {k: v[-1] for k, v in dc.model_vars.items() if len(v)}


def map_data(model) -> MapData:
    """The map's view of `model.territory` plus this week's `model.week_log`."""
    t = model.territory
    n = len(np.asarray(_first(t, "lat", "latitude")))
    controller = _controllers(t, n)
    status = _first(t, "status", default=None)
    besieged = _bool_field(t, "besieged", status, "besieged", n)
    htr = _bool_field(t, "hard_to_reach", status, "hard_to_reach", n)
    names = list(_first(t, "name", "names", default=[str(i) for i in range(n)]))
    return MapData(
        lat=np.asarray(_first(t, "lat", "latitude"), float),
        lon=np.asarray(_first(t, "lon", "longitude"), float),
        controller=controller,
        population=np.asarray(_first(t, "population", "pop", default=np.ones(n)), float),
        besieged=besieged,
        hard_to_reach=htr,
        names=[str(x) for x in names],
        edges=_edges(t),
        events=week_events(model, n),
        date=current_date(model),
    )


def _first(obj, *names, default=KeyError):
    for name in names:
        value = getattr(obj, name, None)
        if value is None and isinstance(obj, dict):
            value = obj.get(name)
        if value is not None:
            return value
    if default is KeyError:
        raise AttributeError(f"territory has none of {names}")
    return default


def _controllers(t, n: int) -> list[str]:
    value = _first(t, "controller", "controllers")
    names = getattr(t, "controller_names", None) or _territory_const("CONTROLLERS")
    arr = np.asarray(value)
    if arr.dtype.kind in "iu" and names is not None:
        names = list(names)
        return [style.actor_key(names[int(i)]) for i in arr]
    return [style.actor_key(x) for x in arr]


def _bool_field(t, attr: str, status, status_value: str, n: int) -> np.ndarray:
    value = getattr(t, attr, None)
    if value is not None and not callable(value):
        return np.asarray(value, bool)
    if status is None:
        return np.zeros(n, bool)
    arr = np.asarray(status)
    if arr.dtype.kind in "iu":
        codes = list(getattr(t, "status_names", None) or _territory_const("STATUSES") or [])
        if status_value in codes:
            return arr == codes.index(status_value)
        return np.zeros(n, bool)
    return arr.astype(str) == status_value


def _territory_const(name: str):
    try:
        import sim.territory as territory
    except ImportError:
        return None
    return getattr(territory, name, None)


def _edges(t) -> list[tuple[int, int]]:
    u, v = getattr(t, "edge_u", None), getattr(t, "edge_v", None)
    if u is not None and v is not None:
        return [(int(a), int(b)) for a, b in zip(u, v, strict=True)]
    edges = getattr(t, "edges", None)
    if edges is None:
        graph = getattr(t, "graph", None)
        edges = list(graph.edges()) if graph is not None else []
    arr = np.asarray(edges)
    if arr.size == 0:
        return []
    return [(int(a), int(b)) for a, b in arr.reshape(-1, 2)]


_KIND_ALIASES = {
    "convoy": "convoy",
    "delivery": "convoy",
    "aid": "convoy",
    "convoy_delivered": "convoy",
    "convoy_blocked": "convoy_blocked",
    "blocked": "convoy_blocked",
    "airdrop": "airdrop",
    "strike": "strike",
    "us_strike": "strike",
    "collateral_strike": "strike",
    "violation": "violation",
    "ceasefire_violation": "violation",
    "chem_attack": "chem_attack",
    "chemical_attack": "chem_attack",
    "shipment": "shipment",
    "control_change": "control_change",
    "capture": "control_change",
}


def week_events(model, n: int) -> list[tuple[str, int, int | None]]:
    """This week's `week_log` entries that have a place, as (kind, area, origin) for the map.

    Convoys leave from the capital unless the entry names an origin; an entry may name one
    `area` or a list of `areas`.
    """
    out = []
    capital = getattr(model.territory, "capital", None)
    for item in getattr(model, "week_log", None) or []:
        kind = str(item.get("kind") or item.get("type") or item.get("event") or "")
        kind = _KIND_ALIASES.get(kind, kind)
        if kind == "convoy" and (item.get("success") is False or item.get("delivered") is False):
            kind = "convoy_blocked"
        areas = item.get("areas")
        if areas is None:
            one = _area_index(item, ("area", "area_id", "target", "to", "dest"))
            areas = [] if one is None else [one]
        origin = _area_index(item, ("origin", "from", "source"))
        if origin is None and kind in ("convoy", "convoy_blocked"):
            origin = capital
        for area in areas:
            area = int(area)
            if 0 <= area < n:
                out.append((kind, area, origin))
    return out


def week_summary(model) -> str:
    """This week in a few words: date, convoys, violations, strikes, attacks, decisions."""
    convoys = blocked = reached = violations = collateral = attacks = 0
    decisions = []
    for item in getattr(model, "week_log", None) or []:
        kind = item.get("kind")
        if kind == "convoy":
            if item.get("success") is False:
                blocked += 1
            else:
                convoys += 1
                reached += int(item.get("reached", 0) or 0)
        elif kind in ("violations", "violation"):
            violations += int(item.get("count", 1) or 0)
            collateral += int(item.get("collateral", 0) or 0)
        elif kind in ("chemical_attack", "chem_attack"):
            attacks += 1
        elif kind == "event":
            decisions.append(EVENT_LABELS.get(item.get("type"), str(item.get("type"))))
        elif kind == "unilateral_act":
            power = {"us": "US", "russia": "Russia"}.get(str(item.get("power")), item.get("power"))
            decisions.append(f"unilateral act by {power}")
    lines = [f"Week of {current_date(model):%d %b %Y}"]
    if convoys or blocked:
        lines.append(f"convoys: {convoys} delivered ({reached:,} people), {blocked} blocked")
    if violations:
        lines.append(f"ceasefire violations: {violations} ({collateral} collateral strikes)")
    if attacks:
        lines.append(f"chemical attacks: {attacks}")
    lines += decisions
    return "\n".join(lines)


def _area_index(item: dict, keys) -> int | None:
    for k in keys:
        v = item.get(k)
        if v is None:
            continue
        try:
            return int(v)
        except (TypeError, ValueError):
            continue
    return None


def timeline_events(scenario) -> list[tuple[dt.date, str]]:
    """Dated decisions of the scenario as (date, short label), with their structure if any."""
    out = []
    for ev in scenario.events():
        label = EVENT_LABELS.get(ev["type"], ev["type"].replace("_", " "))
        if ev.get("structure"):
            label = f"{label} ({ev['structure'].replace('_', ' ')})"
        out.append((ev["date"], label))
    return out
