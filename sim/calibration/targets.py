"""Calibration targets as data: loading, validation and evaluation over seeds.

A target file (default: the shipped ``sim/data/targets.toml``) lists ``[[target]]`` tables.
Each names one observed fact, the model quantities it compares with (``[target.q.NAME]``: a
column of the weekly ``timeseries`` or ``monthly`` table over a date window with an aggregation,
or a run metric, optionally under a counterfactual ``scenario`` override), an arithmetic
``expr`` combining them per seed, and a pass rule (``check``/``value``/``tolerance``) applied to
the mean over seeds. See docs/CALIBRATION.md.
"""

from __future__ import annotations

import ast
import math
import operator
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import UserError
from sim.io_safety import read_text

TABLES = ("timeseries", "monthly", "metrics")
AGGS = ("mean", "sum", "max", "min", "first", "last", "median", "spell_mean", "spell_max")
CHECKS = (">=", ">", "<=", "<", "near")
TARGET_KEYS = {
    "id",
    "group",
    "description",
    "period",
    "source",
    "observed",
    "observed_note",
    "check",
    "value",
    "tolerance",
    "scale",
    "weight",
    "expr",
    "q",
}
Q_KEYS = {"table", "column", "metric", "start", "end", "agg", "scenario", "events"}

#: A target's shortfall counts at most this many scales (so one wild target cannot swamp the rest).
MAX_SHORTFALL = 10.0
#: Loss of a target whose model value is undefined (NaN) in every seed: worse than any real value.
NAN_LOSS = MAX_SHORTFALL**2 + 1.0


def default_targets_path() -> Path:
    """The shipped targets file."""
    return Path(str(resources.files("sim") / "data" / "targets.toml"))


# --------------------------------------------------------------------------------------------
# Data classes
# --------------------------------------------------------------------------------------------


def _freeze(overrides: Mapping[str, Any] | None) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((overrides or {}).items()))


#: A structure to run: (frozen dotted overrides, frozen event patches {selector: {field: value}}).
Variant = tuple[tuple[tuple[str, Any], ...], tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]]
BASE_VARIANT: Variant = ((), ())


def describe_variant(variant: Variant) -> str:
    overrides, events = variant
    parts = [f"{k}={v}" for k, v in overrides]
    parts += [f"events[{sel}].{k}={v}" for sel, fields in events for k, v in fields]
    return " under " + ", ".join(parts) if parts else ""


@dataclass(frozen=True)
class Quantity:
    """One model quantity: an aggregate of a column over a date window, in one structure."""

    name: str
    table: str
    column: str  # column name, or metric name when table == "metrics"
    start: str | None = None
    end: str | None = None
    agg: str = "mean"
    scenario: tuple[tuple[str, Any], ...] = ()  # frozen overrides (empty: the scenario itself)
    events: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()  # frozen event patches

    @property
    def variant(self) -> Variant:
        return (self.scenario, self.events)

    def describe(self) -> str:
        if self.table == "metrics":
            text = f"metrics[{self.column}]"
        else:
            text = f"{self.agg}({self.table}.{self.column}, {self.start}..{self.end})"
        return text + describe_variant(self.variant)

    def evaluate(
        self, timeseries: pd.DataFrame | None, monthly: pd.DataFrame | None, metrics
    ) -> float:
        """The quantity for one run (NaN when the window holds no rows)."""
        if self.table == "metrics":
            if self.column not in (metrics or {}):
                raise UserError(
                    f"metric {self.column!r} is not reported by the model; "
                    f"available: {', '.join(sorted(metrics or {})) or 'none'}",
                    key=f"q.{self.name}.metric",
                )
            return float(metrics[self.column])
        frame = timeseries if self.table == "timeseries" else monthly
        if frame is None:
            raise UserError(f"the model returned no {self.table} table", key=f"q.{self.name}")
        if self.column not in frame.columns:
            raise UserError(
                f"column {self.column!r} is not in the model's {self.table} table; "
                f"available: {', '.join(map(str, frame.columns))}",
                key=f"q.{self.name}.column",
            )
        values = _window(frame, self.table, self.start, self.end)[self.column]
        return aggregate(values.to_numpy(dtype=float), self.agg)


