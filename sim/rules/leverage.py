"""Leverage rules: a patron's capacity to move a client, per patron-client pair.

A leverage rule maps `(params, stock, dependence, demand)` to `(pressure, new_stock)`:
  stock       current leverage stock in [0, 1]
  dependence  how much the client needs the patron now, in [0, 1] (military situation, aid)
  demand      how hard the patron presses this week, in [0, 1] (0 = recover only)
Leverage is spent when used and recovers slowly towards a ceiling set by the client's dependence.
"""

from __future__ import annotations

import numpy as np

from sim.params import Param as P
from sim.rules.registry import leverage_rule


def _ceiling(p, dependence):
    """The most pressure a patron can apply: a floor plus a share set by the client's dependence."""
    return (1.0 - p["dependence_weight"]) + p["dependence_weight"] * dependence


@leverage_rule(
    "stock",
    params={
        "recovery": P(
            0.0418,
            "1/week",
            "Weekly recovery of the stock towards its ceiling",
            "fitted",
            0.0,
            1.0,
        ),
        "spend": P(0.0272, "1", "Stock spent per unit of pressure applied", "fitted", 0.0, 1.0),
        "dependence_weight": P(
            0.8,
            "share",
            "How much the ceiling depends on the client's dependence",
            "assumed",
            0.0,
            1.0,
        ),
    },
)
def stock(p, stock, dependence, demand):
    """Leverage as a stock: spent when used, recovers towards a dependence-set ceiling."""
    ceiling = _ceiling(p, dependence)
    stock = stock + p["recovery"] * (ceiling - stock)
    pressure = np.minimum(stock, demand)
    stock = np.clip(stock - p["spend"] * pressure, 0.0, 1.0)
    return pressure, stock


@leverage_rule(
    "fixed",
    params={
        "dependence_weight": P(
            0.8,
            "share",
            "How much pressure depends on the client's dependence",
            "assumed",
            0.0,
            1.0,
        ),
    },
)
def fixed(p, stock, dependence, demand):
    """Leverage never runs out: pressure is set by dependence alone (a null model)."""
    ceiling = _ceiling(p, dependence)
    return np.minimum(ceiling, demand), ceiling
