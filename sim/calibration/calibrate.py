"""Fitting free parameters to the targets with optuna (seeded TPE, resumable SQLite study).

Each trial proposes values for the free parameters, runs the scenario (and the counterfactual
structures the targets need) over the same replicate seeds, and scores the summed target loss.
The study lives in ``OUT/study.db``: running the same command again continues it up to the
requested number of trials. The best trial is written as a scenario file that ``extends`` the
calibrated scenario (``OUT/calibrated.toml``) together with its loss per target
(``OUT/loss_per_target.csv``) and the trial history (``OUT/trials.csv``).
"""

from __future__ import annotations

import json
import math
import os
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import tomli_w

from sim.calibration.runs import (
    Runner,
    apply_overrides,
    default_runner,
    make_executor,
    run_quantities,
)
from sim.calibration.targets import Target, TargetResult, results_frame, score, total_loss
from sim.errors import UserError
from sim.io_safety import folder_lock, read_text

STUDY_NAME = "syriasim-calibrate"
STUDY_FILE = "study.db"
SCENARIO_FILE = "calibrated.toml"
LOSS_FILE = "loss_per_target.csv"
TRIALS_FILE = "trials.csv"
VALIDATION_FILE = "validation.csv"


@dataclass(frozen=True)
class FreeParam:
    """A parameter to fit: dotted scenario key and bounds (``log``: sample on a log scale)."""

    key: str
    low: float
    high: float
    log: bool = False
    integer: bool = False

    def __post_init__(self):
        if not self.key or "=" in self.key or self.key != self.key.strip():
            raise UserError(f"bad parameter key {self.key!r}", key=self.key)
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.low >= self.high:
            raise UserError(
                f"bounds must satisfy low < high, got {self.low}:{self.high}", key=self.key
            )
        if self.log and self.low <= 0:
            raise UserError(
                f"log-scaled bounds must be > 0, got {self.low}:{self.high}", key=self.key
            )

    def suggest(self, trial) -> float | int:
        if self.integer:
            return trial.suggest_int(self.key, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.key, self.low, self.high, log=self.log)

    def spec(self) -> str:
        flags = (":log" if self.log else "") + (":int" if self.integer else "")
        return f"{self.key}={self.low:g}:{self.high:g}{flags}"


def parse_param(text: str) -> FreeParam:
    """Parse ``KEY=LOW:HIGH[:log][:int]`` (e.g. ``rules.compliance.params.pressure_weight=0.5:4``)."""
    if "=" not in text:
        raise UserError(f"--param {text!r} must look like KEY=LOW:HIGH[:log][:int]")
    key, _, spec = text.partition("=")
    parts = spec.split(":")
    flags = {p.strip().lower() for p in parts[2:]}
    if len(parts) < 2 or flags - {"log", "int"}:
        raise UserError(
            f"--param {text!r} must look like KEY=LOW:HIGH[:log][:int]; allowed flags: log, int"
        )
    try:
        low, high = float(parts[0]), float(parts[1])
    except ValueError:
        raise UserError(f"--param {text!r}: bounds must be numbers") from None
    return FreeParam(key.strip(), low, high, log="log" in flags, integer="int" in flags)


def parse_set(text: str) -> tuple[str, Any]:
    """A ``--set`` item as (key, typed value), read as the scenario reads it."""
    from sim.scenario import parse_value, split_set

    key, value = split_set(text)
    return key, parse_value(value)


