"""The actors, as Mesa agents. Each holds its own state; the policy tracks ask them to decide."""

from sim.agents.actors import (
    ExcludedGroup,
    Government,
    OppositionGroup,
    Patron,
    UnitedNations,
    make_opposition,
)

__all__ = [
    "ExcludedGroup",
    "Government",
    "OppositionGroup",
    "Patron",
    "UnitedNations",
    "make_opposition",
]
