"""Calibration against the historical record: targets as data, fitting, reports, effectiveness.

- `sim.calibration.targets`: load/validate `sim/data/targets.toml`, evaluate targets over seeds.
- `sim.calibration.calibrate`: fit free parameters with optuna (`syriasim calibrate`).
- `sim.calibration.report`: the model against the record (`syriasim report-history`).
- `sim.calibration.effectiveness`: the thesis's goal/counterfactual table (`syriasim effectiveness`).
"""

from sim.calibration.runs import evaluate_targets
from sim.calibration.targets import Target, TargetResult, load_targets

__all__ = ["Target", "TargetResult", "evaluate_targets", "load_targets"]
