"""Scenario files: loading, inheritance (`extends`), `--set` overrides and validation.

A scenario is a TOML file. Whatever the user writes is checked against the parameter table
(sim/params.py), the rule registries (sim/rules) and the event types (sim/events.py); every error
is one line naming the file, the key and what is allowed. The result is a `Scenario`: fully
resolved (every default filled in), immutable, with a content hash for provenance.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError, did_you_mean
from sim.events import COMMON_FIELDS, EVENT_TYPES
from sim.params import ACTORS, MECHANISMS, NETWORK, TRACK_STRUCTURE, Param
from sim.policies import identified, merge_by_id, parse_policies
from sim.rules import COMPLIANCE_RULES, LEVERAGE_RULES
from sim.structures import TRACKS

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
TOP_KEYS = (
    "name",
    "description",
    "extends",
    "start",
    "end",
    "seed",
    "network",
    "actors",
    "rules",
    "params",
    "tracks",
    "events",
    "policies",
)
TRACK_KEYS = {"structure": TRACK_STRUCTURE}


def _suggest(key: str, allowed) -> str:
    hint = did_you_mean(key, list(allowed))
    return f"unknown key{hint}; allowed: {', '.join(sorted(allowed))}"


@dataclass(frozen=True)
class Scenario:
    data: dict
    path: Path | None = None
    sources: tuple[Path, ...] = field(default=())  # every file read, the extended ones included

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def description(self) -> str:
        return self.data["description"]

    @property
    def start(self) -> dt.date:
        return self.data["start"]

    @property
    def end(self) -> dt.date:
        return self.data["end"]

    @property
    def n_steps(self) -> int:
        return (self.end - self.start).days // 7 + 1

    @property
    def hash(self) -> str:
        text = json.dumps(self.data, sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def get(self, dotted: str) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            node = node[part]
        return node

    def with_overrides(self, overrides: dict[str, Any] | list[str]) -> Scenario:
        """A new validated scenario with dotted keys set (values or 'key=value' strings)."""
        raw = copy.deepcopy(self.data)
        raw = _apply_overrides(raw, overrides, str(self.path or self.name))
        return _resolve(raw, self.path, self.sources)

    def with_event_patches(self, patches: dict[str, dict]) -> Scenario:
        """A new validated scenario whose dated decisions are patched: `{selector: {field:
        value}}`, the selector an event id or `type:TYPE` (every event of that type). This is how
        a counterfactual changes how a decision was taken (e.g. zones on a ceasefire)."""
        raw = copy.deepcopy(self.data)
        # a policy's decision is patched like a dated one (by the policy's id or its type)
        decisions = [*raw["events"], *({**p["then"], "id": p["id"]} for p in raw["policies"])]
        for selector, fields in patches.items():
            if selector.startswith("type:"):
                hits = [e for e in raw["events"] if e["type"] == selector[5:]]
                hits += [p["then"] for p in raw["policies"] if p["then"]["type"] == selector[5:]]
            else:
                hits = [e for e in raw["events"] if e["id"] == selector]
                hits += [p["then"] for p in raw["policies"] if p["id"] == selector]
            if not hits:
                ids = ", ".join(sorted(e["id"] for e in decisions))
                raise ScenarioError(
                    f"no event matches {selector!r}; event ids: {ids}",
                    file=str(self.path or self.name),
                    key=f"events.{selector}",
                )
            for event in hits:
                event.update(fields)
        return _resolve(raw, self.path, self.sources)

    def ending(self, end: dt.date) -> Scenario:
        """The same scenario stopped at `end` (decisions dated later dropped). Runs are causal,
        so the weeks kept are unchanged: a cheaper run when only an earlier window is read."""
        if end >= self.end:
            return self
        return self.window(self.start, end)

    def window(self, start: dt.date, end: dt.date) -> Scenario:
        """The scenario run from `start` to `end` only: decisions dated outside are dropped, so a
        later start begins from the initial map without the earlier decisions (a short run that
        still exercises one track's decisions, as the golden trajectories do)."""
        raw = copy.deepcopy(self.data)
        raw["start"] = start
        raw["end"] = max(end, start + dt.timedelta(days=7))
        raw["events"] = [e for e in raw["events"] if start <= e["date"] <= raw["end"]]
        return _resolve(raw, self.path, self.sources)

    def flat_params(self) -> dict[str, Any]:
        """Every resolved scalar setting as {dotted.key: value} (events excluded)."""
        flat: dict[str, Any] = {}

        def walk(prefix: str, node: Any) -> None:
            if isinstance(node, dict):
                for k in sorted(node):
                    walk(f"{prefix}.{k}" if prefix else k, node[k])
            else:
                flat[prefix] = node.isoformat() if isinstance(node, dt.date) else node

        for key in ("start", "end", "network", "actors", "rules", "params", "tracks"):
            walk(key, self.data[key])
        return flat

    def events(self) -> list[dict]:
        """Events in date order, each with its effective structure (track overrides applied)."""
        return sorted(
            (self.effective(ev) for ev in self.data["events"]), key=lambda e: (e["date"], e["id"])
        )

    def effective(self, ev: dict) -> dict:
        """A decision with its effective structure (a track's fixed structure overrides it)."""
        ev = dict(ev)
        track = EVENT_TYPES[ev["type"]][0]
        if "structure" in ev and track and self.data["tracks"][track]["structure"] != "timeline":
            ev["structure"] = self.data["tracks"][track]["structure"]
        return ev


def load_scenario(path: str | Path, overrides: list[str] | dict | None = None) -> Scenario:
    """Load, inherit, override and validate a scenario file. Raises ScenarioError."""
    path = _locate(path)
    raw, sources = _read_with_extends(path, ())
    if overrides:
        raw = _apply_overrides(raw, overrides, str(path))
    return _resolve(raw, path, sources)


def scenario_from_dict(raw: dict, name: str = "<dict>") -> Scenario:
    """A scenario from a dict (as a TOML file would hold), validated the same way."""
    raw = copy.deepcopy(raw)
    raw.setdefault("name", name)
    return _resolve(raw, None, ())


def shipped_scenarios() -> list[Path]:
    return sorted(SCENARIO_DIR.glob("*.toml"))


def _locate(path: str | Path) -> Path:
    p = Path(path)
    if p.is_file():
        return p.resolve()
    shipped = SCENARIO_DIR / (p.name if p.suffix == ".toml" else f"{p.name}.toml")
    if not p.parent.parts and shipped.is_file():  # a bare name: look among the shipped scenarios
        return shipped
    names = ", ".join(s.stem for s in shipped_scenarios())
    raise ScenarioError(f"no such scenario file; shipped scenarios: {names}", file=str(path))


def _read_toml(path: Path) -> dict:
    from sim.io_safety import read_text

    text = read_text(path)  # UTF-8 or one line naming the byte offset
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"malformed TOML: {exc}", file=str(path)) from None