def load_param_file(path: str | Path) -> tuple[list[FreeParam], dict[str, Any]]:
    """Read free parameters (and fixed settings) from a TOML file::

    [param."rules.compliance.params.pressure_weight"]
    low = 0.5
    high = 4.0
    log = false          # optional
    [set]                # optional fixed overrides, e.g. a different rule
    "rules.compliance.name" = "threshold"
    """
    file = str(path)
    try:
        raw = tomllib.loads(read_text(path, missing="parameter file not found"))
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"not valid TOML ({exc})", file=file) from None
    unknown = set(raw) - {"param", "set"}
    if unknown:
        raise UserError(
            f"unknown key(s) {', '.join(sorted(unknown))}; allowed: param, set", file=file
        )
    params = []
    for key, spec in (raw.get("param") or {}).items():
        if not isinstance(spec, Mapping):
            raise UserError(
                "must be a table with low, high (and optional log, int)",
                file=file,
                key=f"param.{key}",
            )
        bad = set(spec) - {"low", "high", "log", "int"}
        if bad or "low" not in spec or "high" not in spec:
            raise UserError(
                "needs low and high; allowed keys: low, high, log, int",
                file=file,
                key=f"param.{key}",
            )
        try:
            params.append(
                FreeParam(
                    key,
                    float(spec["low"]),
                    float(spec["high"]),
                    bool(spec.get("log", False)),
                    bool(spec.get("int", False)),
                )
            )
        except (TypeError, ValueError):
            raise UserError("low and high must be numbers", file=file, key=f"param.{key}") from None
        except UserError as exc:
            raise UserError(exc.detail, file=file, key=f"param.{key}") from None
    fixed = raw.get("set") or {}
    if not isinstance(fixed, Mapping):
        raise UserError("must be a table of KEY = value", file=file, key="set")
    return params, dict(fixed)


# --------------------------------------------------------------------------------------------
# Scenario file output
# --------------------------------------------------------------------------------------------


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in sorted(flat):
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise UserError(f"conflicting keys around {key!r}")
        node[parts[-1]] = flat[key]
    return out


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.6g}")
    return value


def write_scenario(
    path: str | Path,
    *,
    base_path: str | Path | None,
    name: str,
    values: Mapping[str, Any],
    header: str = "",
    description: str = "",
) -> Path:
    """Write a scenario file that ``extends`` ``base_path`` (relative to the new file) and sets
    ``values`` (dotted keys, nested into TOML tables)."""
    path = Path(path)
    doc: dict[str, Any] = {"name": name}
    if description:
        doc["description"] = description
    if base_path is not None:
        doc["extends"] = os.path.relpath(Path(base_path).resolve(), path.parent.resolve())
    doc.update(_nest({k: _round(v) for k, v in values.items()}))
    text = tomli_w.dumps(doc)
    if header:
        text = (
            "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines()) + "\n" + text
        )
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


# --------------------------------------------------------------------------------------------
# The optimisation
# --------------------------------------------------------------------------------------------


@dataclass
class CalibrationResult:
    out_dir: Path
    best_values: dict[str, Any]
    best_loss: float
    table: pd.DataFrame  # loss per target of the best trial
    n_trials: int  # completed trials in the study
    n_new: int  # trials run by this call
    seconds: float
    scenario_file: Path
    validation: pd.DataFrame | None = None  # the best parameters re-scored on fresh seeds


def _study_signature(scenario, params, targets, seeds, fixed) -> dict[str, Any]:
    return {
        "scenario": getattr(scenario, "hash", None) or getattr(scenario, "name", ""),
        "params": [p.spec() for p in params],
        "targets": [t.id for t in targets],
        "seeds": list(seeds),
        "set": {k: repr(v) for k, v in sorted(fixed.items())},
    }


def _results_attr(results: Sequence[TargetResult]) -> dict[str, list]:
    return {
        r.target.id: [r.mean, r.quantile(0.05), r.quantile(0.95), bool(r.passed), r.loss]
        for r in results
    }


def _table_from_attr(targets: Sequence[Target], attr: Mapping[str, Sequence]) -> pd.DataFrame:
    rows = []
    for t in targets:
        mean, p05, p95, passed, loss = attr.get(t.id, [math.nan] * 3 + [False, math.nan])
        rows.append(
            {
                "id": t.id,
                "group": t.group,
                "observed": t.observed,
                "rule": t.rule(),
                "model_mean": mean,
                "model_p05": p05,
                "model_p95": p95,
                "pass": bool(passed),
                "loss": loss,
                "weight": t.weight,
                "source": t.source,
            }
        )
    return pd.DataFrame(rows)