def _window(frame: pd.DataFrame, table: str, start: str | None, end: str | None) -> pd.DataFrame:
    if table == "monthly":
        months = frame["month"].astype(str)
        mask = np.ones(len(frame), dtype=bool)
        if start:
            mask &= (months >= start[:7]).to_numpy()
        if end:
            mask &= (months <= end[:7]).to_numpy()
        return frame.loc[mask]
    dates = pd.to_datetime(frame["date"])
    mask = np.ones(len(frame), dtype=bool)
    if start:
        mask &= (dates >= _start_date(start)).to_numpy()
    if end:
        mask &= (dates <= end_date(end)).to_numpy()
    return frame.loc[mask]


def _start_date(text: str) -> pd.Timestamp:
    return pd.Timestamp(text + "-01" if len(text) == 7 else text)


def end_date(text: str) -> pd.Timestamp:
    if len(text) == 7:
        return pd.Timestamp(text + "-01") + pd.offsets.MonthEnd(0)
    return pd.Timestamp(text)


def _spells(values: np.ndarray) -> list[int]:
    """Lengths of consecutive runs of positive values."""
    lengths, current = [], 0
    for v in values:
        if v > 0:
            current += 1
        elif current:
            lengths.append(current)
            current = 0
    if current:
        lengths.append(current)
    return lengths


def aggregate(values: np.ndarray, agg: str) -> float:
    """Aggregate a window of values. Empty windows give NaN (spells give 0)."""
    values = values[~np.isnan(values)] if agg not in ("spell_mean", "spell_max") else values
    if agg in ("spell_mean", "spell_max"):
        spells = _spells(np.nan_to_num(values))
        if not spells:
            return 0.0
        return float(np.mean(spells) if agg == "spell_mean" else max(spells))
    if values.size == 0:
        return math.nan
    match agg:
        case "mean":
            return float(values.mean())
        case "sum":
            return float(values.sum())
        case "max":
            return float(values.max())
        case "min":
            return float(values.min())
        case "first":
            return float(values[0])
        case "last":
            return float(values[-1])
        case "median":
            return float(np.median(values))
    raise ValueError(agg)


_BINOPS: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def _compile_expr(text: str) -> tuple[ast.expr, set[str]]:
    """Parse a target expression; only numbers, names, + - * / and unary minus are allowed."""
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError as exc:
        raise ValueError(f"cannot parse {text!r}") from exc
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINOPS:
                raise ValueError(f"operator not allowed in {text!r}; allowed: + - * /")
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub | ast.UAdd):
                raise ValueError(f"operator not allowed in {text!r}; allowed: + - * /")
        elif isinstance(node, ast.Constant):
            if not isinstance(node.value, int | float) or isinstance(node.value, bool):
                raise ValueError(f"only numbers are allowed as constants in {text!r}")
        elif not isinstance(node, ast.Load | ast.operator | ast.unaryop):
            raise ValueError(
                f"{type(node).__name__} not allowed in {text!r}; allowed: numbers, names, + - * / ( )"
            )
    return tree, names


def _eval_expr(node: ast.expr, env: Mapping[str, float]) -> float:
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return float(env[node.id])
    if isinstance(node, ast.UnaryOp):
        value = _eval_expr(node.operand, env)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        left, right = _eval_expr(node.left, env), _eval_expr(node.right, env)
        if isinstance(node.op, ast.Div) and (right == 0 or math.isnan(right)):
            return math.nan
        return _BINOPS[type(node.op)](left, right)
    raise ValueError(type(node).__name__)


