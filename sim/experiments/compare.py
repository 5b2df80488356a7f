"""Paired counterfactual comparison of cooperation structures on one policy track.

Every structure is run on the same seeds (common random numbers): replicate ``r`` of every
structure uses seed ``derive_seed(master, r)``. Because the core model draws each subsystem from
its own child stream, the paired difference ``metric[structure, r] - metric[baseline, r]`` removes
most of the noise the structures share, and its confidence interval is much tighter than the
difference of two independent means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sim.errors import UserError
from sim.experiments import core
from sim.experiments.design import compare_design
from sim.experiments.experiment import Experiment, Outcome, run_experiment
from sim.experiments.stats import mean_ci, paired_difference
from sim.experiments.store import ResultsStore, atomic_write_bytes

# The metrics each track's goal is judged by (DOMAIN.md "goal effectiveness"), in display order,
# plus the cross-cutting costs of unilateral action. Names not reported by the model are skipped;
# if none is reported, every metric whose name mentions the track is used.
DEFAULT_METRICS: dict[str, list[str]] = {
    "chemical": [
        "cw_removed_frac_final",
        "cw_weeks_to_95pct",
        "chem_attacks_after_framework",
        "trust_final",
        "escalation_max",
    ],
    "access": [
        "access_reached_frac_mean_12m",
        "access_reached_frac_best_12m",
        "access_reached_over_requested_12m",
        "aid_reached_total",
        "trust_final",
        "escalation_max",
    ],
    "ceasefire": [
        "ceasefire_mean_duration_weeks",
        "ceasefire_weeks_active",
        "ceasefire_violence_drop_4w",
        "ceasefire_collapses",
        "ceasefire_violations_total",
        "violence_total",
        "trust_final",
        "escalation_max",
    ],
}
TRACK_WORDS = {
    "chemical": ("cw", "chem"),
    "access": ("access", "aid", "besieged", "convoy"),
    "ceasefire": ("ceasefire", "violence", "deaths", "violation"),
}
CROSS_WORDS = ("trust", "escalation")

# Series shown as bands per structure (weekly `timeseries` columns or monthly ones).
DEFAULT_SERIES: dict[str, list[str]] = {
    "chemical": ["cw_removed_frac", "chem_attacks", "us_russia_trust", "escalation"],
    "access": [
        "besieged_reached_frac",
        "besieged_reached_share",
        "aid_reached",
        "us_russia_trust",
        "escalation",
    ],
    "ceasefire": [
        "violence",
        "ceasefire_active",
        "ceasefire_violations",
        "us_russia_trust",
        "escalation",
    ],
}


def default_metrics(track: str, available: list[str]) -> list[str]:
    avail = list(available)
    chosen = [m for m in DEFAULT_METRICS.get(track, []) if m in avail]
    if len(chosen) < 2:
        words = TRACK_WORDS.get(track, (track,))
        for m in avail:
            low = m.lower()
            if any(re.search(rf"(^|[_.]){w}", low) for w in words) and m not in chosen:
                chosen.append(m)
        for m in avail:
            if any(w in m.lower() for w in CROSS_WORDS) and m not in chosen:
                chosen.append(m)
    return chosen or avail


def validate_compare_args(
    track: str, structures: list[str], baseline: str | None, replicates: int
) -> str:
    tracks = core.tracks()
    if track not in tracks:
        raise UserError(f"unknown track {track!r}; allowed: {', '.join(tracks)}", key="--track")
    allowed = core.structures()
    if not structures:
        raise UserError(f"no structures given; allowed: {', '.join(allowed)}", key="--structures")
    for s in structures:
        if s not in allowed:
            raise UserError(
                f"unknown structure {s!r}; allowed: {', '.join(allowed)}", key="--structures"
            )
    if len(set(structures)) != len(structures):
        raise UserError("a structure is listed twice", key="--structures")
    if len(structures) < 2:
        raise UserError("name at least two structures to compare", key="--structures")
    baseline = baseline or structures[0]
    if baseline not in structures:
        raise UserError(
            f"baseline {baseline!r} is not among --structures ({', '.join(structures)})",
            key="--baseline",
        )
    if replicates < 2:
        raise UserError("need at least 2 replicates for confidence intervals", key="--replicates")
    return baseline


def compare(
    scenario,
    track: str,
    structures: list[str],
    *,
    replicates: int = 30,
    out,
    baseline: str | None = None,
    metrics: list[str] | None = None,
    seed: int = 0,
    overrides: list[str] = (),
    timeseries: str = "monthly",
    jobs: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    dry_run: bool = False,
    figures: bool = True,
    retry_failed: bool = False,
    echo=print,
):
    """Run every structure on the same seeds and write the comparison tables and figures.

    Returns the :class:`CompareResult` (or the dry-run :class:`Outcome`)."""
    baseline = validate_compare_args(track, list(structures), baseline, int(replicates))
    base = core.load_scenario(scenario, list(overrides))
    design = compare_design(track, list(structures), int(replicates), int(seed))
    exp = Experiment(
        kind="compare",
        name=f"{base.name}:{track}",
        base=base,
        design=design,
        timeseries=timeseries,
        metrics=list(metrics) if metrics else None,
        overrides=list(overrides),
        extra={"track": track, "structures": list(structures), "baseline": baseline},
    )
    outcome = run_experiment(
        exp,
        out,
        jobs=jobs,
        scheduler=scheduler,
        progress=progress,
        dry_run=dry_run,
        retry_failed=retry_failed,
        echo=echo,
    )
    if dry_run or (outcome.report is not None and outcome.report.interrupted):
        return outcome
    result = analyze_compare(out, baseline=baseline, metrics=metrics)
    result.write(out, figures=figures)
    echo(
        f"tables: {Path(out) / 'compare.md'}, {Path(out) / 'compare.csv'}, {Path(out) / 'differences.csv'}"
    )
    result.outcome = outcome
    return result


@dataclass
class CompareResult:
    track: str
    baseline: str
    structures: list[str]
    metrics: list[str]
    table: object  # DataFrame: structure, metric, n, mean, sd, ci_low, ci_high
    differences: object  # DataFrame: structure, baseline, metric, n_pairs, diff, ci_low, ci_high, d_z, p_value
    bands: object  # DataFrame: structure, series, x, n, mean, ci_low, ci_high (may be empty)
    failed: int = 0
    outcome: Outcome | None = None

    def markdown(self) -> str:
        lines = [
            f"# Counterfactual comparison: {self.track} track",
            "",
            f"Structures run on the same seeds; paired differences against **{self.baseline}**. "
            "Intervals are 95% t intervals over replicates.",
            "",
        ]
        if self.failed:
            lines += [
                f"{self.failed} run(s) failed and are excluded (see `syriasim summarize`).",
                "",
            ]
        lines += ["## Mean and 95% CI per structure", ""]
        head = "| metric | " + " | ".join(self.structures) + " |"
        lines += [head, "|---|" + "---|" * len(self.structures)]
        t = self.table
        for m in self.metrics:
            cells = []
            for s in self.structures:
                r = t[(t.structure == s) & (t.metric == m)]
                if r.empty:
                    cells.append("")
                    continue
                r = r.iloc[0]
                cells.append(f"{_fmt(r['mean'])} [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]")
            lines.append(f"| {m} | " + " | ".join(cells) + " |")
        others = [s for s in self.structures if s != self.baseline]
        lines += ["", f"## Paired difference vs {self.baseline} (mean [95% CI], Cohen's d_z)", ""]
        lines += ["| metric | " + " | ".join(others) + " |", "|---|" + "---|" * len(others)]
        d = self.differences
        for m in self.metrics:
            cells = []
            for s in others:
                r = d[(d.structure == s) & (d.metric == m)]
                if r.empty:
                    cells.append("")
                    continue
                r = r.iloc[0]
                cells.append(
                    f"{_fmt(r['diff'], sign=True)} [{_fmt(r['ci_low'], sign=True)}, {_fmt(r['ci_high'], sign=True)}], d={_fmt(r['d_z'])}"
                )
            lines.append(f"| {m} | " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"

    def write(self, out, figures: bool = True) -> list[Path]:
        out = Path(out)
        paths = [out / "compare.csv", out / "differences.csv", out / "compare.md"]
        atomic_write_bytes(paths[0], self.table.to_csv(index=False).encode())
        atomic_write_bytes(paths[1], self.differences.to_csv(index=False).encode())
        atomic_write_bytes(paths[2], self.markdown().encode())
        if len(self.bands):
            p = out / "bands.csv"
            atomic_write_bytes(p, self.bands.to_csv(index=False).encode())
            paths.append(p)
        if figures:
            from sim.experiments import plots

            paths += plots.compare_figures(self, out)
        return paths


def _fmt(v, sign: bool = False) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if f != f:
        return "n/a"
    if f in (float("inf"), float("-inf")):
        return "inf" if f > 0 else "-inf"
    a = abs(f)
    s = f"{f:+.3g}" if sign else f"{f:.3g}"
    if a >= 1e4:
        s = f"{f:+,.0f}" if sign else f"{f:,.0f}"
    return s


def analyze_compare(
    out, *, baseline: str | None = None, metrics: list[str] | None = None, level: float = 0.95
) -> CompareResult:
    """Tables (and band data) of a finished comparison folder."""
    import pandas as pd

    store = ResultsStore(out)
    man = store.manifest()
    if man.get("kind") != "compare":
        raise UserError(
            f"holds a {man.get('kind')}, not a comparison; use `syriasim summarize` or `sensitivity`",
            file=str(out),
        )
    extra = man.get("extra", {})
    track, structures = extra["track"], list(extra["structures"])
    baseline = baseline or extra.get("baseline") or structures[0]
    if baseline not in structures:
        raise UserError(
            f"baseline {baseline!r} is not among the structures run ({', '.join(structures)})",
            key="--baseline",
        )
    runs = store.read_runs()
    if runs.empty:
        raise UserError("no finished runs yet", file=str(out))
    key = f"param.tracks.{track}.structure"
    ok = runs[runs.status == "ok"].copy()
    failed = int((runs.status != "ok").sum())
    ok["structure"] = ok[key] if key in ok else ok["point_id"].map(dict(enumerate(structures)))
    available = [c[len("metric.") :] for c in ok.columns if c.startswith("metric.")]
    if metrics:
        unknown = [m for m in metrics if m not in available]
        if unknown:
            raise UserError(
                f"unknown metric {unknown[0]!r}; available: {', '.join(sorted(available))}",
                key="--metrics",
            )
        chosen = list(metrics)
    else:
        chosen = man.get("metrics") or default_metrics(track, available)
        chosen = [m for m in chosen if m in available]
    rows, diffs = [], []
    wide = {
        m: ok.pivot_table(
            index="replicate", columns="structure", values=f"metric.{m}", aggfunc="first"
        )
        for m in chosen
    }
    for m in chosen:
        w = wide[m]
        for s in structures:
            vals = w[s].to_numpy() if s in w else []
            rows.append({"structure": s, "metric": m, **mean_ci(vals, level)})
        for s in structures:
            if s == baseline or s not in w or baseline not in w:
                continue
            diffs.append(
                {
                    "structure": s,
                    "baseline": baseline,
                    "metric": m,
                    **paired_difference(w[s].to_numpy(), w[baseline].to_numpy(), level),
                }
            )
    table = pd.DataFrame(rows)
    differences = pd.DataFrame(
        diffs,
        columns=[
            "structure",
            "baseline",
            "metric",
            "n_pairs",
            "diff",
            "ci_low",
            "ci_high",
            "sd_diff",
            "d_z",
            "p_value",
        ],
    )
    bands = _bands(store, ok, track, level)
    return CompareResult(track, baseline, structures, chosen, table, differences, bands, failed)


def _bands(store, ok, track: str, level: float):
    """Mean and CI per structure and time step of the track's default series."""
    import numpy as np
    import pandas as pd
    from scipy import stats

    ts = store.read_timeseries()
    if ts.empty:
        return pd.DataFrame()
    ts = ts[ts.run_id.isin(ok.run_id)]
    xcol = next((c for c in ("date", "month", "week", "step") if c in ts.columns), None)
    if xcol is None:
        return pd.DataFrame()
    series = [c for c in DEFAULT_SERIES.get(track, []) if c in ts.columns]
    if not series:
        return pd.DataFrame()
    ts = ts.merge(ok[["run_id", "structure"]], on="run_id")
    out = []
    for col in series:
        g = ts.groupby(["structure", xcol], sort=True)[col]
        agg = g.agg(["count", "mean", "std"]).reset_index()
        tq = stats.t.ppf(0.5 + level / 2, np.maximum(agg["count"] - 1, 1))
        half = tq * agg["std"].fillna(0) / np.sqrt(agg["count"].clip(lower=1))
        out.append(
            pd.DataFrame(
                {
                    "structure": agg["structure"],
                    "series": col,
                    "x": agg[xcol],
                    "n": agg["count"],
                    "mean": agg["mean"],
                    "ci_low": agg["mean"] - half,
                    "ci_high": agg["mean"] + half,
                }
            )
        )
    return pd.concat(out, ignore_index=True)
