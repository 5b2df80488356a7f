"""EMA Workbench adapter: the model as a ``ReplicatorModel`` for exploratory modelling and PRIM.

Needs the optional package ``ema-workbench`` (``pip install ema-workbench``).

```python
from ema_workbench import SequentialEvaluator, perform_experiments
from ema_workbench.analysis import prim
from sim.experiments.ema import replicator_model

model = replicator_model(
    "scenarios/historical.toml",
    uncertainties={"params.diplomacy.chaos": (0.1, 0.4),
                   "rules.compliance.params.pressure_weight": (3.0, 11.0),
                   "tracks.access.structure": ["bilateral", "multilateral"]},
    outcomes=["access_reached_frac_mean_12m", "trust_final"],
    replications=10, master_seed=1)
with SequentialEvaluator(model) as ev:                 # or MultiprocessingEvaluator(model)
    experiments, outcomes = perform_experiments(model, scenarios=200, evaluator=ev)
box = prim.Prim(experiments[model.parameter_columns()], outcomes["access_reached_frac_mean_12m"] > 0.05,
                threshold=0.6).find_box()
```

Each EMA experiment (a point of the uncertainty space) is run ``replications`` times with the
seeds ``derive_seed(master_seed, r)`` (the same seeds at every point: common random numbers), and
each outcome is the mean over the replications (``aggregate`` to change it). Uncertainty names
in EMA are the dotted scenario keys with dots replaced by ``__`` (EMA wants identifiers); the
model function receives the dotted keys.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from sim.errors import UserError
from sim.experiments import adapter
from sim.experiments.seeds import derive_seed


def ema_name(key: str) -> str:
    return key.replace(".", "__")


class SyriaFunction:
    """The callable EMA runs: keyword arguments = scenario overrides (+ ``seed``) -> metrics."""

    def __init__(self, base, outcomes: Sequence[str]):
        self.base = base
        self.outcomes = list(outcomes)

    def __call__(self, seed: int = 0, **overrides) -> dict:
        sc = (
            self.base.with_overrides({k: _plain(v) for k, v in overrides.items()})
            if overrides
            else self.base
        )
        res = adapter.run_model(sc, int(seed))
        return {ema_name(m): float(res.metrics[m]) for m in self.outcomes}


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def replicator_model(
    scenario,
    uncertainties: Mapping[str, tuple | list],
    outcomes: Sequence[str],
    *,
    replications: int = 10,
    master_seed: int = 0,
    overrides: Sequence[str] = (),
    aggregate: Callable = np.mean,
    name: str = "syriasim",
):
    """An ``ema_workbench.ReplicatorModel`` running the scenario with the given uncertainties.

    ``uncertainties``: ``{dotted_key: (low, high)}`` for a numeric range (integers if the
    scenario's value is an integer) or ``{dotted_key: [values]}`` for a categorical one.
    ``outcomes``: metric names of the run summary.
    """
    try:
        from ema_workbench import (
            CategoricalParameter,
            IntegerParameter,
            RealParameter,
            ReplicatorModel,
            ScalarOutcome,
        )
    except ImportError as exc:
        raise UserError(
            "the EMA Workbench adapter needs the optional package: pip install ema-workbench"
        ) from exc
    base = adapter.load_scenario(scenario, list(overrides))
    flat = base.flat_params()
    params = []
    for key, spec in uncertainties.items():
        if key not in flat:
            raise UserError(
                f"unknown parameter {key!r} (not a resolved scalar of scenario {base.name!r})",
                key=key,
            )
        if isinstance(spec, list):
            params.append(CategoricalParameter(ema_name(key), spec, variable_name=key))
            continue
        lo, hi = spec
        if not lo < hi:
            raise UserError(f"empty or inverted range ({lo}, {hi})", key=key)
        for v in (lo, hi):
            base.with_overrides(
                {key: type(flat[key])(v) if isinstance(flat[key], int | float) else v}
            )
        if isinstance(flat[key], int) and not isinstance(flat[key], bool):
            params.append(IntegerParameter(ema_name(key), int(lo), int(hi), variable_name=key))
        else:
            params.append(RealParameter(ema_name(key), float(lo), float(hi), variable_name=key))
    model = ReplicatorModel(name, function=SyriaFunction(base, outcomes))
    model.uncertainties = params
    model.outcomes = [ScalarOutcome(ema_name(m), function=aggregate) for m in outcomes]
    model.replications = [{"seed": derive_seed(master_seed, r)} for r in range(int(replications))]
    model.parameter_columns = lambda: [p.name for p in params]
    return model