@dataclass(frozen=True)
class Target:
    id: str
    group: str
    description: str
    period: str
    source: str
    observed: float
    check: str
    value: float
    expr: str
    quantities: tuple[Quantity, ...]
    observed_note: str = ""
    tolerance: float = 0.0
    scale: float = 1.0
    weight: float = 1.0
    _tree: Any = field(default=None, compare=False, repr=False)

    @property
    def variants(self) -> set[Variant]:
        return {q.variant for q in self.quantities}

    @property
    def is_ordering(self) -> bool:
        return len(self.variants) > 1

    def rule(self) -> str:
        """The pass rule in words, e.g. '>= 0.95' or '0.40 ± 0.10'."""
        if self.check == "near":
            return f"{_fmt(self.value)} ± {_fmt(self.tolerance)}"
        return f"{self.check} {_fmt(self.value)}"

    def value_for_seed(self, env: Mapping[str, float]) -> float:
        return _eval_expr(self._tree, env)

    def passes(self, mean: float) -> bool:
        if mean is None or math.isnan(mean):
            return False
        v, tol = self.value, self.tolerance
        match self.check:
            case ">=":
                return mean >= v - tol
            case ">":
                return mean > v - tol
            case "<=":
                return mean <= v + tol
            case "<":
                return mean < v + tol
            case "near":
                return abs(mean - v) <= tol + 1e-12
        raise ValueError(self.check)

    def shortfall(self, mean: float) -> float:
        """How far (in units of the quantity) the mean lies outside the pass region (0 inside)."""
        v, tol = self.value, self.tolerance
        match self.check:
            case ">=" | ">":
                return max(0.0, (v - tol) - mean)
            case "<=" | "<":
                return max(0.0, mean - (v + tol))
            case "near":
                return max(0.0, abs(mean - v) - tol)
        raise ValueError(self.check)

    def loss(self, mean: float) -> float:
        """Calibration loss: weight * min(shortfall / scale, 10)^2, plus a small pull to the centre of
        ``near`` targets and a unit step for a failed strict inequality sitting on its bound."""
        if mean is None or math.isnan(mean):
            return self.weight * NAN_LOSS
        loss = min(self.shortfall(mean) / self.scale, MAX_SHORTFALL) ** 2
        if self.check == "near" and self.tolerance > 0:
            loss += 0.05 * ((mean - self.value) / self.tolerance) ** 2
        if not self.passes(mean):
            loss += 0.1  # a fail always costs something, even at zero shortfall
        return self.weight * loss


def _fmt(x: float) -> str:
    return f"{x:.4g}"


# --------------------------------------------------------------------------------------------
# Loading and validation
# --------------------------------------------------------------------------------------------


def _num(raw: Mapping, key: str, where: str, file: str, *, required: bool, default=None) -> float:
    if key not in raw:
        if required:
            raise UserError(f"missing key {key!r} (a number)", file=file, key=where)
        return default
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise UserError(f"{key} must be a number, got {value!r}", file=file, key=f"{where}.{key}")
    return float(value)


def _str(
    raw: Mapping, key: str, where: str, file: str, *, required: bool = True, default=""
) -> str:
    if key not in raw:
        if required:
            raise UserError(f"missing key {key!r} (a non-empty string)", file=file, key=where)
        return default
    value = raw[key]
    if not isinstance(value, str) or (required and not value.strip()):
        raise UserError(
            f"{key} must be a non-empty string, got {value!r}", file=file, key=f"{where}.{key}"
        )
    return value


def _date(text: Any, key: str, file: str) -> str:
    if not isinstance(text, str):
        raise UserError(
            f"must be a date string YYYY-MM or YYYY-MM-DD, got {text!r}", file=file, key=key
        )
    try:
        pd.Timestamp(text + "-01" if len(text) == 7 else text)
        if len(text) not in (7, 10):
            raise ValueError
    except ValueError:
        raise UserError(
            f"must be a date YYYY-MM or YYYY-MM-DD, got {text!r}", file=file, key=key
        ) from None
    return text


