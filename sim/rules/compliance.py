"""Compliance rules: the probability that a client does what is demanded of it.

Every rule has the signature `rule(params, pressure, cost, monitoring, aims) -> probability`,
vectorised over numpy arrays (one entry per decision). Inputs, all >= 0:
  pressure    leverage the patron applies (0 none .. 1 full)
  cost        the client's own cost of complying (aid feeds the enemy, a ceasefire halts an offensive)
  monitoring  how visible a defection is (observers, shared information)
  aims        weight of the client's war aims against the demand
"""

from __future__ import annotations

import numpy as np
from scipy.special import erf

from sim.params import Param as P
from sim.rules.registry import compliance_rule


@compliance_rule(
    "logistic",
    params={
        "bias": P(1.0, "logit", "Baseline propensity to comply", "fitted", -10.0, 10.0),
        "pressure_weight": P(10.0, "logit/unit", "Weight of patron pressure", "fitted", 0.0, 20.0),
        "monitoring_weight": P(1.5, "logit/unit", "Weight of being seen", "fitted", 0.0, 20.0),
        "cost_weight": P(3.0, "logit/unit", "Weight of the client's own cost", "fitted", 0.0, 20.0),
        "aims_weight": P(1.0, "logit/unit", "Weight of the client's war aims", "fitted", 0.0, 20.0),
    },
)
def logistic(p, pressure, cost, monitoring, aims):
    """Random-utility choice: P = 1 / (1 + exp(-U)), U linear in pressure, monitoring, cost, aims."""
    u = (
        p["bias"]
        + p["pressure_weight"] * pressure
        + p["monitoring_weight"] * monitoring
        - p["cost_weight"] * cost
        - p["aims_weight"] * aims
    )
    return 1.0 / (1.0 + np.exp(-u))


@compliance_rule(
    "threshold",
    params={
        "threshold": P(0.2, "1", "Net incentive needed to comply", "assumed", -10.0, 10.0),
        "pressure_weight": P(1.0, "1/unit", "Weight of patron pressure", "assumed", 0.0, 20.0),
        "monitoring_weight": P(0.5, "1/unit", "Weight of being seen", "assumed", 0.0, 20.0),
        "cost_weight": P(1.0, "1/unit", "Weight of the client's own cost", "assumed", 0.0, 20.0),
        "aims_weight": P(0.3, "1/unit", "Weight of the client's war aims", "assumed", 0.0, 20.0),
        "noise": P(
            0.1,
            "1",
            "Spread of the threshold across decisions (0 = deterministic)",
            "assumed",
            0.0,
            10.0,
        ),
    },
)
def threshold(p, pressure, cost, monitoring, aims):
    """Comply when net incentive exceeds a threshold blurred by normal noise (probit)."""
    net = (
        p["pressure_weight"] * pressure
        + p["monitoring_weight"] * monitoring
        - p["cost_weight"] * cost
        - p["aims_weight"] * aims
        - p["threshold"]
    )
    if p["noise"] <= 0:
        return (np.asarray(net) >= 0).astype(float)
    z = np.asarray(net, dtype=float) / (p["noise"] * np.sqrt(2.0))
    return 0.5 * (1.0 + erf(z))
