"""Counterfactual experiments at scale: paired comparisons, sweeps, sensitivity, results store.

```python
from sim.experiments import compare, run_sweep, sensitivity, summarize, load_runs

res = compare("scenarios/historical.toml", "access", ["bilateral", "multilateral", "none"],
              replicates=50, out="out/access", jobs=2)
res.table, res.differences                  # DataFrames (also compare.csv / differences.csv)
run_sweep("sweeps/compliance_sobol.toml", "out/sobol", jobs=2)        # or scheduler="tcp://..."
method, table, md, fig = sensitivity("out/sobol")
runs = load_runs("out/sobol")                                          # one row per run
compare("scenarios/historical.toml", decision="issg_access_task_force",  # one dated decision
        structures=["timeline", "multilateral", "none"], replicates=50, out="out/tf")
compare(scenarios=["scenarios/historical.toml", "scenarios/no_cooperation.toml"], out="out/files")
discover("out/discovery", "access_reached_frac_mean_12m", quantile=0.8)  # PRIM boxes
```
See docs/EXPERIMENTS.md.
"""

from __future__ import annotations

from sim.experiments.compare import CompareResult, analyze_compare, compare
from sim.experiments.design import Design, ParamSpec, build_design, compare_design
from sim.experiments.discover import discover
from sim.experiments.seeds import derive_seed
from sim.experiments.sensitivity import analyze as analyze_sensitivity
from sim.experiments.sensitivity import sensitivity
from sim.experiments.store import ResultsStore
from sim.experiments.summarize import summarize
from sim.experiments.sweep import plan_sweep, run_sweep


def load_runs(out):
    """All stored runs of a results folder as a pandas DataFrame (one row per run)."""
    return ResultsStore(out).read_runs()


def load_timeseries(out, run_ids=None):
    """The stored time series (run_id + the model's columns), if the experiment kept them."""
    return ResultsStore(out).read_timeseries(run_ids)


def load_areas(out, run_ids=None):
    """Each area's state at the end of every month (run_id, month, area, name, governorate,
    controller, status, besieger, population, in_need, displaced), if the sweep kept it."""
    return ResultsStore(out).read_areas(run_ids)


__all__ = [
    "CompareResult",
    "Design",
    "ParamSpec",
    "ResultsStore",
    "analyze_compare",
    "analyze_sensitivity",
    "build_design",
    "compare",
    "compare_design",
    "derive_seed",
    "discover",
    "load_areas",
    "load_runs",
    "load_timeseries",
    "plan_sweep",
    "run_sweep",
    "sensitivity",
    "summarize",
]