def _parse_quantity(name: str, raw: Any, where: str, file: str) -> Quantity:
    if not isinstance(raw, Mapping):
        raise UserError("must be a table", file=file, key=where)
    unknown = set(raw) - Q_KEYS
    if unknown:
        raise UserError(
            f"unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(Q_KEYS))}",
            file=file,
            key=where,
        )
    table = raw.get("table")
    if table not in TABLES:
        raise UserError(
            f"table must be one of {', '.join(TABLES)}, got {table!r}",
            file=file,
            key=f"{where}.table",
        )
    scenario = raw.get("scenario", {})
    if not isinstance(scenario, Mapping) or not all(isinstance(k, str) for k in scenario):
        raise UserError(
            "scenario must be a table of dotted overrides", file=file, key=f"{where}.scenario"
        )
    for k, v in scenario.items():
        if isinstance(v, Mapping | list):
            raise UserError(f"override {k!r} must be a scalar", file=file, key=f"{where}.scenario")
    events = raw.get("events", {})
    if not isinstance(events, Mapping) or not all(
        isinstance(v, Mapping) and v for v in events.values()
    ):
        raise UserError(
            'events must be a table {SELECTOR = {field = value}}, SELECTOR an event id or "type:TYPE"',
            file=file,
            key=f"{where}.events",
        )
    frozen_events = tuple(sorted((sel, _freeze(fields)) for sel, fields in events.items()))
    if table == "metrics":
        metric = _str(raw, "metric", where, file)
        return Quantity(name, table, metric, scenario=_freeze(scenario), events=frozen_events)
    column = _str(raw, "column", where, file)
    agg = raw.get("agg", "mean")
    if agg not in AGGS:
        raise UserError(
            f"agg must be one of {', '.join(AGGS)}, got {agg!r}", file=file, key=f"{where}.agg"
        )
    start = _date(raw["start"], f"{where}.start", file) if "start" in raw else None
    end = _date(raw["end"], f"{where}.end", file) if "end" in raw else None
    if start and end and _start_date(start) > end_date(end):
        raise UserError(f"start {start} is after end {end}", file=file, key=where)
    return Quantity(name, table, column, start, end, agg, _freeze(scenario), frozen_events)


def _parse_target(raw: Any, index: int, file: str) -> Target:
    where = f"target[{index}]"
    if not isinstance(raw, Mapping):
        raise UserError("each [[target]] must be a table", file=file, key=where)
    if isinstance(raw.get("id"), str):
        where = f"target[{index}] ({raw['id']})"
    unknown = set(raw) - TARGET_KEYS
    if unknown:
        raise UserError(
            f"unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(TARGET_KEYS))}",
            file=file,
            key=where,
        )
    tid = _str(raw, "id", where, file)
    check = raw.get("check")
    if check not in CHECKS:
        raise UserError(
            f"check must be one of {', '.join(CHECKS)}, got {check!r}",
            file=file,
            key=f"{where}.check",
        )
    value = _num(raw, "value", where, file, required=True)
    tolerance = _num(raw, "tolerance", where, file, required=check == "near", default=0.0)
    if tolerance < 0 or (check == "near" and tolerance == 0):
        raise UserError(
            f"tolerance must be {'> 0' if check == 'near' else '>= 0'}, got {tolerance}",
            file=file,
            key=f"{where}.tolerance",
        )
    default_scale = tolerance if tolerance > 0 else max(abs(value), 0.01)
    scale = _num(raw, "scale", where, file, required=False, default=default_scale)
    weight = _num(raw, "weight", where, file, required=False, default=1.0)
    if scale <= 0:
        raise UserError(f"scale must be > 0, got {scale}", file=file, key=f"{where}.scale")
    if weight < 0:
        raise UserError(f"weight must be >= 0, got {weight}", file=file, key=f"{where}.weight")
    q_raw = raw.get("q")
    if not isinstance(q_raw, Mapping) or not q_raw:
        raise UserError("needs at least one quantity [target.q.NAME]", file=file, key=f"{where}.q")
    quantities = tuple(_parse_quantity(n, r, f"{where}.q.{n}", file) for n, r in q_raw.items())
    expr = raw.get("expr")
    if expr is None:
        if len(quantities) != 1:
            raise UserError(
                "expr is required when a target has several quantities",
                file=file,
                key=f"{where}.expr",
            )
        expr = quantities[0].name
    if not isinstance(expr, str):
        raise UserError(f"expr must be a string, got {expr!r}", file=file, key=f"{where}.expr")
    try:
        tree, names = _compile_expr(expr)
    except ValueError as exc:
        raise UserError(str(exc), file=file, key=f"{where}.expr") from None
    known = {q.name for q in quantities}
    if names - known:
        raise UserError(
            f"expr uses undefined quantity {', '.join(sorted(names - known))}; defined: {', '.join(sorted(known))}",
            file=file,
            key=f"{where}.expr",
        )
    return Target(
        id=tid,
        group=_str(raw, "group", where, file),
        description=_str(raw, "description", where, file),
        period=_str(raw, "period", where, file),
        source=_str(raw, "source", where, file),
        observed=_num(raw, "observed", where, file, required=True),
        observed_note=_str(raw, "observed_note", where, file, required=False),
        check=check,
        value=value,
        tolerance=tolerance,
        scale=scale,
        weight=weight,
        expr=expr,
        quantities=quantities,
        _tree=tree,
    )


