"""Running a scenario over seeds (and counterfactual structures) in parallel processes.

Every run is ``sim.run(scenario, seed)``, deterministic per seed, so results do not depend on
the number of processes. Workers return only what the caller needs (a few floats per run, or
the monthly/weekly columns a figure draws), never whole models.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

import pandas as pd

from sim.calibration.targets import (
    BASE_VARIANT,
    Quantity,
    Target,
    TargetResult,
    end_date,
    load_targets,
    quantities_by_variant,
    quantity_key,
    score,
)
from sim.errors import UserError
from sim.io_safety import init_worker, mp_context

Runner = Callable[[Any, int], Any]


def default_runner(scenario, seed: int):
    from sim import run

    return run(scenario, seed=seed)


def make_executor(jobs: int) -> Executor | None:
    """A process pool of ``jobs`` workers (None for in-process execution when jobs <= 1)."""
    if jobs <= 1:
        return None
    # forkserver: workers start from a clean process (fork from a multi-threaded parent, such
    # as one holding an optuna storage, can deadlock); runs are deterministic per seed either way.
    return ProcessPoolExecutor(max_workers=jobs, mp_context=mp_context(), initializer=init_worker)


def apply_overrides(scenario, overrides: dict[str, Any], what: str = "override"):
    """``scenario.with_overrides`` with the offending key named in the error."""
    if not overrides:
        return scenario
    try:
        return scenario.with_overrides(dict(overrides))
    except UserError:
        raise
    except (KeyError, ValueError, TypeError) as exc:
        raise UserError(f"cannot apply {what} {overrides}: {exc}") from None


def patch_events(scenario, patches) -> Any:
    """``scenario.with_event_patches`` (selector: an event id or ``type:TYPE``)."""
    return (
        scenario.with_event_patches({sel: dict(f) for sel, f in dict(patches).items()})
        if patches
        else scenario
    )


def apply_variant(scenario, variant):
    """The scenario under one target structure: (dotted overrides, event patches)."""
    overrides, events = variant
    scenario = apply_overrides(scenario, dict(overrides), "target structure")
    return patch_events(scenario, {sel: dict(fields) for sel, fields in events})


def truncate(scenario, end: dt.date):
    """The scenario ending at ``end``, to save run time when only an earlier window is compared."""
    return scenario if end is None else scenario.ending(end)


def horizon(quantities) -> dt.date | None:
    """The last date any of the quantities reads (None: the whole run, e.g. a metric)."""
    ends = []
    for q in quantities:
        if q.table == "metrics" or not q.end:
            return None
        ends.append(end_date(q.end).date())
    return max(ends) if ends else None


def _map(func, tasks: list, jobs: int, executor: Executor | None) -> list:
    if executor is not None:
        return list(executor.map(func, tasks))
    if jobs > 1 and len(tasks) > 1:
        with make_executor(jobs) as pool:
            return list(pool.map(func, tasks))
    return [func(task) for task in tasks]


def _quantities_task(task) -> list[float]:
    runner, scenario, seed, quantities = task
    result = runner(scenario, seed)
    timeseries = getattr(result, "timeseries", None)
    monthly = getattr(result, "monthly", None)
    metrics = getattr(result, "metrics", None)
    return [q.evaluate(timeseries, monthly, metrics) for q in quantities]


def run_quantities(
    scenario,
    targets: Sequence[Target],
    seeds: Sequence[int],
    *,
    jobs: int = 2,
    executor: Executor | None = None,
    runner: Runner = default_runner,
) -> dict[tuple, list[float]]:
    """Per-seed values of every quantity the targets use: ``{quantity_key: [value per seed]}``."""
    by_variant = quantities_by_variant(targets)
    tasks, layout = [], []
    for variant, quantities in by_variant.items():
        sc = apply_variant(scenario, variant)
        if variant != BASE_VARIANT and hasattr(sc, "data"):
            sc = truncate(sc, horizon(quantities))  # counterfactuals only run as far as compared
        for seed in seeds:
            tasks.append((runner, sc, int(seed), quantities))
            layout.append(quantities)
    outputs = _map(_quantities_task, tasks, jobs, executor)
    per_seed: dict[tuple, list[float]] = {}
    for quantities, values in zip(layout, outputs, strict=True):
        for q, v in zip(quantities, values, strict=True):
            per_seed.setdefault(quantity_key(q), []).append(v)
    return per_seed


def evaluate_targets(
    scenario,
    targets: Sequence[Target] | None = None,
    *,
    seeds: int | Sequence[int] = 10,
    jobs: int = 2,
    executor: Executor | None = None,
    runner: Runner = default_runner,
) -> list[TargetResult]:
    """Run ``scenario`` (and every counterfactual structure the targets need) over the seeds and
    score each target: model mean, 5-95% range, pass/fail, loss (``TargetResult``)."""
    targets = list(targets) if targets is not None else load_targets()
    seed_list = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    per_seed = run_quantities(
        scenario, targets, seed_list, jobs=jobs, executor=executor, runner=runner
    )
    return score(targets, per_seed)


def _frames_task(task) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    runner, scenario, seed, monthly_cols, weekly_cols = task
    result = runner(scenario, seed)
    monthly = result.monthly
    weekly = result.timeseries
    m_cols = ["month"] + [c for c in monthly_cols if c in monthly.columns]
    w_cols = ["date"] + [c for c in weekly_cols if c in weekly.columns]
    return monthly[m_cols].copy(), weekly[w_cols].copy(), dict(getattr(result, "metrics", {}) or {})


def run_frames(
    scenario,
    seeds: Sequence[int],
    *,
    monthly_columns: Sequence[str] = (),
    weekly_columns: Sequence[str] = (),
    jobs: int = 2,
    executor: Executor | None = None,
    runner: Runner = default_runner,
) -> list[tuple[pd.DataFrame, pd.DataFrame, dict]]:
    """(monthly, weekly, metrics) of each seed, restricted to the columns asked for."""
    tasks = [
        (runner, scenario, int(s), tuple(monthly_columns), tuple(weekly_columns)) for s in seeds
    ]
    return _map(_frames_task, tasks, jobs, executor)


__all__ = [
    "Quantity",
    "apply_overrides",
    "default_runner",
    "evaluate_targets",
    "make_executor",
    "run_frames",
    "run_quantities",
]
