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
from sim.experiments import adapter
from sim.experiments.design import variant_design
from sim.experiments.experiment import Experiment, Outcome, run_experiment
from sim.experiments.stats import (
    halfwidth_curve,
    holm,
    mean_ci,
    paired_difference,
    replicates_needed,
)
from sim.experiments.store import ResultsStore, atomic_write_bytes
from sim.io_safety import check_seed
from sim.plugins import TRACKS

# Each track names the metrics its goal is judged by and the series shown as bands
# (Track.headline_metrics / headline_series), to which the cross-cutting costs of unilateral
# action are added. Names not reported by the model are skipped; if fewer than two are reported,
# every metric whose name mentions the track (Track.metric_words) is used.
CROSS_METRICS = ("trust_final", "escalation_max")
CROSS_SERIES = ("us_russia_trust", "escalation")
CROSS_WORDS = ("trust", "escalation")


def _listed(track: str | None, attr: str, cross: tuple[str, ...]) -> list[str]:
    """A track's headline names plus the cross-cutting ones (every track's when None)."""
    classes = TRACKS.values() if track is None else [TRACKS[track]] if track in TRACKS else []
    return list(dict.fromkeys(n for cls in classes for n in (*getattr(cls, attr), *cross)))


# Half-width of the paired difference's 95% CI asked for, as a share of the baseline mean's size.
DEFAULT_PRECISION = 0.1


def default_metrics(track: str | None, available: list[str]) -> list[str]:
    avail = list(available)
    listed = [m for m in _listed(track, "headline_metrics", CROSS_METRICS) if m in avail]
    if track is None:  # scenario files may differ on any track: every track's goal metrics
        return listed or avail
    chosen = listed
    if len(chosen) < 2:
        cls = TRACKS.get(track)
        words = (cls.metric_words if cls else ()) or (track,)
        for m in avail:
            low = m.lower()
            if any(re.search(rf"(^|[_.]){w}", low) for w in words) and m not in chosen:
                chosen.append(m)
        for m in avail:
            if any(w in m.lower() for w in CROSS_WORDS) and m not in chosen:
                chosen.append(m)
    return chosen or avail


def validate_baseline(labels: list[str], baseline: str | None, replicates: int) -> str:
    baseline = baseline or labels[0]
    if baseline not in labels:
        raise UserError(
            f"baseline {baseline!r} is not among the variants ({', '.join(labels)})",
            key="--baseline",
        )
    if replicates < 2:
        raise UserError("need at least 2 replicates for confidence intervals", key="--replicates")
    return baseline


def plan_variants(
    scenario=None,
    track: str | None = None,
    structures: list[str] | None = None,
    *,
    scenarios: list[str] | None = None,
    decision: str | None = None,
    overrides=(),
):
    """The :class:`~sim.experiments.variants.Variants` a compare call names (validated)."""
    from sim.experiments import variants as V

    if scenarios:
        if scenario is not None or structures or decision:
            raise UserError(
                "--scenarios compares whole files: give no SCENARIO, --structures or --decision",
                key="--scenarios",
            )
        v = V.scenario_variants(list(scenarios), overrides)
        v.track = track
        if track is not None and track not in adapter.tracks():
            raise UserError(
                f"unknown track {track!r}; allowed: {', '.join(adapter.tracks())}", key="--track"
            )
    else:
        if scenario is None:
            raise UserError("name a scenario file (or --scenarios a.toml,b.toml)", key="scenario")
        base = adapter.load_scenario(scenario, list(overrides))
        if decision:
            v = V.decision_variants(base, decision, list(structures or []), track)
        elif track is None:
            raise UserError(
                "name --track (whole-track structures), --decision ID or --scenarios",
                key="--track",
            )
        else:
            v = V.track_variants(base, track, list(structures or []))
    V.check_runnable(v)
    return v


def check_metric_names(metrics: list[str], base, design) -> None:
    """Refuse a mistyped --metrics before anything is created or run: the names a run reports
    come from one pilot run of the first variant (in this process, nothing written)."""
    task = design.task(0)
    point = task["overrides"]
    sc = adapter.apply_point(base, point) if point else base
    available = sorted(adapter.run_model(sc, task["seed"]).metrics)
    unknown = [m for m in metrics if m not in available]
    if unknown:
        raise UserError(
            f"unknown metric {unknown[0]!r}; available: {', '.join(available)}", key="--metrics"
        )


