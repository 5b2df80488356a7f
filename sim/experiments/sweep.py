"""`run_sweep`: a sweep file -> a results folder."""

from __future__ import annotations

from sim.experiments import core
from sim.experiments.experiment import Experiment, Outcome, run_experiment
from sim.experiments.sweepfile import load_sweep_file


def plan_sweep(sweep_path) -> Experiment:
    """Load and validate a sweep file against its base scenario; build the design."""
    sf = load_sweep_file(sweep_path)
    base = core.load_scenario(sf.scenario_path, sf.overrides)
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


def run_sweep(
    sweep_path,
    out,
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
    chunk_size: int | None = None,
    progress: bool | None = None,
    dry_run: bool = False,
    retry_failed: bool = False,
    echo=print,
) -> Outcome:
    """Run (or resume) the sweep into ``out``. Returns an :class:`Outcome` with the report."""
    exp = plan_sweep(sweep_path)
    return run_experiment(
        exp,
        out,
        jobs=jobs,
        scheduler=scheduler,
        chunk_size=chunk_size,
        progress=progress,
        dry_run=dry_run,
        retry_failed=retry_failed,
        echo=echo,
    )
