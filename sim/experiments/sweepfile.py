"""Sweep files (TOML): a base scenario, the parameters to vary, a design and replicates.

```toml
[sweep]
name = "compliance_sobol"
scenario = "../scenarios/historical.toml"   # relative to this file (or to the working dir)
overrides = ["end=2014-06-30"]              # applied to the base scenario before the design
design = "sobol"                            # grid | lhs | sobol | morris
samples = 16                                # lhs: points; sobol: base samples N (power of 2);
                                            # morris: trajectories
replicates = 2                              # seeded runs per design point
seed = 20130914                             # master seed; every run's seed derives from it
seeds = "independent"                       # or "common": the same seeds at every point
calc_second_order = false                   # sobol only
levels = 4                                  # morris only
timeseries = "none"                         # none | monthly | weekly: store series per run
metrics = ["..."]                           # metrics `sensitivity` analyses by default

[parameters]
"rules.compliance.params.pressure_weight" = { min = 0.5, max = 3.0 }
"params.trust.initial" = { min = 0.1, max = 0.9, steps = 5 }    # steps: grid only
"tracks.access.structure" = { values = ["bilateral", "none"] }  # lists: grid only
```
"""

from __future__ import annotations

import difflib
import hashlib
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from sim.errors import UserError
from sim.experiments import adapter
from sim.experiments.design import DISTRIBUTIONS, METHODS, Design, ParamSpec, build_design
from sim.io_safety import check_seed, read_text

SWEEP_KEYS = {
    "name": "text",
    "description": "text",
    "scenario": "path of the base scenario file",
    "overrides": "list of 'key=value' strings",
    "design": " | ".join(METHODS),
    "samples": "integer",
    "replicates": "integer >= 1",
    "seed": "integer master seed",
    "seeds": "independent | common",
    "calc_second_order": "true | false (sobol)",
    "levels": "even integer (morris)",
    "timeseries": "none | monthly | weekly",
    "metrics": "list of metric names",
    "max_runs": "integer",
    "chunk_size": "integer",
    "metrics_module": "importable module defining METRICS = {name: function(result)}",
    "areas": "none | monthly: store each area's state at the end of every month",
}
PARAM_KEYS = ("min", "max", "steps", "values", "integer", "dist", "mean", "sd", "mode")
TIMESERIES = ("none", "monthly", "weekly")


@dataclass
class SweepFile:
    path: Path
    text: str
    sha256: str
    name: str
    scenario_path: Path
    overrides: list[str]
    method: str
    samples: int | None
    replicates: int
    seed: int
    seeds: str
    timeseries: str
    metrics: list[str] | None
    max_runs: int
    chunk_size: int | None
    options: dict = field(default_factory=dict)
    raw_params: dict = field(default_factory=dict)

    def build(self, base) -> Design:
        """Validate the parameters against the base scenario and generate the design."""
        params = resolve_params(self.raw_params, base, where=str(self.path), method=self.method)
        return build_design(
            self.method,
            params,
            samples=self.samples,
            replicates=self.replicates,
            master_seed=self.seed,
            seeds=self.seeds,
            options=self.options,
            max_runs=self.max_runs,
            where=str(self.path),
        )


def _err(msg: str, where: str, key: str | None = None):
    return UserError(msg, file=where, key=key)


