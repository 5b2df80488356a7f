"""What a comparison compares: the variants of `syriasim compare`, each a design point.

Three ways to name them, all run on the same seeds:

- **whole track** (``--track T --structures A,B``): ``tracks.T.structure`` set for the whole
  period, every dated decision of the track taken under that structure; ``timeline`` keeps
  each decision's own structure (the scenario as written);
- **one decision** (``--decision ID --structures A,B,timeline``): only the dated decision ``ID``
  is taken under each structure, the rest of the timeline unchanged (``timeline`` = as dated);
- **scenario files** (``--scenarios a.toml,b.toml``): each file is a variant.

Each variant carries a one-line description of what it changes; compare.md prints them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sim.errors import UserError
from sim.experiments import adapter

TIMELINE = "timeline"


@dataclass(frozen=True)
class ScenarioSet:
    """Several scenarios behaving as one base for the execution layer (``variant`` picks one);
    name, path and parameters are the first's, the hash and source files cover them all."""

    scenarios: tuple

    @property
    def name(self) -> str:
        return " vs ".join(s.name for s in self.scenarios)

    @property
    def path(self):
        return self.scenarios[0].path

    @property
    def sources(self) -> tuple:
        seen: dict = {}
        for s in self.scenarios:
            for p in getattr(s, "sources", ()) or ((s.path,) if s.path else ()):
                seen.setdefault(str(p), p)
        return tuple(seen.values())

    @property
    def hash(self) -> str:
        return hashlib.sha256("".join(s.hash for s in self.scenarios).encode()).hexdigest()

    def flat_params(self) -> dict:
        return self.scenarios[0].flat_params()

    def with_overrides(self, overrides):
        return adapter.apply_point(self, overrides)


@dataclass
class Variants:
    mode: str  # track | decision | scenarios
    base: object  # Scenario or ScenarioSet
    labels: list[str]
    points: list[dict]
    descriptions: dict[str, str]
    track: str | None = None
    decision: str | None = None

    def to_extra(self) -> dict:
        return {
            "mode": self.mode,
            "track": self.track,
            "decision": self.decision,
            "variants": self.labels,
            "structures": self.labels,  # the name older folders used
            "descriptions": self.descriptions,
        }


def _check_labels(labels: list[str], key: str) -> None:
    if len(set(labels)) != len(labels):
        raise UserError("a variant is listed twice", key=key)
    if len(labels) < 2:
        raise UserError("name at least two variants to compare", key=key)


def _check_structures(structures: list[str], extra: tuple = ()) -> None:
    allowed = (*adapter.structures(), *extra)
    if not structures:
        raise UserError(f"no structures given; allowed: {', '.join(allowed)}", key="--structures")
    for s in structures:
        if s not in allowed:
            raise UserError(
                f"unknown structure {s!r}; allowed: {', '.join(allowed)}", key="--structures"
            )
    _check_labels(structures, "--structures")


def _track_events(sc, track: str) -> list[dict]:
    from sim.events import EVENT_TYPES

    return [e for e in sc.data["events"] if EVENT_TYPES[e["type"]][0] == track and "structure" in e]


def track_variants(base, track: str, structures: list[str]) -> Variants:
    tracks = adapter.tracks()
    if track not in tracks:
        raise UserError(f"unknown track {track!r}; allowed: {', '.join(tracks)}", key="--track")
    _check_structures(structures, (TIMELINE,))
    key = f"tracks.{track}.structure"
    data = getattr(base, "data", None)
    events = _track_events(base, track) if data and "events" in data else []
    own = ", ".join(f"{e['id']} {e['date']}: {e['structure']}" for e in events) or "none dated"
    desc = {}
    for s in structures:
        if s == TIMELINE:
            desc[s] = f"`{key} = timeline`: each {track} decision as dated in the scenario ({own})"
        else:
            first = f" from {events[0]['date']}" if events else ""
            desc[s] = (
                f"`{key} = {s}`: every {track} decision of the whole period{first} "
                f"({len(events)} dated) taken as {s}"
            )
    return Variants("track", base, list(structures), [{key: s} for s in structures], desc, track)


