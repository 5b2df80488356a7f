"""What happened, for the charts: the observed record drawn as points over the model's band.

`record_marks(column)` is the one function the charts call. Today it reads the calibration
targets (sim/data/targets.toml, through the calibration's own loader): every target that is a
single observed quantity of one chart column (no ratio, no counterfactual) becomes a mark — a
point at the end of its window ("last", "max" at a known date) or a level across its window
("mean"; "max" = the best month somewhere in the window). When the sourced record with its
loader (sim/data/record/, issue 10) is in the tree, it is read instead, in this function only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pandas as pd


@dataclass(frozen=True)
class RecordMark:
    column: str
    start: pd.Timestamp
    end: pd.Timestamp
    value: float
    kind: str  # "point" (at end), "level" (across the window), "best" (peak within the window)
    label: str
    source: str


@lru_cache(maxsize=1)
def _marks() -> tuple[RecordMark, ...]:
    from sim.calibration.targets import load_targets

    out = []
    for t in load_targets():
        if len(t.quantities) != 1 or t.expr.strip() != t.quantities[0].name:
            continue  # a ratio or a difference: not a level that can be drawn on an axis
        q = t.quantities[0]
        if q.variant != ((), ()) or q.table == "metrics" or not q.start or not q.end:
            continue  # a counterfactual, or no date window
        start = pd.Timestamp(q.start)
        end = pd.Period(q.end[:7], freq="M").end_time.normalize() if len(q.end) == 7 else None
        end = end if end is not None else pd.Timestamp(q.end)
        column = "besieged_reached_frac" if q.column == "besieged_reached_frac" else q.column
        kind = {"last": "point", "max": "best", "mean": "level"}.get(q.agg)
        if kind is None:
            continue
        if kind == "point" or (kind == "best" and start == end):
            start = end
        label = t.observed_note or t.description
        out.append(RecordMark(column, start, end, float(t.observed), kind, label, t.source))
    return tuple(out)


def record_marks(column: str) -> list[RecordMark]:
    """The record's marks for one chart column (may be empty)."""
    return [m for m in _marks() if m.column == column]
