"""The decisions and exogenous shocks a scenario's timeline may date.

Only inputs live here: an agreement launched with its structure, a task force created, a mission
authorised, an intervention begun, a strike ordered. Outcomes (collapses, access levels, removal
pace, control, violence, trust) are never events: they come out of the mechanisms.

Each event type is declared by the part of the model that handles it (`handles` in a track, the
UN or the conflict layer) and collected by sim.plugins; this module only adds the fields every
event has.
"""

from __future__ import annotations

from sim.params import Param as P
from sim.plugins import EVENT_LABELS, EVENT_TYPES

COMMON_FIELDS = {
    "id": P("", "", "Unique name of the event (a counterfactual file patches an event by id)"),
    "date": P("", "date", "Date of the decision (TOML date, within the scenario's horizon)"),
    # a live view: event types registered later (a new track) are allowed too
    "type": P("", "", "Kind of decision or shock", choices=EVENT_TYPES.keys()),
    "note": P("", "", "Free text: what happened, with a source"),
    "drop": P(False, "flag", "Remove this event inherited from the extended scenario"),
}

__all__ = ["COMMON_FIELDS", "EVENT_LABELS", "EVENT_TYPES"]
