"""Many seeds, one picture: the mean and the band of each structure over an ensemble of seeds.

One run is one possible history; the model's chance events (which convoy gets through, when a
ceasefire breaks) can make two seeds tell different stories. The app and the notebooks therefore
show, for each structure, the mean over `N_SEEDS` seeds and the band holding the middle 80% of
them (10th to 90th percentile), and the single seed only as an option ("one possible history").

The seeds are the same for every structure (common random numbers, so a difference between two
structures is the structures' doing) and fixed: `derive_seed(ENSEMBLE_MASTER_SEED, i)` for
i = 0..N-1, whatever seed the single run uses. So the ensemble does not change when a teacher
picks another seed, and a finished ensemble is reused (cached) across Resets.

The runs go through the experiments layer's execution backends (`sim.experiments.execute`):
`run_seeds` is the only place the viz layer calls them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.viz.cases import CaseStudy

N_SEEDS = 20  # seeds per structure: the band's edges are stable to about +-5% of the axis
ENSEMBLE_MASTER_SEED = 20260  # the ensemble's seeds derive from it (sim.experiments.seeds)
BAND = (0.10, 0.90)  # quantiles drawn as the band: the middle 80% of the seeds
# Structures every case is shown under (plus the two the teacher picked, when others).
DEFAULT_STRUCTURES = ("timeline", "bilateral", "multilateral", "unilateral_us", "none")
# Monthly measures (the UN counts access per month); every other measure is weekly.
MONTHLY = ("besieged_reached_frac",)


@dataclass
class Ensemble:
    """Per structure: the weekly and monthly tables of every seed, and their summaries."""

    case: str
    structures: list[str]
    seeds: list[int]
    weekly: dict[str, pd.DataFrame] = field(default_factory=dict)  # structure -> run_id, date, ...
    monthly: dict[str, pd.DataFrame] = field(default_factory=dict)  # structure -> run_id, date, ...
    done: int = 0
    total: int = 0

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done >= self.total

    def frame(self, structure: str, column: str) -> pd.DataFrame:
        """The seeds' values of `column` for one structure: run_id, date, value."""
        table = self.monthly if column in MONTHLY else self.weekly
        df = table.get(structure)
        if df is None or column not in df.columns:
            return pd.DataFrame(columns=["run_id", "date", "value"])
        return df[["run_id", "date", column]].rename(columns={column: "value"})

    def band(self, structure: str, column: str) -> pd.DataFrame:
        """date, mean, lo, hi of `column` over the seeds (lo/hi: the BAND quantiles)."""
        df = self.frame(structure, column)
        if df.empty:
            return pd.DataFrame(columns=["date", "mean", "lo", "hi"])
        g = df.groupby("date")["value"]
        out = pd.DataFrame({"mean": g.mean(), "lo": g.quantile(BAND[0]), "hi": g.quantile(BAND[1])})
        return out.reset_index()

    def per_seed(self, structure: str, column: str, start, end, agg: str = "mean") -> pd.Series:
        """One number per seed: `column` aggregated over [start, end] (indexed by run order)."""
        df = self.frame(structure, column)
        df = df[(df["date"] >= pd.Timestamp(start)) & (df["date"] <= pd.Timestamp(end))]
        return df.groupby("run_id")["value"].agg(agg)


def case_structures(case: CaseStudy, *extra: str) -> list[str]:
    out = list(DEFAULT_STRUCTURES)
    for s in extra:
        if s and s not in out and s != "off":
            out.append(s)
    return out


def ensemble_seeds(n: int | None = None) -> list[int]:
    from sim.experiments.seeds import derive_seeds

    return derive_seeds(ENSEMBLE_MASTER_SEED, range(n or N_SEEDS))


def _tracks(case: CaseStudy) -> list[str]:
    from sim.plugins import TRACKS

    return [case.track] if case.track else list(TRACKS)


