"""The model against the sourced record (sim/data/record/), in sample and out of sample.

`syriasim calibrate --until DATE` fits on record rows dated up to DATE only (`record_targets`
turns them into ordinary calibration targets); `syriasim report-history` scores every record
series, before and after DATE, against a naive baseline (`score_record`):

- a series (monthly deaths, people besieged, access, chemical removal): averaged relative
  difference |model - observed| / observed over the dated rows of the period (model = mean over
  seeds of the month's value); baseline for deaths: the previous calendar year's observed monthly
  mean; for every other series: the last observed value before the row (no change);
- control: share of areas whose controller in the run (at the snapshot's week) is the record's,
  mean over seeds; baseline: no change since the record's previous snapshot.

Skill = 1 - model error / baseline error for series, (accuracy - baseline accuracy) / (1 -
baseline accuracy) for control: above 0 the model beats the baseline. A series the model has no
counterpart for is listed with the reason, never dropped.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.calibration.runs import _map
from sim.calibration.targets import Quantity, Target, end_date
from sim.territory import CONTROLLERS

DEFAULT_UNTIL = "2015-12-31"
# record series -> the model's monthly column (flows summed in the month, stocks averaged, the
# removal share as of the month's end: sim.metrics.monthly)
SERIES_MODEL = {
    "deaths_sohr": "violence",
    "besieged_people": "besieged_pop",
    "cw_removed_share": "cw_removed_frac",
    "access_reached_besieged_share": "besieged_reached_frac",
    "access_requested_people": "aid_requested",
    "access_reached_people": "aid_reached",
}
NO_COUNTERPART = {
    "deaths_sohr_year": "checks the monthly series (scored there)",
    "deaths_snhr": "a cross-check series (civilians only from 2016); the model scores SOHR",
    "isil_area_share": "the model has areas and people, not land area",
    "isil_caliphate_km2": "the model has areas and people, not land area",
}
DEATHS_TOLERANCE = 0.30  # relative: the goal for monthly deaths out of sample


@dataclass
class RecordRuns:
    """What the scoring needs from each seed: the monthly table and the controller of every
    area at each record snapshot date."""

    monthly: list[pd.DataFrame]
    control: list[dict[str, np.ndarray]]


def _record_task(task) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    from sim import SyriaModel
    from sim.runner import result_of

    scenario, seed, dates, restart = task
    model = SyriaModel(scenario, seed=seed)
    pending = sorted(dates)
    snaps: dict[str, np.ndarray] = {}
    for _ in range(model.n_steps):
        model.step()
        week_end = model.date + dt.timedelta(days=7)
        if restart is not None and model.date <= restart[0] < week_end:
            model.conflict.set_control(restart[1])
        while pending and dt.date.fromisoformat(pending[0]) < week_end:
            snaps[pending.pop(0)] = model.territory.controller.copy()
    return result_of(model).monthly, snaps


def run_for_record(
    scenario,
    seeds: Sequence[int],
    dates: Sequence[str],
    jobs: int = 2,
    restart: tuple[dt.date, np.ndarray] | None = None,
) -> RecordRuns:
    """Run the seeds, keeping each area's controller at `dates`. With `restart` (date, observed
    controllers), the map is replaced by the observed one in that week: a forecast from the last
    known state rather than a free run from April 2012."""
    tasks = [(scenario, int(s), tuple(dates), restart) for s in seeds]
    out = _map(_record_task, tasks, jobs, None)
    return RecordRuns([o[0] for o in out], [o[1] for o in out])


def last_snapshot(record, until: str) -> tuple[dt.date, np.ndarray]:
    """The record's last control snapshot on or before `until` (the forecast's start)."""
    dates = [d for d in record.snapshot_dates() if d <= pd.Timestamp(until)]
    when = dates[-1]
    return when.date(), _controllers(record.control_at(when.strftime("%Y-%m-%d")))


def _month_value(frames: list[pd.DataFrame], column: str, month: str) -> float:
    vals = [f.loc[f["month"] == month, column] for f in frames]
    vals = [float(v.iloc[0]) for v in vals if len(v)]
    return float(np.mean(vals)) if vals else float("nan")


def score_record(record, runs: RecordRuns, until: str = DEFAULT_UNTIL) -> pd.DataFrame:
    """One row per record series (and control snapshot) and sample: n, model error, baseline
    error, skill."""
    cut = pd.Timestamp(until)
    rows = []
    names = sorted(set(record.series["series"]))
    for name in names:
        if name not in SERIES_MODEL:
            rows.append(
                _row(name, "-", 0, np.nan, np.nan, NO_COUNTERPART.get(name, "no counterpart"))
            )
            continue
        column = SERIES_MODEL[name]
        obs = record.get(name)
        obs = obs[(obs["gap"] == 0) & obs["value"].notna()]
        for sample, part in (("in", obs[obs["date"] <= cut]), ("out", obs[obs["date"] > cut])):
            model_err, base_err, n_base = [], [], 0
            for _, r in part.iterrows():
                o = float(r["value"])
                if o <= 0:
                    continue
                m = _month_value(runs.monthly, column, r["date"].strftime("%Y-%m"))
                if np.isnan(m):
                    continue
                model_err.append(abs(m - o) / o)
                b = _baseline(name, obs, r["date"])
                if not np.isnan(b):
                    base_err.append((abs(m - o) / o, abs(b - o) / o))
            if not model_err:
                rows.append(_row(name, sample, 0, np.nan, np.nan, "no observed rows"))
                continue
            n_base = len(base_err)
            me = float(np.mean(model_err))
            if n_base:
                pm, pb = np.mean([x[0] for x in base_err]), np.mean([x[1] for x in base_err])
                skill = float(1 - pm / pb) if pb > 0 else np.nan
                be = float(pb)
            else:
                skill = be = np.nan
            note = (
                f"baseline on {n_base} of {len(model_err)} rows" if n_base < len(model_err) else ""
            )
            rows.append(_row(name, sample, len(model_err), me, be, note, skill))
    rows += control_rows(record, runs, until)
    return pd.DataFrame(rows)


def control_rows(record, runs: RecordRuns, until: str) -> list[dict]:
    """Share of areas right at each snapshot after the first, against no change since the
    previous snapshot (and, out of sample, since the last snapshot on or before `until`)."""
    cut = pd.Timestamp(until)
    dates = [d.strftime("%Y-%m-%d") for d in record.snapshot_dates()]
    known = [d for d in dates if pd.Timestamp(d) <= cut]
    rows = []
    for prev, date in zip(dates, dates[1:], strict=False):
        truth = _controllers(record.control_at(date))
        acc = [float((snap[date] == truth).mean()) for snap in runs.control if date in snap]
        a_m = float(np.mean(acc))
        a_b = float((_controllers(record.control_at(prev)) == truth).mean())
        skill = (a_m - a_b) / (1 - a_b) if a_b < 1 else np.nan
        sample = "in" if pd.Timestamp(date) <= cut else "out"
        note = f"baseline: no change since {prev}"
        if sample == "out" and known and known[-1] != prev:
            a_k = float((_controllers(record.control_at(known[-1])) == truth).mean())
            note += f"; no change since {known[-1]} (last snapshot in sample): {a_k:.3f}"
        rows.append(
            {
                "series": f"control@{date}",
                "sample": sample,
                "n": len(truth),
                "measure": "share of areas right",
                "model": a_m,
                "baseline": a_b,
                "skill": skill,
                "beats_baseline": bool(a_m > a_b),
                "note": note,
            }
        )
    return rows


def record_report(record, scenario, seeds, until: str = DEFAULT_UNTIL, jobs: int = 2):
    """The full record table and its markdown: every series and snapshot from free runs (from
    April 2012), and control again from forecasts started on the last snapshot in sample."""
    dates = [d.strftime("%Y-%m-%d") for d in record.snapshot_dates()]
    free = score_record(record, run_for_record(scenario, seeds, dates, jobs), until)
    free.insert(1, "run", "free")
    start = last_snapshot(record, until)
    forecast_runs = run_for_record(scenario, seeds, dates, jobs, restart=start)
    forecast = pd.DataFrame(
        [
            r
            for r in control_rows(record, forecast_runs, until)
            if pd.Timestamp(r["series"][8:]) > pd.Timestamp(start[0])
        ]
    )
    forecast.insert(1, "run", "forecast")
    table = pd.concat([free, forecast], ignore_index=True)
    return table, record_markdown(table, until, start[0].isoformat(), len(seeds))


def _row(series, sample, n, model, baseline, note, skill=np.nan) -> dict:
    return {
        "series": series,
        "sample": sample,
        "n": n,
        "measure": "averaged relative difference",
        "model": model,
        "baseline": baseline,
        "skill": skill,
        "beats_baseline": bool(skill > 0) if not np.isnan(skill) else False,
        "note": note,
    }


def _baseline(name: str, obs: pd.DataFrame, when: pd.Timestamp) -> float:
    if name.startswith("deaths"):
        prev = obs[obs["date"].dt.year == when.year - 1]
        return float(prev["value"].mean()) if len(prev) else float("nan")
    before = obs[obs["date"] < when]
    return float(before["value"].iloc[-1]) if len(before) else float("nan")


def _controllers(snapshot: pd.DataFrame) -> np.ndarray:
    return snapshot["controller"].map(CONTROLLERS.index).to_numpy()


def record_markdown(table: pd.DataFrame, until: str, start: str, seeds: int) -> str:
    lines = [
        f"# The model against the record (fitted until {until}; after it: out of sample)",
        "",
        f"Mean over {seeds} seeds. `free`: runs from April 2012; `forecast`: the same runs with "
        f"the map reset to the record's snapshot of {start} (the last one in sample). Error: "
        "averaged relative difference for series, share of areas right for control. Skill > 0: "
        "the model beats the naive baseline (deaths: the previous year's monthly mean; other "
        "series: the last observed value; control: no change since the previous snapshot).",
        "",
        "| series | run | sample | n | measure | model | baseline | skill | beats baseline | note |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    f = lambda x: "" if pd.isna(x) else f"{x:.3f}"  # noqa: E731
    for _, r in table.iterrows():
        lines.append(
            f"| {r['series']} | {r['run']} | {r['sample']} | {r['n']} | {r['measure']} | "
            f"{f(r['model'])} | {f(r['baseline'])} | {f(r['skill'])} | "
            f"{'yes' if r['beats_baseline'] else 'NO'} | {r['note']} |"
        )
    return "\n".join(lines) + "\n"


# -- calibration on the record up to a date ----------------------------------------------------


def _target(tid, description, period, observed, tolerance, quantity, source) -> Target:
    return Target(
        id=tid,
        group="record",
        description=description,
        period=period,
        source=source,
        observed=observed,
        check="near",
        value=observed,
        expr="x",
        quantities=(quantity,),
        tolerance=tolerance,
        scale=max(tolerance, 1e-9),
        _tree=ast.parse("x", mode="eval").body,
    )


def record_targets(record, until: str = DEFAULT_UNTIL) -> list[Target]:
    """Calibration targets from the record's rows dated up to `until`: yearly mean monthly
    deaths (within 30%), people besieged (within 50%), and the number of areas each side holds
    at each control snapshot (within 3 areas)."""
    cut = pd.Timestamp(until)
    out: list[Target] = []
    deaths = record.get("deaths_sohr")
    deaths = deaths[(deaths["gap"] == 0) & deaths["value"].notna() & (deaths["date"] <= cut)]
    for year, rows in deaths.groupby(deaths["date"].dt.year):
        months = [d.strftime("%Y-%m") for d in rows["date"]]
        obs = float(rows["value"].mean())
        # Mean over the observed months only: a quantity per month would weigh gaps; the mean of
        # the model's whole year is close enough for a fit and needs one quantity.
        q = Quantity("x", "monthly", "violence", months[0], months[-1], "mean")
        out.append(
            _target(
                f"record_deaths_{year}",
                f"Mean monthly deaths {year} (SOHR, {len(rows)} months observed)",
                f"{months[0]} .. {months[-1]}",
                obs,
                DEATHS_TOLERANCE * obs,
                q,
                "sim/data/record/series.csv (deaths_sohr)",
            )
        )
    sieged = record.get("besieged_people")
    sieged = sieged[(sieged["gap"] == 0) & (sieged["date"] <= cut)]
    for _, r in sieged.iterrows():
        month = r["date"].strftime("%Y-%m")
        q = Quantity("x", "monthly", "besieged_pop", month, month, "mean")
        out.append(
            _target(
                f"record_besieged_{month}",
                f"People besieged, {month} (UN)",
                month,
                float(r["value"]),
                0.5 * float(r["value"]),
                q,
                f"sim/data/record/series.csv (besieged_people, {r['source']})",
            )
        )
    for date in record.snapshot_dates()[1:]:
        if date > cut:
            continue
        snap = record.control_at(date.strftime("%Y-%m-%d"))
        month = date.strftime("%Y-%m")
        for name in CONTROLLERS:
            count = float((snap["controller"] == name).sum())
            q = Quantity("x", "monthly", f"areas_{name}", month, month, "mean")
            out.append(
                _target(
                    f"record_areas_{name}_{month}",
                    f"Areas held by the {name} side, {month}",
                    month,
                    count,
                    3.0,
                    q,
                    "sim/data/record/control.csv",
                )
            )
    return out


def targets_until(targets: Sequence[Target], until: str) -> list[Target]:
    """The targets whose every quantity ends on or before `until` (the rest are out of sample)."""
    cut = pd.Timestamp(until)
    keep = []
    for t in targets:
        ends = [q.end for q in t.quantities]
        if all(e and end_date(e) <= cut for e in ends):
            keep.append(t)
    return keep
