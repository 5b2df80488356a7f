"""Experiment designs: which parameter values each run gets, and with which seed.

A :class:`Design` is a list of *points* (each a ``{dotted_key: value}`` override of the base
scenario) times a number of *replicates*. Run ``run_id = point_id * replicates + replicate``.
Seeds come from one master seed (see :mod:`sim.experiments.seeds`):

- ``seeds = "independent"`` (sweeps): stream index = run_id, every run its own seed;
- ``seeds = "common"`` (counterfactual comparisons): stream index = replicate, so every point
  (structure) is run on the same seeds (common random numbers, paired differences).

The numeric designs come from SALib: Latin hypercube (``SALib.sample.latin``), Sobol/Saltelli
(``SALib.sample.sobol``), Morris trajectories (``SALib.sample.morris``); the full grid is the
Cartesian product of each parameter's values.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field

import numpy as np

from sim.errors import UserError
from sim.experiments.seeds import derive_seed

METHODS = ("grid", "lhs", "sobol", "morris")
SEED_POLICIES = ("independent", "common")


@dataclass(frozen=True)
class ParamSpec:
    """One varied parameter: a numeric range ``[low, high]`` or a list of ``values``."""

    key: str
    low: float | None = None
    high: float | None = None
    values: tuple | None = None
    steps: int | None = None
    integer: bool = False
    # a distribution (see DISTRIBUTIONS) instead of a uniform range: sampled designs draw a
    # unit-hypercube coordinate u and the value is the distribution's quantile ppf(u)
    dist: str | None = None
    dist_args: tuple = ()

    def ppf(self, u):
        """The value at unit coordinate ``u`` (the distribution's quantile; identity if none)."""
        if self.dist is None:
            return u
        lo = NORMAL_TAIL if self.dist == "normal" else 0.0  # unbounded: cut the far tails
        u = np.clip(u, lo, 1.0 - lo)
        return frozen_distribution(self.dist, dict(self.dist_args)).ppf(u)

    def value(self, x):
        """A design-matrix entry as the scenario value (quantile of a distribution, cast)."""
        return self.cast(self.ppf(x)) if self.dist else self.cast(x)

    def grid_values(self) -> list:
        if self.values is not None:
            return list(self.values)
        vals = np.linspace(self.low, self.high, int(self.steps)).tolist()
        if self.integer:
            vals = sorted({int(round(v)) for v in vals})
        return vals

    def cast(self, x: float):
        if self.integer:
            return int(round(float(x)))
        return float(x)

    def to_json(self) -> dict:
        d = {"key": self.key}
        if self.values is not None:
            d["values"] = list(self.values)
        elif self.dist is not None:
            d.update(dist=self.dist, integer=self.integer, **dict(self.dist_args))
            d.update(low=0.0, high=1.0)  # the unit coordinate SALib samples and analyses
        else:
            d.update(low=self.low, high=self.high, integer=self.integer)
            if self.steps is not None:
                d["steps"] = self.steps
        return d


@dataclass
class Design:
    """Points are kept implicit for large designs: a grid as its axes, a sampled design as its
    matrix ``X``; :meth:`point` builds one point's overrides on demand (memory stays small)."""

    method: str  # grid | lhs | sobol | morris | compare
    params: list[ParamSpec]
    points: list[dict] | None  # explicit points (compare), else None
    replicates: int
    master_seed: int
    seeds: str = "independent"
    X: np.ndarray | None = None  # numeric design matrix (n_points x D) for SALib analysis
    options: dict = field(default_factory=dict)
    axes: list[list] | None = None  # grid: values per parameter (row-major product)

    @property
    def n_points(self) -> int:
        if self.points is not None:
            return len(self.points)
        if self.X is not None:
            return int(self.X.shape[0])
        return math.prod(len(a) for a in self.axes)

    @property
    def n_runs(self) -> int:
        return self.n_points * self.replicates

    def point(self, i: int) -> dict:
        """The overrides of design point ``i``."""
        if self.points is not None:
            return dict(self.points[i])
        if self.X is not None:
            return {p.key: p.value(self.X[i, j]) for j, p in enumerate(self.params)}
        idx = np.unravel_index(int(i), [len(a) for a in self.axes])
        return {p.key: a[int(k)] for p, a, k in zip(self.params, self.axes, idx, strict=True)}

    def all_points(self) -> list[dict]:
        return [self.point(i) for i in range(self.n_points)]

    def locate(self, run_id: int) -> tuple[int, int]:
        return divmod(int(run_id), self.replicates)

    def seed_of(self, run_id: int) -> int:
        point, rep = self.locate(run_id)
        index = rep if self.seeds == "common" else int(run_id)
        return derive_seed(self.master_seed, index)

    def task(self, run_id: int) -> dict:
        point, rep = self.locate(run_id)
        task = {
            "run_id": int(run_id),
            "point_id": point,
            "replicate": rep,
            "seed": self.seed_of(run_id),
            "overrides": self.point(point),
        }
        if self.options.get("metrics_module"):  # user metric functions (sweep file)
            task["metrics_module"] = self.options["metrics_module"]
        if self.options.get("areas") == "monthly":  # per-area monthly state (sweep file)
            task["areas"] = True
        return task

    def problem(self) -> dict:
        """The SALib problem dict (numeric ranges only)."""
        return {
            "num_vars": len(self.params),
            "names": [p.key for p in self.params],
            "bounds": [[p.low, p.high] for p in self.params],
        }

    def _points_digest(self) -> str:
        h = hashlib.sha256()
        if self.points is not None:
            h.update(json.dumps(self.points, sort_keys=True, default=str).encode())
        elif self.X is not None:
            h.update(np.ascontiguousarray(self.X, dtype="<f8").tobytes())
        else:
            h.update(json.dumps(self.axes, default=str).encode())
        return h.hexdigest()

    def to_json(self) -> dict:
        """Canonical description (enters the fingerprint of a results folder)."""
        return {
            "method": self.method,
            "params": [p.to_json() for p in self.params],
            "replicates": self.replicates,
            "master_seed": self.master_seed,
            "seeds": self.seeds,
            "options": self.options,
            "n_points": self.n_points,
            "points_sha256": self._points_digest(),
        }

    def points_frame(self):
        """One row per point: point_id and the varied values (column per parameter key)."""
        import pandas as pd

        n = self.n_points
        if self.X is not None:
            cols = {}
            for j, p in enumerate(self.params):
                v = p.ppf(self.X[:, j])
                cols[p.key] = np.round(v).astype(np.int64) if p.integer else v
            df = pd.DataFrame(cols)
        elif self.axes is not None:
            idx = np.unravel_index(np.arange(n), [len(a) for a in self.axes])
            df = pd.DataFrame(
                {
                    p.key: [a[int(k)] for k in ix]
                    for p, a, ix in zip(self.params, self.axes, idx, strict=True)
                }
            )
        else:
            df = pd.DataFrame(self.points, index=range(n))
            if "labels" in self.options:  # a comparison: which variant each point is
                df.insert(0, "variant_label", list(self.options["labels"]))
        df.insert(0, "point_id", np.arange(n, dtype=np.int64))
        if self.X is not None:
            for j, p in enumerate(self.params):
                df[f"x.{p.key}"] = self.X[:, j]
        return df


# A normal's unit coordinates are kept in [t, 1 - t] (values within 3.09 sd of the mean):
# Morris levels and some Sobol points are exactly 0 or 1, where the quantile is infinite.
NORMAL_TAIL = 1e-3
# name -> (required fields, scipy.stats constructor from them)
DISTRIBUTIONS = {
    "uniform": (
        ("min", "max"),
        lambda a: ("uniform", {"loc": a["min"], "scale": a["max"] - a["min"]}),
    ),
    "normal": (("mean", "sd"), lambda a: ("norm", {"loc": a["mean"], "scale": a["sd"]})),
    "triangular": (
        ("min", "mode", "max"),
        lambda a: (
            "triang",
            {
                "c": (a["mode"] - a["min"]) / (a["max"] - a["min"]),
                "loc": a["min"],
                "scale": a["max"] - a["min"],
            },
        ),
    ),
    "truncnormal": (
        ("mean", "sd", "min", "max"),
        lambda a: (
            "truncnorm",
            {
                "a": (a["min"] - a["mean"]) / a["sd"],
                "b": (a["max"] - a["mean"]) / a["sd"],
                "loc": a["mean"],
                "scale": a["sd"],
            },
        ),
    ),
}


def frozen_distribution(name: str, args: dict):
    """The scipy.stats distribution a sweep file's ``dist`` names, with its parameters."""
    from scipy import stats

    dist, kw = DISTRIBUTIONS[name][1](args)
    return getattr(stats, dist)(**kw)


def _is_pow2(n: int) -> bool:
    return n > 0 and (n & (n - 1)) == 0


def n_runs_for(method: str, n_params: int, samples: int, replicates: int, opts: dict) -> int:
    if method == "sobol":
        per = 2 * n_params + 2 if opts.get("calc_second_order") else n_params + 2
        return samples * per * replicates
    if method == "morris":
        return samples * (n_params + 1) * replicates
    if method == "lhs":
        return samples * replicates
    raise ValueError(method)


def build_design(
    method: str,
    params: list[ParamSpec],
    *,
    samples: int | None,
    replicates: int,
    master_seed: int,
    seeds: str = "independent",
    options: dict | None = None,
    max_runs: int = 2_000_000,
    where: str | None = None,
) -> Design:
    """Generate a design; raise :class:`UserError` when the parameter count can't support it."""
    options = dict(options or {})
    if method not in METHODS:
        raise UserError(
            f"unknown design {method!r}; allowed: {', '.join(METHODS)}",
            file=where,
            key="sweep.design",
        )
    if seeds not in SEED_POLICIES:
        raise UserError(
            f"unknown seeds policy {seeds!r}; allowed: {', '.join(SEED_POLICIES)}",
            file=where,
            key="sweep.seeds",
        )
    if not params:
        raise UserError(
            "no parameters to vary; add at least one under [parameters]",
            file=where,
            key="parameters",
        )
    if not isinstance(replicates, int) or replicates < 1:
        raise UserError(
            f"replicates must be an integer >= 1, got {replicates!r}",
            file=where,
            key="sweep.replicates",
        )
    d = len(params)

    if method == "grid":
        for p in params:
            if p.dist is not None:
                raise UserError(
                    f"a distribution ({p.dist}) applies to sampled designs (lhs, sobol, morris); "
                    "a grid needs min/max with steps, or values",
                    file=where,
                    key=f"parameters.{p.key}",
                )
            if p.values is None and (p.steps is None or p.steps < 2):
                raise UserError(
                    "a grid needs `steps` (>= 2) or `values` for each range",
                    file=where,
                    key=f"parameters.{p.key}",
                )
        # the size first: a grid is only built once it is known to fit under max_runs
        n = math.prod(len(p.values) if p.values is not None else p.steps for p in params)
        n *= replicates
        if n > max_runs:
            raise UserError(
                f"grid of {d} parameters has {n:,} runs, above max_runs={max_runs:,}; use fewer steps or lhs/sobol",
                file=where,
                key="sweep.design",
            )
        axes = [p.grid_values() for p in params]
        return Design(
            "grid", params, None, replicates, master_seed, seeds, None, options, axes=axes
        )

    # sampled designs need numeric ranges
    for p in params:
        if p.values is not None:
            raise UserError(
                f'design {method!r} needs numeric ranges (min/max); a list of values works only with design = "grid"',
                file=where,
                key=f"parameters.{p.key}",
            )
    if samples is None or not isinstance(samples, int) or samples < 2:
        raise UserError(
            f"samples must be an integer >= 2 for design {method!r}, got {samples!r}",
            file=where,
            key="sweep.samples",
        )

    problem = {
        "num_vars": d,
        "names": [p.key for p in params],
        "bounds": [[0.0, 1.0] if p.dist else [p.low, p.high] for p in params],
    }
    if method == "lhs":
        n = n_runs_for("lhs", d, samples, replicates, options)
        if n > max_runs:
            raise UserError(
                f"Latin hypercube of {samples:,} samples x {replicates} replicates has {n:,} runs, "
                f"above max_runs={max_runs:,}",
                file=where,
                key="sweep.samples",
            )
        from SALib.sample import latin

        X = latin.sample(problem, samples, seed=master_seed % (2**32))
    elif method == "sobol":
        if d < 2:
            raise UserError(
                f"Sobol indices need at least 2 parameters, the sweep varies {d}; use grid or lhs",
                file=where,
                key="parameters",
            )
        if not _is_pow2(samples):
            lo = 1 << (samples.bit_length() - 1)
            raise UserError(
                f"Sobol samples must be a power of 2 (e.g. {lo} or {lo * 2}), got {samples}",
                file=where,
                key="sweep.samples",
            )
        second = bool(options.get("calc_second_order", False))
        options["calc_second_order"] = second
        n = n_runs_for("sobol", d, samples, replicates, options)
        if n > max_runs:
            raise UserError(
                f"Sobol design with {d} parameters and {samples} samples has {n:,} runs, above max_runs={max_runs:,}",
                file=where,
                key="sweep.samples",
            )
        from SALib.sample import sobol as sobol_sample

        X = sobol_sample.sample(
            problem, samples, calc_second_order=second, seed=master_seed % (2**32)
        )
    elif method == "morris":
        if d < 2:
            raise UserError(
                f"Morris screening needs at least 2 parameters, the sweep varies {d}; use grid or lhs",
                file=where,
                key="parameters",
            )
        levels = options.get("levels", 4)
        if not isinstance(levels, int) or levels < 2 or levels % 2:
            raise UserError(
                f"Morris levels must be an even integer >= 2, got {levels!r}",
                file=where,
                key="sweep.levels",
            )
        options["levels"] = levels
        n = n_runs_for("morris", d, samples, replicates, options)
        if n > max_runs:
            raise UserError(
                f"Morris design has {n:,} runs, above max_runs={max_runs:,}",
                file=where,
                key="sweep.samples",
            )
        from SALib.sample import morris as morris_sample

        X = morris_sample.sample(problem, samples, num_levels=levels, seed=master_seed % (2**32))
    else:  # pragma: no cover
        raise AssertionError(method)

    X = np.asarray(X, dtype=float)
    for j, p in enumerate(params):
        if p.integer and not p.dist:  # a distribution's unit coordinate is cast after its ppf
            X[:, j] = np.round(X[:, j])
    n = X.shape[0] * replicates
    if n > max_runs:
        raise UserError(
            f"design has {n:,} runs, above max_runs={max_runs:,}", file=where, key="sweep.samples"
        )
    return Design(
        method, params, None, replicates, master_seed, seeds, X, {**options, "samples": samples}
    )


def variant_design(
    labels: list[str], points: list[dict], replicates: int, master_seed: int, mode: str = "track"
) -> Design:
    """A counterfactual comparison: one point per variant, all on the same seeds."""
    p = ParamSpec(key="variant", values=tuple(labels))
    opts = {"mode": mode, "labels": list(labels)}
    return Design(
        "compare", [p], [dict(x) for x in points], replicates, master_seed, "common", None, opts
    )


def compare_design(track: str, structures: list[str], replicates: int, master_seed: int) -> Design:
    """Whole-track structures: ``tracks.<track>.structure`` set per point."""
    key = f"tracks.{track}.structure"
    return variant_design(structures, [{key: s} for s in structures], replicates, master_seed)
