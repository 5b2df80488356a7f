"""Cooperation structures: who presses whom, who shares what, who owns the result.

A structure is attached to each dated decision (an event) of a policy track, and a scenario can
override it per track (`tracks.<track>.structure`) to ask a counterfactual question. Structures
are plain data: a track reads their fields, never their names.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.params import Param
from sim.plugins import TRACKS  # noqa: F401  (the policy tracks, by name, in phase order)


@dataclass(frozen=True, kw_only=True)
class Structure:
    name: str
    engaged: bool  # the structure sets a diplomatic mechanism in motion at all
    russia_presses_government: bool  # Russia spends its own leverage on Damascus
    us_presses_opposition: bool  # the US spends its own leverage on the groups it backs
    turkey_presses_opposition: bool  # Turkey as guarantor (Astana)
    joint: bool  # the co-leads share information and both own the result
    uniform_obligations: bool  # general rules bind every party equally (UN, conventions)
    us_engaged: bool  # the US brings its own means (the destruction ship, strikes, airdrops)
    unilateral: str | None  # "us" or "russia": one power acts alone
    description: str


_NOTHING = dict(
    engaged=True,
    russia_presses_government=False,
    us_presses_opposition=False,
    turkey_presses_opposition=False,
    joint=False,
    uniform_obligations=False,
    us_engaged=False,
    unilateral=None,
)

STRUCTURES: dict[str, Structure] = {
    s.name: s
    for s in (
        Structure(
            **_NOTHING
            | dict(
                russia_presses_government=True,
                us_presses_opposition=True,
                joint=True,
                us_engaged=True,
            ),
            name="bilateral",
            description="US and Russia co-lead: each presses its own clients, they share information",
        ),
        Structure(
            **_NOTHING | dict(uniform_obligations=True),
            name="multilateral",
            description="Uniform rules binding every party; the UN alone; thin monitoring",
        ),
        Structure(
            **_NOTHING | dict(us_presses_opposition=True, us_engaged=True, unilateral="us"),
            name="unilateral_us",
            description="The US acts alone: strikes, forced access, pressure on its own clients only",
        ),
        Structure(
            **_NOTHING | dict(russia_presses_government=True, unilateral="russia"),
            name="unilateral_russia",
            description="Russia acts alone, pressing Damascus; the US's help with the opposition is lost",
        ),
        Structure(
            **_NOTHING
            | dict(russia_presses_government=True, turkey_presses_opposition=True, joint=True),
            name="trilateral",
            description="Astana format: Russia, Turkey and Iran as guarantors",
        ),
        Structure(
            **_NOTHING | dict(engaged=False),
            name="none",
            description="No diplomatic mechanism at all (a floor for comparisons)",
        ),
    )
}

# The structure field of a track's decision (an event).
STRUCTURE = Param(
    "bilateral", "", "Cooperation structure of this decision", choices=tuple(STRUCTURES)
)
