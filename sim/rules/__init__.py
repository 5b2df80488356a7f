"""Pluggable decision rules, each registered by name with its own parameter table.

A modeler adds a rule in a few lines:

    from sim.rules import compliance_rule
    from sim.params import Param

    @compliance_rule("linear", params={"slope": Param(1.0, "1", "Slope", lo=0, hi=10)})
    def linear(p, pressure, cost, monitoring, aims):
        return np.clip(0.5 + p["slope"] * (pressure + monitoring - cost - aims), 0, 1)

and selects it in a scenario with `[rules.compliance] name = "linear"`.
"""

from sim.rules import compliance as _compliance  # noqa: F401  (registers the built-in rules)
from sim.rules import leverage as _leverage  # noqa: F401
from sim.rules.registry import (
    COMPLIANCE_RULES,
    LEVERAGE_RULES,
    Rule,
    compliance_rule,
    leverage_rule,
)

__all__ = ["COMPLIANCE_RULES", "LEVERAGE_RULES", "Rule", "compliance_rule", "leverage_rule"]