def decision_variants(base, decision: str, structures: list[str], track: str | None) -> Variants:
    from sim.events import EVENT_TYPES

    events = {e["id"]: e for e in base.data["events"]}
    if decision not in events:
        raise UserError(
            f"no dated decision {decision!r}; event ids: {', '.join(sorted(events))}",
            key="--decision",
        )
    ev = events[decision]
    ev_track = EVENT_TYPES[ev["type"]][0]
    if "structure" not in ev:
        with_structure = sorted(i for i, e in events.items() if "structure" in e)
        raise UserError(
            f"decision {decision!r} ({ev['type']}) has no structure; decisions with one: "
            + ", ".join(with_structure),
            key="--decision",
        )
    if track is not None and track != ev_track:
        raise UserError(
            f"decision {decision!r} belongs to the {ev_track} track, not {track!r}", key="--track"
        )
    whole = base.data["tracks"][ev_track]["structure"]
    if whole != TIMELINE:
        raise UserError(
            f"the scenario sets tracks.{ev_track}.structure = {whole!r} for the whole period, "
            f"which overrides decision {decision!r}; use --set tracks.{ev_track}.structure=timeline",
            key="--decision",
        )
    _check_structures(structures, (TIMELINE,))
    what = f"decision `{decision}` ({ev['date']}, {ev['type']})"
    desc, points = {}, []
    for s in structures:
        if s == TIMELINE:
            points.append({})
            desc[s] = f"{what} as dated in the scenario ({ev['structure']}); nothing changed"
        else:
            points.append({f"events.{decision}.structure": s})
            desc[s] = f"{what} taken as {s}; every other decision as in the timeline"
    return Variants("decision", base, list(structures), points, desc, ev_track, decision)


def _diff(a, b) -> str:
    """What scenario ``b`` changes relative to ``a``: parameters and dated decisions."""
    fa, fb = a.flat_params(), b.flat_params()
    changes = [
        f"{k} {fa.get(k)!r} -> {fb.get(k)!r}"
        for k in sorted(set(fa) | set(fb))
        if fa.get(k) != fb.get(k)
    ]
    ea = {e["id"]: e for e in a.data["events"]}
    eb = {e["id"]: e for e in b.data["events"]}
    for i in sorted(set(ea) | set(eb)):
        if i not in eb:
            changes.append(f"decision {i} removed")
        elif i not in ea:
            changes.append(f"decision {i} added ({eb[i]['date']}, {eb[i]['type']})")
        elif ea[i] != eb[i]:
            fields = sorted(k for k in set(ea[i]) | set(eb[i]) if ea[i].get(k) != eb[i].get(k))
            changes.append(
                f"decision {i}: "
                + ", ".join(f"{f} {ea[i].get(f)!r} -> {eb[i].get(f)!r}" for f in fields)
            )
    return "; ".join(changes) if changes else "identical settings and decisions"


def scenario_variants(paths: list[str], overrides=()) -> Variants:
    if len(paths) < 2:
        raise UserError("name at least two scenario files to compare", key="--scenarios")
    scenarios = [adapter.load_scenario(p, list(overrides)) for p in paths]
    labels: list[str] = []
    for sc in scenarios:
        label, k = sc.name, 2
        while label in labels:  # two files with one name: keep both, distinguishable
            label, k = f"{sc.name}#{k}", k + 1
        labels.append(label)
    first = scenarios[0]
    desc = {labels[0]: f"`{paths[0]}` as written (the reference for the changes listed)"}
    for label, path, sc in zip(labels[1:], paths[1:], scenarios[1:], strict=True):
        desc[label] = f"`{path}`: {_diff(first, sc)}"
    points = [{adapter.VARIANT_KEY: i} for i in range(len(scenarios))]
    return Variants("scenarios", ScenarioSet(tuple(scenarios)), labels, points, desc)


def check_runnable(v: Variants) -> None:
    """Build every variant's scenario once, so a bad structure is refused before any run."""
    for label, point in zip(v.labels, v.points, strict=True):
        try:
            adapter.apply_point(v.base, point) if point else v.base
        except UserError as exc:
            raise UserError(f"variant {label!r}: {exc.detail}", key=exc.key) from None