def load_sweep_file(path) -> SweepFile:
    p = Path(path)
    where = str(p)
    if not p.is_file():
        raise _err("no such sweep file", where)
    text = read_text(p)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _err(f"not valid TOML: {exc}", where) from None
    unknown_top = sorted(set(data) - {"sweep", "parameters"})
    if unknown_top:
        raise _err(
            f"unknown table {unknown_top[0]!r}; allowed: [sweep], [parameters]",
            where,
            unknown_top[0],
        )
    sw = data.get("sweep")
    if not isinstance(sw, dict):
        raise _err("missing [sweep] table", where, "sweep")
    for k in sw:
        if k not in SWEEP_KEYS:
            close = difflib.get_close_matches(k, SWEEP_KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise _err(f"unknown key{hint}; allowed: {', '.join(SWEEP_KEYS)}", where, f"sweep.{k}")

    def get(key, typ, default=None, required=False):
        if key not in sw:
            if required:
                raise _err(f"missing; expected {SWEEP_KEYS[key]}", where, f"sweep.{key}")
            return default
        v = sw[key]
        if typ is int and (isinstance(v, bool) or not isinstance(v, int)):
            raise _err(f"expected an integer, got {v!r}", where, f"sweep.{key}")
        if typ is not int and not isinstance(v, typ):
            raise _err(f"expected {SWEEP_KEYS[key]}, got {v!r}", where, f"sweep.{key}")
        return v

    scen = get("scenario", str, required=True)
    scen_path = (p.parent / scen) if not Path(scen).is_absolute() else Path(scen)
    if not scen_path.is_file():
        alt = Path(scen)
        if alt.is_file():
            scen_path = alt
        else:
            raise _err(
                f"scenario file {scen!r} not found (looked next to the sweep file and in the working directory)",
                where,
                "sweep.scenario",
            )
    overrides = get("overrides", list, [])
    if not all(isinstance(o, str) and "=" in o for o in overrides):
        raise _err("expected a list of 'key=value' strings", where, "sweep.overrides")
    method = get("design", str, required=True)
    if method not in METHODS:
        raise _err(
            f"unknown design {method!r}; allowed: {', '.join(METHODS)}", where, "sweep.design"
        )
    timeseries = get("timeseries", str, "none")
    if timeseries not in TIMESERIES:
        raise _err(
            f"expected one of {', '.join(TIMESERIES)}, got {timeseries!r}",
            where,
            "sweep.timeseries",
        )
    metrics = get("metrics", list, None)
    if metrics is not None and not all(isinstance(m, str) for m in metrics):
        raise _err("expected a list of metric names", where, "sweep.metrics")
    seeds = get("seeds", str, "independent")
    if seeds not in ("independent", "common"):
        raise _err(f"expected independent | common, got {seeds!r}", where, "sweep.seeds")
    options = {}
    if method == "sobol":
        options["calc_second_order"] = bool(get("calc_second_order", bool, False))
    if method == "morris":
        options["levels"] = get("levels", int, 4)
    areas = get("areas", str, "none")
    if areas not in ("none", "monthly"):
        raise _err(f"expected none | monthly, got {areas!r}", where, "sweep.areas")
    if areas == "monthly":
        options["areas"] = areas
    module = get("metrics_module", str, None)
    if module is not None:
        from sim.experiments.user_metrics import check

        options["metrics_module"] = module
        options["metrics_module_sha256"] = check(module, where)
    params = data.get("parameters")
    if not isinstance(params, dict) or not params:
        raise _err(
            "missing or empty [parameters] table; name at least one parameter to vary",
            where,
            "parameters",
        )
    chunk = get("chunk_size", int, None)
    if chunk is not None and chunk < 1:
        raise _err("expected an integer >= 1", where, "sweep.chunk_size")
    return SweepFile(
        path=p,
        text=text,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        name=get("name", str, p.stem),
        scenario_path=scen_path,
        overrides=list(overrides),
        method=method,
        samples=get("samples", int, None),
        replicates=get("replicates", int, 1),
        seed=check_seed(get("seed", int, 0), "sweep.seed", where),
        seeds=seeds,
        timeseries=timeseries,
        metrics=metrics,
        max_runs=get("max_runs", int, 2_000_000),
        chunk_size=chunk,
        options=options,
        raw_params=flatten_params(params),
    )


def decision_fields(base) -> dict:
    """``events.<id>.<field>`` of every dated decision's settings (its structure, zones, ...):
    a sweep may vary how one decision was taken, the rest of the timeline unchanged."""
    data = getattr(base, "data", None)
    if not isinstance(data, dict) or "events" not in data:
        return {}
    return {
        f"events.{e['id']}.{f}": v
        for e in data["events"]
        for f, v in e.items()
        if f not in ("id", "type", "date", "note") and isinstance(v, bool | int | float | str)
    }


def flatten_params(tbl: dict, prefix: str = "") -> dict:
    """Accept both quoted dotted keys and nested TOML tables for parameter names."""
    out = {}
    for k, v in tbl.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and not (set(v) & set(PARAM_KEYS)):
            out.update(flatten_params(v, key + "."))
        else:
            out[key] = v
    return out


def _dist_spec(key: str, spec: dict, current, where: str, k: str) -> ParamSpec:
    """A parameter drawn from a distribution: { dist = "normal", mean = .., sd = .. } etc."""
    name = spec["dist"]
    if name not in DISTRIBUTIONS:
        raise _err(f"unknown dist {name!r}; allowed: {', '.join(DISTRIBUTIONS)}", where, k)
    need = DISTRIBUTIONS[name][0]
    extra = sorted(set(spec) - {"dist", "integer", *need})
    if extra:
        raise _err(
            f"{extra[0]!r} does not apply to dist {name!r}; it takes {', '.join(need)}", where, k
        )
    missing = [f for f in need if f not in spec]
    if missing:
        raise _err(f"dist {name!r} needs {', '.join(need)}; missing {missing[0]}", where, k)
    a = {f: spec[f] for f in need}
    if not all(_num(v) for v in a.values()):
        raise _err(f"{', '.join(need)} must be numbers, got {a}", where, k)
    if not _num(current):
        raise _err(f"parameter is {type(current).__name__} ({current!r}), not numeric", where, k)
    if "sd" in a and not a["sd"] > 0:
        raise _err(f"sd must be > 0, got {a['sd']}", where, k)
    if "min" in a and not a["min"] < a["max"]:
        raise _err(f"empty or inverted range: min={a['min']} must be < max={a['max']}", where, k)
    if "mode" in a and not a["min"] <= a["mode"] <= a["max"]:
        raise _err(f"mode={a['mode']} must lie in [min, max] = [{a['min']}, {a['max']}]", where, k)
    integer = bool(spec.get("integer", isinstance(current, int) and not isinstance(current, bool)))
    return ParamSpec(key=key, integer=integer, dist=name, dist_args=tuple(sorted(a.items())))


def _num(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def resolve_params(raw: dict, base, *, where: str, method: str) -> list[ParamSpec]:
    """Check each parameter exists in the base scenario and its range is sensible."""
    flat = {**base.flat_params(), **decision_fields(base)}
    specs: list[ParamSpec] = []
    for key, spec in raw.items():
        k = f"parameters.{key}"
        if key not in flat:
            close = difflib.get_close_matches(key, list(flat), n=3, cutoff=0.5)
            hint = (
                f"; did you mean {', '.join(close)}?"
                if close
                else "; see `summary.params` of any run for the names"
            )
            raise _err(
                f"unknown parameter (not a resolved scalar of scenario {base.name!r}){hint}",
                where,
                k,
            )
        current = flat[key]
        if isinstance(spec, list):
            spec = {"values": spec}
        if not isinstance(spec, dict):
            raise _err("expected { min = .., max = .. } or { values = [..] } or a list", where, k)
        bad = [x for x in spec if x not in PARAM_KEYS]
        if bad:
            raise _err(f"unknown field {bad[0]!r}; allowed: {', '.join(PARAM_KEYS)}", where, k)
        if "values" in spec:
            vals = spec["values"]
            if not isinstance(vals, list) or not vals:
                raise _err("empty list of values", where, k)
            if len(set(map(repr, vals))) != len(vals):
                raise _err("repeated values", where, k)
            specs.append(ParamSpec(key=key, values=tuple(vals)))
            continue
        if spec.get("dist", "uniform") != "uniform":
            specs.append(_dist_spec(key, spec, current, where, k))
            continue
        if "min" not in spec or "max" not in spec:
            raise _err("a range needs both min and max (or give values = [..])", where, k)
        lo, hi = spec["min"], spec["max"]
        if not (_num(lo) and _num(hi)) or not (math.isfinite(lo) and math.isfinite(hi)):
            raise _err(f"min and max must be finite numbers, got {lo!r}, {hi!r}", where, k)
        if not _num(current):
            raise _err(
                f"parameter is {type(current).__name__} ({current!r}), not numeric: list its values = [..] instead",
                where,
                k,
            )
        if not lo < hi:
            raise _err(f"empty or inverted range: min={lo} must be < max={hi}", where, k)
        integer = bool(
            spec.get("integer", isinstance(current, int) and not isinstance(current, bool))
        )
        if integer and int(round(lo)) == int(round(hi)):
            raise _err(f"integer range [{lo}, {hi}] holds a single value", where, k)
        steps = spec.get("steps")
        if steps is not None and (
            not isinstance(steps, int) or isinstance(steps, bool) or steps < 2
        ):
            raise _err(f"steps must be an integer >= 2, got {steps!r}", where, k)
        if steps is not None and method != "grid":
            raise _err(f'steps apply to design = "grid" only (this sweep is {method!r})', where, k)
        specs.append(
            ParamSpec(key=key, low=float(lo), high=float(hi), steps=steps, integer=integer)
        )
    # let the core validate the extremes (types, allowed ranges) before anything runs
    for ps in specs:
        if ps.values is not None:
            probes = list(ps.values)
        elif ps.dist is not None:  # the extreme quantiles a design can draw
            probes = [ps.value(0.0), ps.value(1.0)]
        else:
            probes = [ps.cast(ps.low), ps.cast(ps.high)]
        for v in probes:
            try:
                adapter.apply_point(base, {ps.key: v})
            except UserError as exc:
                raise _err(
                    f"value {v!r} rejected by the scenario: {exc.detail}",
                    where,
                    f"parameters.{ps.key}",
                ) from None
            except (ValueError, TypeError, KeyError) as exc:
                raise _err(
                    f"value {v!r} rejected by the scenario: {exc}", where, f"parameters.{ps.key}"
                ) from None
    return specs