def calibrate(
    scenario,
    params: Sequence[FreeParam],
    targets: Sequence[Target],
    *,
    out_dir: str | Path,
    trials: int = 30,
    seeds: Sequence[int] = tuple(range(8)),
    sampler_seed: int = 0,
    jobs: int = 2,
    fixed: Mapping[str, Any] | None = None,
    base_path: str | Path | None = None,
    timeout: float | None = None,
    fresh: bool = False,
    validate_seeds: int = 0,
    margin: float = 0.0,
    runner: Runner = default_runner,
    log: Callable[[str], None] = print,
) -> CalibrationResult:
    """Fit ``params`` to ``targets`` over ``seeds`` with a seeded TPE sampler.

    ``scenario`` is the scenario to calibrate, already carrying the ``fixed`` overrides (they are
    recorded in the output scenario file). The study is stored in ``out_dir/study.db``; calling
    again with the same arguments resumes it until ``trials`` trials are complete. With
    ``margin`` > 0 each target is scored at the worse of mean -/+ margin standard errors, so the
    fit clears its bounds by that much and holds out of sample (pass/fail still uses the mean).
    """
    import optuna

    if not params:
        raise UserError("no free parameters: give --param KEY=LOW:HIGH or --params-file")
    if not (math.isfinite(margin) and margin >= 0):
        raise UserError(f"--margin must be a number >= 0, got {margin}")
    keys = [p.key for p in params]
    if len(set(keys)) != len(keys):
        raise UserError(f"a parameter is named twice: {', '.join(keys)}")
    fixed = dict(fixed or {})
    out_dir = Path(out_dir)
    db = out_dir / STUDY_FILE
    # Validate every parameter key (and bound) against the scenario before anything is created
    # or deleted (a mistyped --param leaves the folder, and a study --fresh would drop, intact).
    for p in params:
        for bound in (p.low, p.high):
            try:
                apply_overrides(scenario, {p.key: int(bound) if p.integer else bound}, "--param")
            except UserError as exc:
                if "integer" in str(exc) and not p.integer:
                    raise UserError(f"{exc} (an integer parameter: write {p.spec()}:int)") from None
                raise

    signature = _study_signature(scenario, params, targets, seeds, fixed)
    if margin:
        signature["margin"] = margin
    out_dir.mkdir(parents=True, exist_ok=True)
    lock = folder_lock(out_dir, "another calibration is writing to this folder right now")
    try:
        if fresh and db.exists():
            db.unlink()
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        storage = f"sqlite:///{db.resolve()}"
        study = optuna.create_study(
            storage=storage, study_name=STUDY_NAME, direction="minimize", load_if_exists=True
        )
        stored = study.user_attrs.get("signature")
        if stored is None:
            study.set_user_attr("signature", signature)
        elif json.loads(json.dumps(stored)) != json.loads(json.dumps(signature)):
            raise UserError(
                f"{db} holds a study of a different calibration (scenario, parameters, targets or seeds "
                "differ); use another --out or pass --fresh to start over"
            )
        requeue_stale_trials(study, keys)
        if not study.trials:
            # The first trial scores the scenario as it stands (values clipped to the bounds), so a
            # calibration never ends worse than where it started.
            start = {}
            for p in params:
                value = scenario.get(p.key)  # validated above: the key exists
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    v = min(max(float(value), p.low), p.high)
                    start[p.key] = int(round(v)) if p.integer else v
            if len(start) == len(params):
                study.enqueue_trial(start, user_attrs={"start": True})
        done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
        remaining = max(0, trials - len(done))
        # A resumed study gets a different (but deterministic) sampler stream.
        study.sampler = optuna.samplers.TPESampler(
            seed=sampler_seed + len(study.trials),
            n_startup_trials=max(4, min(10, trials // 3)),
            multivariate=True,
        )

        started = time.perf_counter()
        executor = make_executor(jobs)

        def objective(trial) -> float:
            values = {p.key: p.suggest(trial) for p in params}
            sc = apply_overrides(scenario, values, "--param")
            t0 = time.perf_counter()
            per_seed = run_quantities(
                sc, targets, seeds, jobs=jobs, executor=executor, runner=runner
            )
            results = score(targets, per_seed)
            loss = total_loss(results, margin)
            trial.set_user_attr("targets", _results_attr(results))
            trial.set_user_attr("passed", sum(r.passed for r in results))
            trial.set_user_attr("seconds", time.perf_counter() - t0)
            log(
                f"trial {trial.number}: loss {loss:.4g}, {sum(r.passed for r in results)}/{len(results)} targets pass "
                f"({time.perf_counter() - t0:.1f}s) "
                + ", ".join(f"{k}={v:.4g}" for k, v in values.items())
            )
            return loss

        try:
            if remaining:
                study.optimize(objective, n_trials=remaining, timeout=timeout, gc_after_trial=False)
        finally:
            if executor is not None:
                executor.shutdown()
        seconds = time.perf_counter() - started

        complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
        if not complete:
            raise UserError("no trial completed")
        # the best completed trial; the starting point is one of them (trial 0, re-queued if a kill
        # interrupted it), so the written scenario never scores worse than where the fit started
        best = min(complete, key=lambda t: (t.value, not t.user_attrs.get("start", False)))
        best_values = {p.key: best.params[p.key] for p in params}
        table = _table_from_attr(targets, best.user_attrs.get("targets", {}))
        table.to_csv(out_dir / LOSS_FILE, index=False)
        study.trials_dataframe().to_csv(out_dir / TRIALS_FILE, index=False)

        base_name = getattr(scenario, "name", "scenario")
        header = (
            f"Written by `syriasim calibrate` from trial {best.number} of {len(complete)} "
            f"(loss {best.value:.6g}, {best.user_attrs.get('passed', '?')}/{len(targets)} targets pass "
            f"over {len(seeds)} seeds).\n"
            f"Free parameters: {'; '.join(p.spec() for p in params)}\n"
            f"Loss per target: {LOSS_FILE}; study: {STUDY_FILE} (optuna, TPE seed {sampler_seed})."
        )
        scenario_file = write_scenario(
            out_dir / SCENARIO_FILE,
            base_path=base_path or getattr(scenario, "path", None),
            name=f"{base_name}-calibrated",
            values={**fixed, **best_values},
            header=header,
        )
        validation = None
        if validate_seeds:
            # The best of many noisy trials flatters itself: re-score it on seeds not used in the fit.
            fresh_seeds = [max(seeds) + 1 + i for i in range(validate_seeds)]
            best_scenario = apply_overrides(scenario, best_values, "--param")
            validation = evaluate_table(
                best_scenario, targets, fresh_seeds, jobs=jobs, runner=runner
            )
            validation.to_csv(out_dir / VALIDATION_FILE, index=False)
            log(
                f"validation on {validate_seeds} fresh seeds: {int(validation['pass'].sum())}/{len(validation)} "
                f"targets pass, loss {validation['loss'].sum():.4g}"
            )
        return CalibrationResult(
            out_dir=out_dir,
            best_values=best_values,
            best_loss=float(best.value),
            table=table,
            n_trials=len(complete),
            n_new=len(complete) - len(done),
            seconds=seconds,
            scenario_file=scenario_file,
            validation=validation,
        )
    finally:
        lock.close()


def requeue_stale_trials(study, keys: Sequence[str]) -> int:
    """Trials left RUNNING by a killed calibration (the folder lock proves no one runs them) are
    marked failed and their parameters queued again, so a resume scores them (trial 0, the
    starting point, included). Returns how many were re-queued."""
    import optuna

    n = 0
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        values = {**t.system_attrs.get("fixed_params", {}), **t.params}
        study._storage.set_trial_state_values(t._trial_id, optuna.trial.TrialState.FAIL)
        if all(k in values for k in keys):
            study.enqueue_trial({k: values[k] for k in keys}, user_attrs=dict(t.user_attrs))
            n += 1
    return n


def evaluate_table(
    scenario, targets, seeds, *, jobs=2, runner: Runner = default_runner
) -> pd.DataFrame:
    """Convenience: evaluate targets for one scenario and return the results table."""
    per_seed = run_quantities(scenario, targets, seeds, jobs=jobs, runner=runner)
    return results_frame(score(targets, per_seed))
