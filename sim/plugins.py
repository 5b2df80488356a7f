"""The registry of the model's parts that a scenario's timeline reaches: the policy tracks
(sim/tracks/) and the other parts that handle dated events (the UN, the conflict layer).

A part declares `handles = {event_type: Handler(method, label, fields)}`; a track also declares
its parameters, random stream and weekly columns (sim/tracks/base.py). Everything that lists the
tracks or the event types (scenario validation, the model's dispatch and streams, the weekly
columns, the docs, the app's and experiments' lists) reads these tables, so a new track is
registered once:

    from sim.plugins import register_track
    register_track(MyTrack)     # after the built-in tracks, in phase order

The built-in parts are registered on first use, in a fixed order (sim/tracks/__init__.py holds
the tracks' order, which is their order within each phase of the week).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Handler:
    """How a part takes a dated event: the method called with the event (a dict), a short label
    for charts, the event's own fields ({name: Param}) and the policy track the decision belongs
    to (filled in for a track's own events; None for an exogenous shock)."""

    method: str
    label: str
    fields: dict[str, Any] = field(default_factory=dict)
    track: str | None = None


class _Table(Mapping):
    """A read-only view of one registry table that registers the built-in parts on first use."""

    def __init__(self) -> None:
        self._data: dict = {}

    def __getitem__(self, key):
        _builtins()
        return self._data[key]

    def __iter__(self) -> Iterator:
        _builtins()
        return iter(self._data)

    def __len__(self) -> int:
        _builtins()
        return len(self._data)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)})"


TRACKS = _Table()  # name -> Track class, in phase order
PARTS = _Table()  # part name -> class (tracks included), the parts a model builds
EVENT_TYPES = _Table()  # event type -> (track it belongs to or None, {field: Param})
EVENT_LABELS = _Table()  # event type -> short label
HANDLERS = _Table()  # event type -> (part name, method name)
_loaded = False


def register_part(cls: type, track: str | None = None) -> type:
    """Register a part's event handlers (`cls.part` names it, `cls.handles` lists them)."""
    name = cls.part
    for kind, h in cls.handles.items():
        owner = HANDLERS._data.get(kind)
        if owner and owner[0] != name:
            raise ValueError(f"event type {kind!r} is already handled by {owner[0]!r}")
        if not callable(getattr(cls, h.method, None)):
            raise ValueError(f"{cls.__name__} has no method {h.method!r} for {kind!r}")
        HANDLERS._data[kind] = (name, h.method)
        EVENT_TYPES._data[kind] = (h.track or track, h.fields)
        EVENT_LABELS._data[kind] = h.label
    PARTS._data[name] = cls
    return cls


def register_track(cls: type) -> type:
    """Register a policy track: after the tracks already registered in each phase."""
    from sim.params import MECHANISMS

    _builtins()
    MECHANISMS.setdefault(cls.name, cls.params)
    TRACKS._data[cls.name] = cls
    return register_part(cls, track=cls.name)


def unregister(cls: type) -> None:
    """Remove a part registered by `register_part` / `register_track` (used by tests)."""
    from sim.params import MECHANISMS

    name = cls.part
    for kind in [k for k, (owner, _) in HANDLERS._data.items() if owner == name]:
        for table in (HANDLERS, EVENT_TYPES, EVENT_LABELS):
            del table._data[kind]
    PARTS._data.pop(name, None)
    if TRACKS._data.pop(name, None) is not None and MECHANISMS.get(name) is cls.params:
        del MECHANISMS[name]


def _builtins() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    from sim.agents import UnitedNations
    from sim.conflict import Conflict
    from sim.tracks import BUILTIN_TRACKS

    for cls in BUILTIN_TRACKS:
        register_track(cls)
    register_part(UnitedNations)
    register_part(Conflict)
