"""Cooperation structures: who presses whom, who shares what, who owns the result.

A structure is attached to each dated decision (an event) of a policy track, and a scenario can
override it per track (`tracks.<track>.structure`) to ask a counterfactual question.
"""

from __future__ import annotations

from dataclasses import dataclass

TRACKS = ("chemical", "access", "ceasefire")


@dataclass(frozen=True)
class Structure:
    name: str
    russia_presses_government: bool  # Russia spends its own leverage on Damascus
    us_presses_opposition: bool  # the US spends its own leverage on the groups it backs
    turkey_presses_opposition: bool  # Turkey as guarantor (Astana)
    joint: bool  # the co-leads share information and both own the result
    uniform_obligations: bool  # general rules bind every party equally (UN, conventions)
    unilateral: str | None  # "us" or "russia": one power acts alone
    description: str

    @property
    def us_engaged(self) -> bool:
        """Does the US bring its own means (the destruction ship, strikes, airdrops)?"""
        return self.name in ("bilateral", "unilateral_us")

    @property
    def engaged(self) -> bool:
        """Does the structure set any diplomatic mechanism in motion at all?"""
        return self.name != "none"


STRUCTURES: dict[str, Structure] = {
    s.name: s
    for s in (
        Structure(
            "bilateral",
            True,
            True,
            False,
            True,
            False,
            None,
            "US and Russia co-lead: each presses its own clients, they share information",
        ),
        Structure(
            "multilateral",
            False,
            False,
            False,
            False,
            True,
            None,
            "Uniform rules binding every party; the UN alone; thin monitoring",
        ),
        Structure(
            "unilateral_us",
            False,
            True,
            False,
            False,
            False,
            "us",
            "The US acts alone: strikes, forced access, pressure on its own clients only",
        ),
        Structure(
            "unilateral_russia",
            True,
            False,
            False,
            False,
            False,
            "russia",
            "Russia acts alone, pressing Damascus; the US's help with the opposition is lost",
        ),
        Structure(
            "trilateral",
            True,
            False,
            True,
            True,
            False,
            None,
            "Astana format: Russia, Turkey and Iran as guarantors",
        ),
        Structure(
            "none",
            False,
            False,
            False,
            False,
            False,
            None,
            "No diplomatic mechanism at all (a floor for comparisons)",
        ),
    )
}
