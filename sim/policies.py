"""Conditional decisions: a policy with a trigger on model state, a window of dates and a decision.

Some decisions answered outcomes: UNSMIS withdrew because observers were under fire, the US
suspended the bilateral channel after the September 2016 arrangement failed, Shayrat answered Khan
Shaykhun, airdrops went to Deir ez-Zor because ISIL besieged it, Astana followed the fall of
eastern Aleppo. A scenario states them as policies, so a counterfactual run in which the trigger
never happens never gets the decision::

    [[policies]]
    id = "shayrat"
    from = 2017-01-20                 # window of dates in which the trigger is watched
    until = 2017-12-31                # optional (default: the end of the run)
    when = "chemical_attack"          # a trigger of TRIGGERS
    count = 1                         # the trigger's own settings
    then = { type = "us_strike", strikes = 1 }   # the decision: any event type with its fields
    note = "59 cruise missiles on Shayrat after Khan Shaykhun"

Triggers are read after the week's outcomes; a policy fires at most once (``repeat = true``: once
per week the trigger holds) and its decision enters the timeline at the start of the next week,
through the same event dispatch as a dated decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sim.errors import ScenarioError, did_you_mean
from sim.params import Param as P
from sim.territory import BESIEGED, GOV, ISIL, KURD, OPP

CONTROLLERS = {"government": GOV, "opposition": OPP, "isil": ISIL, "kurdish": KURD}
AREA = P("", "", "Name of an area of the shipped network (empty: any area)")


@dataclass(frozen=True)
class Trigger:
    doc: str
    params: dict[str, P]
    holds: Callable[[Any, dict], bool]


def _area_mask(model, name: str):
    t = model.territory
    if not name:
        return slice(None)
    return [i for i, n in enumerate(t.name) if n == name]


def _besieged(model, p) -> bool:
    t = model.territory
    idx = _area_mask(model, p["area"])
    by = CONTROLLERS[p["by"]]
    return bool(((t.status[idx] == BESIEGED) & (t.besieger[idx] == by)).any())


def _taken(model, p) -> bool:
    t = model.territory
    idx = _area_mask(model, p["area"])
    return bool((t.controller[idx] == CONTROLLERS[p["by"]]).all())


def _collapsed(model, p) -> bool:
    cf = model.tracks["ceasefire"]
    return cf.collapsed_week == model.steps


TRIGGERS: dict[str, Trigger] = {
    "chemical_attack": Trigger(
        "at least `count` chemical attacks this week",
        {"count": P(1, "attacks", "Attacks in one week that trigger the decision", lo=1, hi=1000)},
        lambda m, p: m.tracks["chemical"].attacks >= p["count"],
    ),
    "observers_at_risk": Trigger(
        "UN observers are deployed and their accumulated risk has reached `level`",
        {
            "level": P(
                0.5, "share", "Accumulated risk to observers (1 = withdrawal)", lo=0.0, hi=1.0
            )
        },
        lambda m, p: m.un.observers > 0 and m.un.observer_risk >= p["level"],
    ),
    "ceasefire_collapsed": Trigger(
        "the ceasefire in force collapsed this week (violence back near its pre-ceasefire level)",
        {},
        _collapsed,
    ),
    "area_besieged": Trigger(
        "the area (or any area) is besieged by `by`",
        {"area": AREA, "by": P("isil", "", "Besieger", choices=tuple(CONTROLLERS))},
        _besieged,
    ),
    "area_taken": Trigger(
        "the area is held by `by`",
        {"area": AREA, "by": P("government", "", "Controller", choices=tuple(CONTROLLERS))},
        _taken,
    ),
}

POLICY_FIELDS = {
    "id": P("", "", "Unique name of the policy (a counterfactual file patches or drops it by id)"),
    "from": P("", "date", "First date on which the trigger is watched"),
    "until": P("", "date", "Last date on which the trigger is watched (default: the end)"),
    "when": P("", "", "Trigger on model state", choices=tuple(TRIGGERS)),
    "then": P("", "", "The decision: an event table {type = ..., fields}"),
    "repeat": P(False, "flag", "Fire every week the trigger holds (default: once)"),
    "note": P("", "", "Free text: what happened, with a source"),
    "drop": P(False, "flag", "Remove this policy inherited from the extended scenario"),
}


def parse_policies(
    raw: Any, data: dict, file: str, check, check_event, check_date, area_names
) -> list[dict]:
    """Validate ``[[policies]]``; every mistake is one ScenarioError naming the file, the key
    and what is allowed. ``check``, ``check_event`` and ``check_date`` are the scenario's own
    checkers of a value, a decision and a date."""
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(p, dict) for p in raw):
        raise ScenarioError("must be an array of tables ([[policies]])", file=file, key="policies")
    out = []
    for pol, pfile, key in identified(raw, file, "policies", "policy"):
        pol = {**pol.pop("settings", {}), **pol}  # an already validated policy reads back
        if pol.pop("drop", False):
            continue
        when = check(pol.get("when", ""), POLICY_FIELDS["when"], pfile, f"{key}.when")
        spec = TRIGGERS[when].params
        allowed = set(POLICY_FIELDS) | set(spec)
        for k in pol:
            if k not in allowed:
                hint = did_you_mean(k, list(allowed))
                raise ScenarioError(
                    f"unknown key{hint}; allowed for trigger {when!r}: {', '.join(sorted(allowed))}",
                    file=pfile,
                    key=f"{key}.{k}",
                )
        start = check_date(pol.get("from"), pfile, f"{key}.from")
        end = check_date(pol.get("until", data["end"]), pfile, f"{key}.until")
        if end < start:
            raise ScenarioError(
                f"must not be before from ({start})", file=pfile, key=f"{key}.until"
            )
        settings = {
            k: check(pol.get(k, p.default), p, pfile, f"{key}.{k}") for k, p in spec.items()
        }
        if "area" in settings and settings["area"]:
            if area_names is None:
                raise ScenarioError(
                    "a named area needs network.source = 'syria'", file=pfile, key=f"{key}.area"
                )
            names = P("", "", "an area of sim/data/areas.csv", choices=tuple(area_names))
            check(settings["area"], names, pfile, f"{key}.area")
        then = pol.get("then")
        if not isinstance(then, dict) or "type" not in then:
            raise ScenarioError(
                'must be an event table, e.g. { type = "us_strike", strikes = 1 }',
                file=pfile,
                key=f"{key}.then",
            )
        decision = check_event({**then, "id": pol["id"], "date": start}, pfile, f"{key}.then")
        out.append(
            {
                "id": pol["id"],
                "from": start,
                "until": end,
                "when": when,
                "settings": settings,
                "then": {k: v for k, v in decision.items() if k not in ("id", "date", "note")},
                "repeat": check(
                    pol.get("repeat", False), POLICY_FIELDS["repeat"], pfile, f"{key}.repeat"
                ),
                "note": str(pol.get("note", "")),
            }
        )
    return out


def identified(raw: list, file: str, section: str, noun: str):
    """(entry copy, its file, its key) for each table of an id-keyed section (``[[events]]``,
    ``[[policies]]``), refusing a missing or duplicate id."""
    seen = set()
    for i, entry in enumerate(raw):
        entry = dict(entry)
        efile = entry.pop("_file", file)
        key = f"{section}[{entry.get('id', i)}]"
        if not isinstance(entry.get("id"), str) or not entry["id"]:
            raise ScenarioError(f"every {noun} needs a non-empty string 'id'", file=efile, key=key)
        if entry["id"] in seen:
            raise ScenarioError(f"duplicate {noun} id", file=efile, key=key)
        seen.add(entry["id"])
        yield entry, efile, key


def merge_by_id(parent: list[dict], child: list[dict]) -> list[dict]:
    """Inheritance of id-keyed tables: a child's entry patches the parent's of the same id or
    is added after them (``drop`` is left for the caller)."""
    by_id = {p["id"]: dict(p) for p in parent}
    order = [p["id"] for p in parent]
    for entry in child:
        if entry.get("id") in by_id:
            by_id[entry["id"]].update(entry)
        else:
            by_id[entry.get("id")] = dict(entry)
            order.append(entry.get("id"))
    return [by_id[i] for i in order]


class Policies:
    """The scenario's policies during one run: watched after each week's outcomes."""

    def __init__(self, policies: list[dict]):
        self.policies = [dict(p) for p in policies]
        self.fired: list[dict] = []  # {"id", "date"} per firing, for the record

    def check(self, model) -> list[dict]:
        """Decisions triggered this week, dated the start of next week."""
        today, decisions = model.date, []
        for pol in self.policies:
            if not pol["from"] <= today <= pol["until"]:
                continue
            if not pol["repeat"] and any(f["id"] == pol["id"] for f in self.fired):
                continue
            if TRIGGERS[pol["when"]].holds(model, pol["settings"]):
                n = sum(f["id"] == pol["id"] for f in self.fired)
                date = today + dt.timedelta(days=7)
                self.fired.append({"id": pol["id"], "date": today.isoformat()})
                ev_id = pol["id"] if n == 0 else f"{pol['id']}#{n + 1}"
                decisions.append({**pol["then"], "id": ev_id, "date": date, "policy": pol["id"]})
        return decisions
