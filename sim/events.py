"""The decisions and exogenous shocks a scenario's timeline may date.

Only inputs live here: an agreement launched with its structure, a task force created, a mission
authorised, an intervention begun, a strike ordered. Outcomes (collapses, access levels, removal
pace, control, violence, trust) are never events: they come out of the mechanisms.
"""

from __future__ import annotations

from sim.params import TRACK_STRUCTURE
from sim.params import Param as P
from sim.territory import GOVERNORATES

STRUCTURE = P(
    "bilateral", "", "Cooperation structure of this decision", choices=TRACK_STRUCTURE.choices[1:]
)

# type -> (track it belongs to or None, {field: Param})
EVENT_TYPES: dict[str, tuple[str | None, dict[str, P]]] = {
    "cw_framework": (
        "chemical",
        {
            "structure": STRUCTURE,
        },
    ),
    "us_strike": (
        "chemical",
        {
            "strikes": P(
                1,
                "strikes",
                "Punitive cruise-missile strikes ordered (unilateral by definition)",
                lo=1,
                hi=100,
            ),
        },
    ),
    "access_regime": (
        "access",
        {
            "structure": STRUCTURE,
        },
    ),
    "cross_border_aid": ("access", {}),
    "airdrops": ("access", {}),
    "ceasefire": (
        "ceasefire",
        {
            "structure": STRUCTURE,
            "zones": P(False, "flag", "Geographic zones define where strikes are allowed"),
            "shared_definitions": P(
                False, "flag", "The co-leads agree who is a terrorist and where"
            ),
            "information_sharing": P(
                "structure",
                "",
                "Information sharing between the co-leads",
                choices=("structure", "none", "full"),
            ),
        },
    ),
    "observers": (
        "ceasefire",
        {
            "count": P(
                300, "observers", "Unarmed UN observers deployed at hot spots", lo=1, hi=100000
            ),
        },
    ),
    "observers_end": ("ceasefire", {}),
    "channel_suspended": ("ceasefire", {}),
    "russian_intervention": (None, {}),
    "coalition_campaign": (None, {}),
    "iran_support": (None, {}),
    "turkish_operation": (
        None,
        {
            "governorate": P(
                "Aleppo",
                "",
                "Governorate where the operation backs the opposition against ISIL",
                choices=GOVERNORATES,
            ),
        },
    ),
    "isil_emerges": (None, {}),
}

COMMON_FIELDS = {
    "id": P("", "", "Unique name of the event (a counterfactual file patches an event by id)"),
    "date": P("", "date", "Date of the decision (TOML date, within the scenario's horizon)"),
    "type": P("", "", "Kind of decision or shock", choices=tuple(EVENT_TYPES)),
    "note": P("", "", "Free text: what happened, with a source"),
    "drop": P(False, "flag", "Remove this event inherited from the extended scenario"),
}