def compare(
    scenario=None,
    track: str | None = None,
    structures: list[str] | None = None,
    *,
    scenarios: list[str] | None = None,
    decision: str | None = None,
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
    new_session: bool = False,
    precision: float = DEFAULT_PRECISION,
    echo=print,
):
    """Run every variant on the same seeds and write the comparison tables and figures.

    Variants: ``track`` + ``structures`` (a track's structure for the whole period; ``timeline``
    = the scenario's own), ``decision`` + ``structures`` (one dated decision only, the rest of
    the timeline unchanged) or ``scenarios`` (files). Returns the :class:`CompareResult` (or
    the dry-run :class:`Outcome`)."""
    v = plan_variants(
        scenario,
        track,
        structures,
        scenarios=scenarios,
        decision=decision,
        overrides=overrides,
    )
    baseline = validate_baseline(v.labels, baseline, int(replicates))
    check_seed(seed, "--seed")
    design = variant_design(v.labels, v.points, int(replicates), int(seed), v.mode)
    if metrics:
        check_metric_names(metrics, v.base, design)
    exp = Experiment(
        kind="compare",
        name=f"{v.base.name}:{v.decision or v.track or 'scenarios'}",
        base=v.base,
        design=design,
        timeseries=timeseries,
        metrics=list(metrics) if metrics else None,
        overrides=list(overrides),
        extra={**v.to_extra(), "baseline": baseline},
    )
    outcome = run_experiment(
        exp,
        out,
        jobs=jobs,
        scheduler=scheduler,
        progress=progress,
        dry_run=dry_run,
        retry_failed=retry_failed,
        new_session=new_session,
        echo=echo,
    )
    if dry_run or (outcome.report is not None and outcome.report.interrupted):
        return outcome
    result = analyze_compare(out, baseline=baseline, metrics=metrics, precision=precision)
    result.write(out, figures=figures)
    echo(
        f"tables: {Path(out) / 'compare.md'}, {Path(out) / 'compare.csv'}, {Path(out) / 'differences.csv'}"
    )
    result.outcome = outcome
    return result