def load_targets(
    path: str | Path | None = None,
    *,
    groups: Iterable[str] | None = None,
    record_only: bool = True,
) -> list[Target]:
    """Load and validate a targets file (default: the shipped one).

    Raises ``UserError`` (one line naming the file, the key and what is allowed) on any mistake.
    ``groups`` keeps only targets of those groups (unknown group names are an error).
    With ``record_only`` (the default) every quantity must come from the scenario itself: a
    comparison between structures is a finding to evaluate, never a target to fit.
    """
    path = Path(path) if path is not None else default_targets_path()
    file = str(path)
    try:
        raw = tomllib.loads(read_text(path, missing="targets file not found"))
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"not valid TOML ({exc})", file=file) from None
    unknown = set(raw) - {"version", "target", "observation"}
    if unknown:
        raise UserError(
            f"unknown top-level key(s) {', '.join(sorted(unknown))}; allowed: version, target, observation",
            file=file,
        )
    entries = raw.get("target")
    if not isinstance(entries, list) or not entries:
        raise UserError("no [[target]] tables found", file=file, key="target")
    targets = [_parse_target(entry, i, file) for i, entry in enumerate(entries)]
    seen: set[str] = set()
    for t in targets:
        if t.id in seen:
            raise UserError(f"duplicate target id {t.id!r}", file=file, key="target.id")
        seen.add(t.id)
    for i, t in enumerate(targets):
        if record_only and t.variants != {BASE_VARIANT}:
            raise UserError(
                "a target compares the scenario with the record only; q.*.scenario and "
                "q.*.events (counterfactual structures) are not allowed: comparisons between "
                "structures are claims that `syriasim effectiveness` evaluates",
                file=file,
                key=f"target[{i}] ({t.id})",
            )
    if groups is not None:
        groups = list(groups)
        available = sorted({t.group for t in targets})
        bad = [g for g in groups if g not in available]
        if bad:
            raise UserError(
                f"unknown target group {', '.join(bad)}; allowed: {', '.join(available)}", file=file
            )
        targets = [t for t in targets if t.group in groups]
    return targets


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------


def quantities_by_variant(targets: Sequence[Target]) -> dict[tuple, list[Quantity]]:
    """The distinct quantities (by definition, whatever their names) each structure must yield."""
    out: dict[tuple, list[Quantity]] = {}
    seen: set[tuple] = set()
    for t in targets:
        for q in t.quantities:
            key = quantity_key(q)
            if key not in seen:
                seen.add(key)
                out.setdefault(q.variant, []).append(q)
    return out