def run_seeds(base, points: list[dict], seeds: list[int], *, jobs: int = 1) -> Iterator[dict]:
    """Run every (point, seed) pair through the experiments backends; yields finished chunks
    ({"rows": [...], "timeseries": weekly frame with run_id}). Run id = point * len(seeds) + i."""
    from sim.experiments.execute import LocalPoolBackend, SerialBackend

    # jobs >= 1: worker processes (the caller's process stays free, e.g. to redraw the page)
    backend = LocalPoolBackend(base, jobs, "weekly") if jobs >= 1 else SerialBackend(base, "weekly")
    tasks = [
        {"run_id": p * len(seeds) + i, "point_id": p, "replicate": i, "seed": s, "overrides": pt}
        for p, pt in enumerate(points)
        for i, s in enumerate(seeds)
    ]
    size = 4  # small chunks: the progress bar moves often
    yield from backend.run(tasks[i : i + size] for i in range(0, len(tasks), size))


def compute(
    case: CaseStudy,
    base,
    structures: list[str],
    *,
    n_seeds: int | None = None,
    jobs: int = 1,
    cancel: threading.Event | None = None,
    on_progress: Callable[[Ensemble], None] | None = None,
) -> Ensemble:
    """Run the case under each structure on the ensemble's seeds (stopped at the case's end)."""
    from sim.metrics import monthly

    seeds = ensemble_seeds(n_seeds or N_SEEDS)
    base = base.ending(case.end)
    points = [{f"tracks.{t}.structure": s for t in _tracks(case)} for s in structures]
    ens = Ensemble(case.key, list(structures), seeds, total=len(points) * len(seeds))
    weekly_parts: dict[str, list] = {s: [] for s in structures}
    monthly_parts: dict[str, list] = {s: [] for s in structures}
    failed = []
    for chunk in run_seeds(base, points, seeds, jobs=jobs):
        failed += [r["error"] for r in chunk["rows"] if r["status"] != "ok"]
        ts = chunk["timeseries"]
        if ts is not None:
            for run_id, frame in ts.groupby("run_id"):
                s = structures[int(run_id) // len(seeds)]
                m = monthly(frame.drop(columns="run_id"))  # dates as text, as the model writes
                weekly_parts[s].append(frame.assign(date=pd.to_datetime(frame["date"])))
                m = m.assign(
                    run_id=run_id, date=pd.PeriodIndex(m["month"], freq="M").to_timestamp()
                )
                monthly_parts[s].append(m)
        ens.done += len(chunk["rows"])
        if on_progress is not None:
            on_progress(ens)
        if cancel is not None and cancel.is_set():
            break
    if failed:
        raise RuntimeError(f"{len(failed)} ensemble runs failed, e.g. {failed[0]}")
    start = pd.Timestamp(case.start) - pd.Timedelta(days=31)  # keep the case's window only
    for s in structures:
        if weekly_parts[s]:
            w = pd.concat(weekly_parts[s], ignore_index=True)
            ens.weekly[s] = w[w["date"] >= start].reset_index(drop=True)
            m = pd.concat(monthly_parts[s], ignore_index=True)
            ens.monthly[s] = m[m["date"] >= start].reset_index(drop=True)
    return ens


# --- the case's headline: what the lesson says the structures change -------------------------
@dataclass(frozen=True)
class Headline:
    column: str
    start: str
    end: str
    agg: str  # per seed over the window: mean, max, last
    a: str  # the structure the lesson expects to do better ...
    b: str  # ... than this one
    higher_is_better: bool
    words: str  # what the number is, for the summary and the test message


HEADLINES: dict[str, Headline] = {
    # Not the stockpile removed: since issue 11 a strike alone can also bring Damascus to give
    # it up (the same compliance decision), and over the ensemble the removal difference is not
    # clear of zero. What a strike alone always costs is the powers' trust.
    "chemical": Headline(
        "us_russia_trust",
        "2013-09-14",
        "2014-12-31",
        "mean",
        "bilateral",
        "unilateral_us",
        True,
        "US-Russia trust, September 2013 - December 2014 (mean)",
    ),
    "access": Headline(
        "besieged_reached_frac",
        "2016-03-01",
        "2016-12-31",
        "mean",
        "bilateral",
        "multilateral",
        True,
        "besieged people reached per month, March-December 2016 (mean)",
    ),
    "ceasefire": Headline(
        "ceasefire_active",
        "2016-02-27",
        "2016-12-31",
        "mean",
        "bilateral",
        "multilateral",
        True,
        "share of weeks with a ceasefire in force, 27 Feb - Dec 2016",
    ),
}


def headline_difference(ens: Ensemble, headline: Headline) -> dict:
    """Paired difference a - b of the headline over the ensemble's seeds, with its 95% CI."""
    from sim.experiments.stats import paired_difference

    a = ens.per_seed(headline.a, headline.column, headline.start, headline.end, headline.agg)
    b = ens.per_seed(headline.b, headline.column, headline.start, headline.end, headline.agg)
    a, b = a.sort_index().to_numpy(), b.sort_index().to_numpy()
    # run ids differ by structure but follow the seeds' order: pair by position
    out = paired_difference(a, b)
    return {**out, "mean_a": float(np.mean(a)), "mean_b": float(np.mean(b))}


# --- the case summary: one row per structure ---------------------------------------------------
def summary_table(ens: Ensemble, case: CaseStudy) -> pd.DataFrame:
    """Per structure, over the seeds (mean, and 10th-90th percentile where it matters): the
    best month of access, weeks from the case's start to 95% of the stockpile removed, the
    weeks a ceasefire stays in force, and the mean US-Russia trust."""
    from sim.calibration.targets import aggregate

    rows = []
    start, end = pd.Timestamp(case.start), pd.Timestamp(case.end)
    for s in ens.structures:
        row = {"structure": s}
        best = ens.per_seed(s, "besieged_reached_frac", start, end, "max")
        if len(best):
            row["best month reached (% of besieged)"] = _fmt_pct(best)
        removed = ens.frame(s, "cw_removed_frac")
        if len(removed) and case.key in ("chemical", "history"):
            row["weeks to 95% removed"] = _weeks_to(removed, 0.95, start, end)
        active = ens.frame(s, "ceasefire_active")
        if len(active) and case.key in ("ceasefire", "history"):
            w = active[(active["date"] >= start) & (active["date"] <= end)]
            spells = w.groupby("run_id")["value"].apply(
                lambda v: aggregate(v.to_numpy(float), "spell_mean")
            )
            row["ceasefire spell (weeks, mean)"] = f"{spells.mean():.1f}"
        trust = ens.per_seed(s, "us_russia_trust", start, end, "mean")
        if len(trust):
            row["US-Russia trust (mean)"] = f"{trust.mean():.2f}"
        rows.append(row)
    return pd.DataFrame(rows)


def _fmt_pct(x: pd.Series) -> str:
    lo, hi = x.quantile(BAND[0]), x.quantile(BAND[1])
    return f"{100 * x.mean():.0f}% ({100 * lo:.0f}-{100 * hi:.0f})"


def _weeks_to(frame: pd.DataFrame, level: float, start, end) -> str:
    w = frame[(frame["date"] >= start) & (frame["date"] <= end)]
    weeks = []
    for _, f in w.groupby("run_id"):
        hit = np.flatnonzero(f["value"].to_numpy() >= level)
        weeks.append(float(hit[0]) if len(hit) else np.nan)
    weeks = np.asarray(weeks)
    reached = np.isfinite(weeks)
    if not reached.any():
        return f"never (0 of {len(weeks)} seeds)"
    text = f"{np.nanmedian(weeks):.0f} (median)"
    if not reached.all():
        text += f"; reached in {reached.sum()} of {len(weeks)} seeds"
    return text
