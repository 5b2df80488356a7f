"""The one place where the experiments layer touches the core model (docs/API.md contract).

Everything else in ``sim.experiments`` goes through these functions, so the execution and
storage machinery depends on nothing but ``load_scenario``, ``Scenario.with_overrides``,
``Scenario.flat_params``, ``Scenario.hash`` and ``run(sc, seed)``.
"""

from __future__ import annotations

import datetime as _dt
import math
from pathlib import Path

import numpy as np

from sim import __version__
from sim.structures import STRUCTURES, TRACKS

# The model is imported on first use (not by `syriasim --help`).


def load_scenario(path, overrides=()):
    """Load with ``--set`` overrides; an earlier ``end=DATE`` cuts the run there and drops the
    decisions dated later (``Scenario.ending``) instead of refusing them as out of horizon."""
    from sim.scenario import load_scenario as _load

    overrides = list(overrides)
    ends = [o for o in overrides if isinstance(o, str) and o.replace(" ", "").startswith("end=")]
    if not ends:
        return _load(str(path), overrides=overrides)
    sc = _load(str(path), overrides=[o for o in overrides if o not in ends])
    text = ends[-1].split("=", 1)[1].strip().strip("'\"")
    try:
        end = _dt.date.fromisoformat(text)
    except ValueError:
        return _load(str(path), overrides=overrides)  # the scenario's own one-line error
    return sc.ending(end) if end < sc.end else sc.with_overrides([ends[-1]])


def run_model(sc, seed: int, areas: bool = False):
    """One run; with ``areas``, ``result.areas`` holds each area's state at the end of every
    month (read from the model as it runs: no random draw, so the run itself is unchanged)."""
    if not areas:
        from sim.runner import run

        return run(sc, seed=int(seed))
    import pandas as pd

    from sim.model import SyriaModel
    from sim.runner import result_of
    from sim.territory import CONTROLLERS, STATUSES

    model = SyriaModel(sc, seed=int(seed))
    t = model.territory
    last: dict[str, dict] = {}  # month -> state after its last week
    for _ in range(model.n_steps):
        model.step()
        last[model.date.isoformat()[:7]] = {
            "controller": t.controller.copy(),
            "status": t.status.copy(),
            "besieger": t.besieger.copy(),
            "population": t.population.copy(),
            "in_need": t.in_need.copy(),
            "displaced": t.displaced.copy(),
        }
    res = result_of(model)
    ctrl, stat = np.array(CONTROLLERS), np.array(STATUSES)
    res.areas = pd.concat(
        [
            pd.DataFrame(
                {
                    "month": month,
                    "area": np.arange(t.n),
                    "name": t.name,
                    "governorate": t.governorate,
                    "controller": ctrl[s["controller"]],
                    "status": stat[s["status"]],
                    "besieger": np.where(s["besieger"] >= 0, ctrl[s["besieger"]], ""),
                    "population": s["population"],
                    "in_need": s["in_need"],
                    "displaced": s["displaced"],
                }
            )
            for month, s in last.items()
        ],
        ignore_index=True,
    )
    return res


# A point's override key choosing one scenario of a ScenarioSet (compare --scenarios).
VARIANT_KEY = "variant"


def apply_point(base, overrides: dict):
    """The scenario one design point runs: ``variant`` picks a scenario of a
    :class:`~sim.experiments.variants.ScenarioSet`, ``events.<id>.<field>`` patches one dated
    decision, every other key is a scenario override (``tracks.access.structure`` ...)."""
    ov = dict(overrides or {})
    sc = base
    if VARIANT_KEY in ov:
        sc = base.scenarios[int(ov.pop(VARIANT_KEY))]
    patches: dict[str, dict] = {}
    for key in [k for k in ov if k.startswith("events.")]:
        _, event_id, fld = key.split(".", 2)
        patches.setdefault(event_id, {})[fld] = ov.pop(key)
    if patches:
        sc = sc.with_event_patches(patches)
    return sc.with_overrides(ov) if ov else sc


def version() -> str:
    return str(__version__)


def structures() -> tuple[str, ...]:
    return tuple(STRUCTURES)


def tracks() -> tuple[str, ...]:
    return tuple(TRACKS)


def scalar(v):
    """A value fit for a Parquet column: numbers, strings, bools; everything else as text."""
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return v
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, Path):
        return str(v)
    return repr(v) if not isinstance(v, list | tuple) else ",".join(str(x) for x in v)


def metric_float(v) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return math.nan
    return f