def quantity_key(q: Quantity) -> tuple:
    """A hashable identity of a quantity's definition (shared by targets that define it alike)."""
    return (q.table, q.column, q.start, q.end, q.agg, q.variant)


@dataclass
class TargetResult:
    target: Target
    values: np.ndarray  # per-seed values (NaN where undefined)

    @property
    def mean(self) -> float:
        finite = self.values[~np.isnan(self.values)]
        return float(finite.mean()) if finite.size else math.nan

    def quantile(self, q: float) -> float:
        finite = self.values[~np.isnan(self.values)]
        return float(np.quantile(finite, q)) if finite.size else math.nan

    @property
    def passed(self) -> bool:
        return self.target.passes(self.mean)

    @property
    def loss(self) -> float:
        return self.target.loss(self.mean)

    @property
    def seed_share_passing(self) -> float:
        """Share of seeds whose own value meets the rule (informative; pass uses the mean)."""
        if not self.values.size:
            return math.nan
        return float(np.mean([self.target.passes(v) for v in self.values]))

    @property
    def standard_error(self) -> float:
        """Standard error of the mean over seeds (0 with fewer than two finite values)."""
        finite = self.values[~np.isnan(self.values)]
        return float(finite.std(ddof=1)) / math.sqrt(finite.size) if finite.size >= 2 else 0.0

    def robust_loss(self, margin: float = 0.0) -> float:
        """Loss of the worse of mean - margin * SE and mean + margin * SE: with margin > 0 a fit
        must clear each bound by that many standard errors, so it holds on fresh seeds too."""
        if margin <= 0:
            return self.loss
        se = self.standard_error
        return max(
            self.target.loss(self.mean - margin * se), self.target.loss(self.mean + margin * se)
        )

    @property
    def t_stat(self) -> float:
        """(mean - value) / standard error over seeds: how clearly the mean sits on its side of
        the bound (informative; |t| < 2 means the seeds cannot tell the difference from noise)."""
        if np.count_nonzero(~np.isnan(self.values)) < 2:
            return math.nan
        se = self.standard_error
        diff = self.mean - self.target.value
        if se == 0:
            return math.copysign(math.inf, diff) if diff else 0.0
        return diff / se

    def row(self) -> dict[str, Any]:
        t = self.target
        return {
            "id": t.id,
            "group": t.group,
            "description": t.description,
            "period": t.period,
            "observed": t.observed,
            "observed_note": t.observed_note,
            "rule": t.rule(),
            "model_mean": self.mean,
            "model_p05": self.quantile(0.05),
            "model_p95": self.quantile(0.95),
            "seeds": int(self.values.size),
            "seeds_passing": self.seed_share_passing,
            "t_stat": self.t_stat,
            "pass": self.passed,
            "loss": self.loss,
            "source": t.source,
        }


def score(
    targets: Sequence[Target], per_seed: Mapping[tuple, Sequence[float]]
) -> list[TargetResult]:
    """Combine per-seed quantity values (keyed by ``quantity_key``) into per-target results."""
    results = []
    for t in targets:
        columns = {q.name: np.asarray(per_seed[quantity_key(q)], dtype=float) for q in t.quantities}
        lengths = {len(c) for c in columns.values()}
        if len(lengths) != 1:  # every quantity must hold one value per seed, in seed order
            raise RuntimeError(
                f"target {t.id}: quantities hold unequal numbers of seeds {sorted(lengths)}"
            )
        n = lengths.pop()
        values = np.array(
            [
                t.value_for_seed({name: float(c[i]) for name, c in columns.items()})
                for i in range(n)
            ],
            dtype=float,
        )
        results.append(TargetResult(t, values))
    return results


def results_frame(results: Sequence[TargetResult]) -> pd.DataFrame:
    return pd.DataFrame([r.row() for r in results])


def total_loss(results: Sequence[TargetResult], margin: float = 0.0) -> float:
    return float(sum(r.robust_loss(margin) for r in results))
