"""Registries of named rules with their parameter tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sim.params import Param


@dataclass(frozen=True)
class Rule:
    name: str
    func: Callable
    params: dict[str, Param]
    doc: str

    def defaults(self) -> dict:
        return {k: p.default for k, p in self.params.items()}


COMPLIANCE_RULES: dict[str, Rule] = {}
LEVERAGE_RULES: dict[str, Rule] = {}


def _registrar(registry: dict[str, Rule]):
    def register(name: str, params: dict[str, Param]):
        def wrap(func: Callable) -> Callable:
            registry[name] = Rule(name, func, params, (func.__doc__ or "").strip().split("\n")[0])
            return func

        return wrap

    return register


compliance_rule = _registrar(COMPLIANCE_RULES)
leverage_rule = _registrar(LEVERAGE_RULES)