def _read_with_extends(path: Path, chain: tuple[Path, ...]) -> tuple[dict, tuple[Path, ...]]:
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise ScenarioError(f"'extends' cycle: {cycle}", file=str(chain[-1]), key="extends")
    raw = _read_toml(path)
    for key in raw:
        if key not in TOP_KEYS:
            raise ScenarioError(_suggest(key, TOP_KEYS), file=str(path), key=key)
    parent_name = raw.pop("extends", None)
    if parent_name is None:
        raw = _tag_events(raw, path)
        return raw, (path,)
    if not isinstance(parent_name, str):
        raise ScenarioError("must be a file name (string)", file=str(path), key="extends")
    parent_path = (path.parent / parent_name).resolve()
    if not parent_path.is_file():
        raise ScenarioError(
            f"extended file not found: {parent_path}", file=str(path), key="extends"
        )
    parent, sources = _read_with_extends(parent_path, (*chain, path))
    return _merge(parent, _tag_events(raw, path), path), (*sources, path)


def _tag_events(raw: dict, path: Path) -> dict:
    events = raw.get("events", [])
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise ScenarioError("must be an array of tables ([[events]])", file=str(path), key="events")
    for i, ev in enumerate(events):
        ev["_file"] = str(path)
        if "id" not in ev:
            raise ScenarioError("every event needs an 'id'", file=str(path), key=f"events[{i}]")
    policies = raw.get("policies", [])
    if isinstance(policies, list):
        for pol in policies:
            if isinstance(pol, dict):
                pol["_file"] = str(path)
    return raw


def _merge(parent: dict, child: dict, path: Path) -> dict:
    out = copy.deepcopy(parent)
    for key, value in child.items():
        if key == "events":
            out["events"] = _merge_events(out.get("events", []), value)
        elif key == "policies" and isinstance(value, list):
            out["policies"] = merge_by_id(out.get("policies", []), value)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, path)
        else:
            out[key] = value
    # A new compliance/leverage rule does not inherit the parent rule's parameters.
    for kind in ("compliance", "leverage"):
        child_rule = child.get("rules", {}).get(kind, {})
        if "name" in child_rule and "params" not in child_rule:
            parent_rule = parent.get("rules", {}).get(kind, {})
            if parent_rule.get("name") != child_rule["name"]:
                out["rules"][kind].pop("params", None)
    return out


