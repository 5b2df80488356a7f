"""`run_sweep`: a sweep file -> a results folder."""

from __future__ import annotations

from sim.experiments import adapter
from sim.experiments.experiment import Experiment, Outcome, run_experiment
from sim.experiments.sweepfile import load_sweep_file


def plan_sweep(sweep_path) -> Experiment:
    """Load and validate a sweep file against its base scenario; build the design."""
    sf = load_sweep_file(sweep_path)
    base = adapter.load_scenario(sf.scenario_path, sf.overrides)
    design = sf.build(base)
    return Experiment(
        kind="sweep",
        name=sf.name,
        base=base,
        design=design,
        timeseries=sf.timeseries,
        metrics=sf.metrics,
        overrides=sf.overrides,
        sweep_file=sf,
        chunk_size=sf.chunk_size,
    )


def run_sweep(sweep_path, out, **options) -> Outcome:
    """Run (or resume) the sweep into ``out``; ``options`` as for :func:`run_experiment` (jobs,
    scheduler, chunk_size, progress, dry_run, retry_failed, echo). Returns its :class:`Outcome`."""
    return run_experiment(plan_sweep(sweep_path), out, **options)
