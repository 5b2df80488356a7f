"""`syriasim summarize DIR`: what a results folder holds, where it came from, what failed."""

from __future__ import annotations

from pathlib import Path

from sim.experiments.convergence import replicate_table
from sim.experiments.provenance import describe_code
from sim.experiments.stats import fmt_g
from sim.experiments.store import ResultsStore

# Precision the replicates table of `summarize` reports against (share of the metric's mean size).
PRECISION = 0.05


def summarize(out, *, max_failures: int = 10) -> dict:
    """A dict with the manifest, provenance, counts, metric summary (DataFrame) and failures."""
    store = ResultsStore(out)
    man = store.manifest()
    prov = store.provenance()
    runs = store.read_runs()
    n_ok = int((runs.status == "ok").sum()) if len(runs) else 0
    n_failed = int((runs.status != "ok").sum()) if len(runs) else 0
    metric_cols = [c for c in runs.columns if c.startswith("metric.")]
    stats = reps = None
    if n_ok and metric_cols:
        ok = runs[runs.status == "ok"]
        stats = ok[metric_cols].agg(["count", "mean", "std", "min", "max"]).T
        stats.index = [c[len("metric.") :] for c in stats.index]
        if man["design"]["replicates"] > 1:  # is the seed noise of a point's mean small enough?
            reps = replicate_table(ok, list(stats.index), PRECISION)
    failures = (
        runs[runs.status != "ok"][["run_id", "point_id", "replicate", "seed", "error"]]
        if n_failed
        else None
    )
    return {
        "manifest": man,
        "provenance": prov,
        "runs": runs,
        "n_runs": int(man.get("n_runs", 0)),
        "n_stored": len(runs),
        "n_ok": n_ok,
        "n_failed": n_failed,
        "metrics": stats,
        "replicates": reps,
        "failures": failures,
        "max_failures": max_failures,
    }


def _writer_alive(out) -> bool:
    """Is a sweep writing to this folder right now (holding its lock)?"""
    import fcntl

    path = Path(out) / ".lock"
    if not path.exists():
        return False
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    return False


def _g4(v) -> str:
    return fmt_g(v, 4)


def render(info: dict, out) -> str:
    man, prov = info["manifest"], info["provenance"]
    d = man["design"]
    lines = [
        f"{man['kind']} {man.get('name')!r} in {out}",
        f"  design: {d['method']}, {d['n_points']:,} points x {d['replicates']} replicates = {info['n_runs']:,} runs; master seed {d['master_seed']} ({d['seeds']} seeds)",
        "  parameters: "
        + ", ".join(
            p["key"]
            + (
                f" ~ {p['dist']}("
                + ", ".join(f"{k}={p[k]:g}" for k in ("mean", "sd", "min", "mode", "max") if k in p)
                + ")"
                if "dist" in p
                else f" in [{p['low']:g}, {p['high']:g}]"
                if "low" in p
                else f" in {p.get('values')}"
            )
            for p in d["params"]
        ),
        f"  runs stored: {info['n_stored']:,} of {info['n_runs']:,} ({info['n_ok']:,} ok, {info['n_failed']:,} failed)"
        + (
            ""
            if info["n_stored"] >= info["n_runs"]
            else " -- incomplete: rerun the same command to resume"
        ),
    ]
    sc = prov.get("scenario", {})
    if sc:
        lines.append(
            f"  scenario: {sc.get('name')} (resolved sha256 {str(sc.get('resolved_sha256'))[:16]}), overrides {sc.get('overrides') or 'none'}"
        )
        for path, h in (sc.get("files") or {}).items():
            lines.append(f"    {path}  sha256 {str(h)[:16]}")
    if prov.get("sweep_file"):
        sf = prov["sweep_file"]
        lines.append(f"  sweep file: {sf['path']}  sha256 {sf['sha256'][:16]}")
    v = prov.get("versions") or {}
    lines.append(f"  code of the stored runs: {describe_code(man.get('code'))}")
    lines.append(
        "  libraries: " + ", ".join(f"{k} {val}" for k, val in v.items() if k != "syriasim" and val)
    )
    for old in man.get("superseded", []):
        lines.append(
            f"  superseded: runs of other code set aside in {old.get('path')} "
            f"({describe_code(old.get('code'))})"
        )
    sessions = prov.get("sessions", [])
    alive = _writer_alive(out)
    for i, s in enumerate(sessions):
        if s.get("status") == "running" and (i < len(sessions) - 1 or not alive):
            s = {**s, "status": "ended abruptly (killed or crashed; its finished chunks are kept)"}
        lines.append(
            f"  session {s.get('id', i + 1)} {s.get('start')} -> {s.get('end') or '?'}: {s.get('status')}, backend {s.get('backend')} x{s.get('workers')}, ran {s.get('ran', '?')} ({s.get('failed', '?')} failed)"
        )
        if s.get("code"):
            lines.append(f"    code: {describe_code(s['code'])}")
    if info["metrics"] is not None:
        lines.append("")
        lines.append(
            f"  {'metric':40s} {'n':>6s} {'mean':>11s} {'sd':>11s} {'min':>11s} {'max':>11s}"
        )
        for name, r in info["metrics"].iterrows():
            lines.append(
                f"  {name:40s} {int(r['count']):6d} {_g4(r['mean']):>11s} {_g4(r['std']):>11s} {_g4(r['min']):>11s} {_g4(r['max']):>11s}"
            )
    reps = info.get("replicates")
    if reps is not None and len(reps):
        lines.append("")
        lines.append(
            f"  replicates: 95% CI half-width of a design point's mean; replicates needed for "
            f"{PRECISION:.0%} of the metric's mean size"
        )
        lines.append(
            f"  {'metric':40s} {'reps':>5s} {'seed sd':>11s} {'half-width':>11s} {'needed':>9s}"
        )
        for _, r in reps.iterrows():
            need = r["replicates_needed"]
            need_txt = "n/a" if need != need else f"{int(need):,}"
            lines.append(
                f"  {r['metric']:40s} {int(r['replicates']):5d} {_g4(r['sd_within']):>11s} "
                f"{_g4(r['half_width']):>11s} {need_txt:>9s}"
            )
    if info["failures"] is not None:
        lines.append("")
        lines.append(f"  failed runs ({info['n_failed']}):")
        for _, r in info["failures"].head(info["max_failures"]).iterrows():
            lines.append(
                f"    run {r['run_id']} (point {r['point_id']}, replicate {r['replicate']}, seed {r['seed']}): {r['error']}"
            )
        if info["n_failed"] > info["max_failures"]:
            lines.append(
                f"    ... {info['n_failed'] - info['max_failures']} more (read runs/*.parquet, status == 'failed')"
            )
    lines.append("")
    lines.append(
        f"  read with: pandas.read_parquet('{Path(out) / 'runs'}')  |  DuckDB: SELECT * FROM read_parquet('{Path(out) / 'runs' / '*.parquet'}')"
    )
    return "\n".join(lines)