def _merge_events(parent: list[dict], child: list[dict]) -> list[dict]:
    return [e for e in merge_by_id(parent, child) if not e.get("drop", False)]


def parse_value(text: str) -> Any:
    """A ``--set`` value: a TOML literal (number, boolean, quoted string) or else a bare string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text  # a bare word is a string


def _apply_overrides(raw: dict, overrides, source: str) -> dict:
    items = (
        list(overrides.items())
        if isinstance(overrides, dict)
        else [split_set(o) for o in overrides]
    )
    # A rule switched by name starts from its own defaults: apply names first, then parameters.
    items.sort(key=lambda kv: not _is_rule_name(kv[0]))
    for dotted, value in items:
        parts = dotted.split(".")
        if parts[0] == "events":
            raise ScenarioError(
                "events cannot be set with --set; patch them by id in a scenario file",
                file="--set",
                key=dotted,
            )
        if parts[0] not in TOP_KEYS:
            raise ScenarioError(_suggest(parts[0], TOP_KEYS), file="--set", key=dotted)
        node = raw
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ScenarioError("not a table", file="--set", key=dotted)
        if _is_rule_name(dotted) and node.get("name") != value:
            node.pop("params", None)
        node[parts[-1]] = (
            parse_value(value)
            if isinstance(value, str) and not isinstance(overrides, dict)
            else value
        )
    return raw


def _is_rule_name(dotted: str) -> bool:
    return dotted in ("rules.compliance.name", "rules.leverage.name")


def split_set(item: str) -> tuple[str, str]:
    """KEY=VALUE (a ``--set`` item) as (key, value text)."""
    if "=" not in item:
        raise ScenarioError(
            "expected KEY=VALUE, e.g. tracks.access.structure=none", file="--set", key=item
        )
    key, value = item.split("=", 1)
    return key.strip(), value.strip()


# -- validation ---------------------------------------------------------------------------------


def _check(value: Any, param: Param, file: str, key: str) -> Any:
    kind = param.kind
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if kind is bool and not isinstance(value, bool) or kind is not bool and isinstance(value, bool):
        raise ScenarioError(f"expected {param.allowed()}, got {value!r}", file=file, key=key)
    if not isinstance(value, kind):
        raise ScenarioError(f"expected {param.allowed()}, got {value!r}", file=file, key=key)
    if param.choices and value not in param.choices:
        hint = did_you_mean(str(value), [str(c) for c in param.choices])
        raise ScenarioError(
            f"{value!r} is not allowed{hint}; expected {param.allowed()}", file=file, key=key
        )
    if kind in (int, float) and (
        value != value
        or (param.lo is not None and value < param.lo)
        or (param.hi is not None and value > param.hi)
    ):
        raise ScenarioError(
            f"out of range: {value!r}; expected {param.allowed()}", file=file, key=key
        )
    return value


def _table(raw: Any, spec: dict[str, Param], file: str, key: str) -> dict:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ScenarioError("must be a table", file=file, key=key)
    out = {}
    for k, v in raw.items():
        if k not in spec:
            raise ScenarioError(_suggest(k, spec), file=file, key=f"{key}.{k}")
        out[k] = _check(v, spec[k], file, f"{key}.{k}")
    for k, p in spec.items():
        out.setdefault(k, p.default)
    return out


def _rule(raw: Any, registry: dict, default: str, file: str, key: str) -> dict:
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ScenarioError("must be a table", file=file, key=key)
    for k in raw:
        if k not in ("name", "params"):
            raise ScenarioError(_suggest(k, ("name", "params")), file=file, key=f"{key}.{k}")
    name = raw.get("name", default)
    if name not in registry:
        hint = did_you_mean(str(name), list(registry))
        raise ScenarioError(
            f"unknown rule {name!r}{hint}; registered: {', '.join(registry)}",
            file=file,
            key=f"{key}.name",
        )
    return {
        "name": name,
        "params": _table(raw.get("params"), registry[name].params, file, f"{key}.params"),
    }


def _date(value: Any, file: str, key: str) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = dt.date.fromisoformat(value)
    if not isinstance(value, dt.date):
        raise ScenarioError(f"expected a date like 2016-02-27, got {value!r}", file=file, key=key)
    return value


def _tables(raw: dict, key: str, specs: dict, file: str) -> dict:
    """A section of named tables (`params`, `tracks`): unknown names refused, each table checked."""
    section = raw.get(key) or {}
    if not isinstance(section, dict):
        raise ScenarioError("must be a table", file=file, key=key)
    for k in section:
        if k not in specs:
            raise ScenarioError(_suggest(k, specs), file=file, key=f"{key}.{k}")
    return {g: _table(section.get(g), spec, file, f"{key}.{g}") for g, spec in specs.items()}


def _resolve(raw: dict, path: Path | None, sources: tuple[Path, ...]) -> Scenario:
    file = str(path) if path else "<scenario>"
    for key in raw:
        if key not in TOP_KEYS:
            raise ScenarioError(_suggest(key, TOP_KEYS), file=file, key=key)
    data: dict[str, Any] = {}
    for key in ("name", "description"):
        value = raw.get(key, path.stem if key == "name" and path else "")
        if not isinstance(value, str):
            raise ScenarioError("expected a string", file=file, key=key)
        data[key] = value
    if "start" not in raw or "end" not in raw:
        raise ScenarioError(
            "a scenario needs 'start' and 'end' dates",
            file=file,
            key="start" if "start" not in raw else "end",
        )
    data["start"] = _date(raw["start"], file, "start")
    data["end"] = _date(raw["end"], file, "end")
    if data["end"] <= data["start"]:
        raise ScenarioError(f"must be after start ({data['start']})", file=file, key="end")
    data["seed"] = _check(raw.get("seed", 1), Param(1, "", "", lo=0, hi=2**63 - 1), file, "seed")
    data["network"] = _table(raw.get("network"), NETWORK, file, "network")
    data["actors"] = _table(raw.get("actors"), ACTORS, file, "actors")
    rules = raw.get("rules") or {}
    if not isinstance(rules, dict):
        raise ScenarioError("must be a table", file=file, key="rules")
    for k in rules:
        if k not in ("compliance", "leverage"):
            raise ScenarioError(
                _suggest(k, ("compliance", "leverage")), file=file, key=f"rules.{k}"
            )
    data["rules"] = {
        "compliance": _rule(
            rules.get("compliance"), COMPLIANCE_RULES, "logistic", file, "rules.compliance"
        ),
        "leverage": _rule(rules.get("leverage"), LEVERAGE_RULES, "stock", file, "rules.leverage"),
    }
    data["params"] = _tables(raw, "params", MECHANISMS, file)
    data["tracks"] = _tables(raw, "tracks", {t: TRACK_KEYS for t in TRACKS}, file)
    data["events"] = _events(raw.get("events", []), data, file)
    names = _area_names() if data["network"]["source"] == "syria" else None
    data["policies"] = parse_policies(raw.get("policies"), data, file, _check, _event, _date, names)
    return Scenario(data=data, path=path, sources=sources)


@functools.cache
def _area_names() -> list[str]:
    from sim.territory import load_syria

    return [str(n) for n in load_syria().name]


def _event(ev: dict, file: str, key: str) -> dict:
    """One decision checked against its type's fields (a policy's `then`)."""
    ev = dict(ev)
    _check(ev.get("type"), COMMON_FIELDS["type"], file, f"{key}.type")
    _, fields = EVENT_TYPES[ev["type"]]
    spec = {**{k: p for k, p in COMMON_FIELDS.items() if k != "date"}, **fields}
    date = ev.pop("date")
    clean = _table(ev, spec, file, key)
    clean.pop("drop")
    clean["date"] = date
    return clean


def _events(raw: list, data: dict, file: str) -> list[dict]:
    if not isinstance(raw, list):
        raise ScenarioError("must be an array of tables ([[events]])", file=file, key="events")
    out = []
    for ev, efile, key in identified(raw, file, "events", "event"):
        if "type" not in ev:
            raise ScenarioError(
                f"missing 'type'; {COMMON_FIELDS['type'].allowed()}", file=efile, key=key
            )
        _check(ev["type"], COMMON_FIELDS["type"], efile, f"{key}.type")
        _, fields = EVENT_TYPES[ev["type"]]
        spec = {**{k: p for k, p in COMMON_FIELDS.items() if k != "date"}, **fields}
        date = _date(ev.pop("date", None), efile, f"{key}.date")
        if not data["start"] <= date <= data["end"]:
            raise ScenarioError(
                f"{date} is outside the horizon {data['start']} .. {data['end']}",
                file=efile,
                key=f"{key}.date",
            )
        clean = _table(ev, spec, efile, key)
        clean.pop("drop")
        clean["date"] = date
        out.append(clean)
    return sorted(out, key=lambda e: (e["date"], e["id"]))