@dataclass
class CompareResult:
    track: str | None
    baseline: str
    structures: list[str]  # the variants' labels, in the order run
    metrics: list[str]
    table: object  # DataFrame: structure, metric, n, mean, sd, ci_low, ci_high
    differences: object  # DataFrame: structure, baseline, metric, n_pairs, diff, ci_low, ci_high, sd_diff, d_z, p_value, p_holm
    bands: object  # DataFrame: structure, series, x, n, mean, ci_low, ci_high (may be empty)
    failed: int = 0
    outcome: Outcome | None = None
    descriptions: dict | None = None  # variant -> what it changes
    mode: str = "track"
    convergence: object = (
        None  # DataFrame: structure, metric, n, half_width, target, replicates_needed
    )
    curve: object = None  # DataFrame: structure, metric, n, half_width (first n replicates)
    precision: float = DEFAULT_PRECISION

    def markdown(self) -> str:
        what = {
            "track": f"{self.track} track, whole-period structures",
            "decision": f"one dated decision ({self.track} track)",
            "scenarios": "scenario files",
        }.get(self.mode, self.mode)
        lines = [
            f"# Counterfactual comparison: {what}",
            "",
            f"Variants run on the same seeds; paired differences against **{self.baseline}**. "
            "Intervals are 95% t intervals over replicates.",
            "",
        ]
        if self.descriptions:
            lines += ["## What each variant changes", ""]
            lines += [f"- **{s}**: {self.descriptions.get(s, '')}" for s in self.structures]
            lines.append("")
        if self.failed:
            lines += [
                f"{self.failed} run(s) failed and are excluded (see `syriasim summarize`).",
                "",
            ]
        lines += ["## Mean and 95% CI per variant", ""]
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
                if r["n"] >= 2 and r["sd"] == 0:
                    cells.append(f"{_fmt(r['mean'])} (constant)")
                    continue
                cells.append(f"{_fmt(r['mean'])} [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]")
            lines.append(f"| {m} | " + " | ".join(cells) + " |")
        others = [s for s in self.structures if s != self.baseline]
        lines += [
            "",
            f"## Paired difference vs {self.baseline} (mean [95% CI], Cohen's d_z, Holm-adjusted p)",
            "",
        ]
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
                if r["n_pairs"] >= 2 and r["sd_diff"] == 0:
                    cells.append(
                        f"{_fmt(r['diff'], sign=True)} in every pair (no spread: d and p undefined)"
                    )
                    continue
                cells.append(
                    f"{_fmt(r['diff'], sign=True)} [{_fmt(r['ci_low'], sign=True)}, "
                    f"{_fmt(r['ci_high'], sign=True)}], d={_fmt(r['d_z'])}, p={_fmt(r['p_holm'])}"
                )
            lines.append(f"| {m} | " + " | ".join(cells) + " |")
        n_tests = int(d["p_holm"].notna().sum()) if "p_holm" in d else 0
        lines += [
            "",
            f"p: paired t test, Holm-adjusted over the {n_tests} differences of this table "
            "(family-wise error 5% when p < 0.05).",
        ]
        c = self.convergence
        if c is not None and len(c):
            lines += [
                "",
                f"## Convergence: replicates for a paired-difference half-width of "
                f"{self.precision:.0%} of the baseline mean",
                "",
                "| metric | variant | replicates | half-width now | target | replicates needed |",
                "|---|---|---|---|---|---|",
            ]
            for _, r in c.iterrows():
                need = r["replicates_needed"]
                need_txt = "n/a" if need != need else f"{int(need):,}"
                if need == need and need <= r["n"]:
                    need_txt += " (met)"
                lines.append(
                    f"| {r['metric']} | {r['structure']} | {int(r['n'])} | {_fmt(r['half_width'])} "
                    f"| {_fmt(r['target'])} | {need_txt} |"
                )
            lines += [
                "",
                "Half-width at fewer replicates (first n seeds): convergence.csv and "
                "fig_convergence.png.",
            ]
        return "\n".join(lines) + "\n"

    def write(self, out, figures: bool = True) -> list[Path]:
        out = Path(out)
        paths = [out / "compare.csv", out / "differences.csv", out / "compare.md"]
        atomic_write_bytes(paths[0], self.table.to_csv(index=False).encode())
        atomic_write_bytes(paths[1], self.differences.to_csv(index=False).encode())
        atomic_write_bytes(paths[2], self.markdown().encode())
        if self.curve is not None and len(self.curve):
            p = out / "convergence.csv"
            atomic_write_bytes(p, self.curve.to_csv(index=False).encode())
            paths.append(p)
        if len(self.bands):
            p = out / "bands.csv"
            atomic_write_bytes(p, self.bands.to_csv(index=False).encode())
            paths.append(p)
        from sim.experiments import plots

        made = plots.compare_figures(self, out) if figures else []
        plots.remove_stale(out, plots.COMPARE_FIGURES, keep=made)
        return paths + made


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
    out,
    *,
    baseline: str | None = None,
    metrics: list[str] | None = None,
    level: float = 0.95,
    precision: float = DEFAULT_PRECISION,
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
    track = extra.get("track")
    labels = list(extra.get("variants") or extra["structures"])
    baseline = baseline or extra.get("baseline") or labels[0]
    if baseline not in labels:
        raise UserError(
            f"baseline {baseline!r} is not among the variants run ({', '.join(labels)})",
            key="--baseline",
        )
    runs = store.read_runs()
    if runs.empty:
        raise UserError("no finished runs yet", file=str(out))
    ok = runs[runs.status == "ok"].copy()
    failed = int((runs.status != "ok").sum())
    ok["structure"] = ok["point_id"].map(dict(enumerate(labels)))
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
    rows, diffs, conv, curve = [], [], [], []
    for m in chosen:
        w = ok.pivot_table(
            index="replicate", columns="structure", values=f"metric.{m}", aggfunc="first"
        )
        for s in labels:
            vals = w[s].to_numpy() if s in w else []
            rows.append({"structure": s, "metric": m, **mean_ci(vals, level)})
        for s in labels:
            if s == baseline or s not in w or baseline not in w:
                continue
            pd_ = paired_difference(w[s].to_numpy(), w[baseline].to_numpy(), level)
            diffs.append({"structure": s, "baseline": baseline, "metric": m, **pd_})
            scale = abs(float(w[baseline].mean()))
            if not scale > 0:  # a zero baseline: precision relative to its spread instead
                scale = float(w[baseline].std(ddof=1))
            target = precision * scale if scale == scale and scale > 0 else float("nan")
            conv.append(
                {
                    "structure": s,
                    "metric": m,
                    "n": pd_["n_pairs"],
                    "half_width": pd_["ci_high"] - pd_["diff"],
                    "target": target,
                    "replicates_needed": replicates_needed(pd_["sd_diff"], target, level),
                }
            )
            both = w[[s, baseline]].dropna()
            curve += [
                {"structure": s, "metric": m, "n": n, "half_width": h}
                for n, h in halfwidth_curve((both[s] - both[baseline]).to_numpy(), level)
            ]
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
    differences["p_holm"] = holm(differences["p_value"].to_numpy(dtype=float))
    bands = _bands(store, ok, track, level)
    return CompareResult(
        track,
        baseline,
        labels,
        chosen,
        table,
        differences,
        bands,
        failed,
        descriptions=extra.get("descriptions"),
        mode=extra.get("mode", "track"),
        convergence=pd.DataFrame(conv),
        curve=pd.DataFrame(curve),
        precision=precision,
    )


def _bands(store, ok, track: str | None, level: float):
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
    series = [c for c in _listed(track, "headline_series", CROSS_SERIES) if c in ts.columns]
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
