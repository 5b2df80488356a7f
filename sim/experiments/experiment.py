"""An experiment = base scenario + design + storage options; run it into a results folder."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from sim.experiments.design import Design
from sim.experiments.execute import (
    ExecutionReport,
    execute,
    make_backend,
    pilot_seconds,
)
from sim.experiments.provenance import base_provenance, now
from sim.experiments.store import FORMAT, ResultsStore, atomic_write_bytes


@dataclass
class Experiment:
    kind: str  # "sweep" | "compare"
    name: str
    base: object  # sim.scenario.Scenario
    design: Design
    timeseries: str = "none"
    metrics: list[str] | None = None
    overrides: list[str] = field(default_factory=list)
    sweep_file: object | None = None  # sweepfile.SweepFile
    extra: dict = field(default_factory=dict)
    chunk_size: int | None = None

    def fingerprint(self) -> str:
        ident = {
            "kind": self.kind,
            "design": self.design.to_json(),
            "scenario_sha256": self.base.hash,
            "timeseries": self.timeseries,
        }
        return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()

    def manifest(self) -> dict:
        return {
            "format": FORMAT,
            "kind": self.kind,
            "name": self.name,
            "fingerprint": self.fingerprint(),
            "n_runs": self.design.n_runs,
            "n_points": self.design.n_points,
            "replicates": self.design.replicates,
            "design": self.design.to_json(),
            "scenario": {
                "name": self.base.name,
                "sha256": self.base.hash,
                "overrides": self.overrides,
            },
            "timeseries": self.timeseries,
            "metrics": self.metrics,
            "extra": self.extra,
            "created": now(),
        }


@dataclass
class Outcome:
    out: Path
    report: ExecutionReport | None
    dry_run: bool = False

    @property
    def exit_code(self) -> int:
        if self.report is not None and self.report.interrupted:
            return 130
        return 0


def fmt_duration(seconds: float) -> str:
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.1f}s"
    m, s = divmod(int(round(seconds)), 60)
    if m < 60:
        return f"{m}m{s:02d}s"
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m"


def describe(exp: Experiment) -> str:
    d = exp.design
    what = f"{exp.kind} {exp.name!r}: design {d.method}, {len(d.params)} parameter(s), "
    return what + f"{d.n_points:,} points x {d.replicates} replicates = {d.n_runs:,} runs"


def _check_out_dir(exp: Experiment, out: Path, retry_failed: bool = False) -> tuple[int, bool]:
    """(runs already stored, whether the folder holds this experiment); raises if another."""
    store = ResultsStore(out)
    if store.exists():
        old = store.manifest()
        if old.get("fingerprint") != exp.fingerprint():
            # let create_or_resume produce the one-line error (single wording)
            ResultsStore.create_or_resume(out, exp.manifest())
        return len(store.done_run_ids(ok_only=retry_failed)), True
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        ResultsStore.create_or_resume(out, exp.manifest())  # raises
    return 0, False


def run_experiment(
    exp: Experiment,
    out,
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
    chunk_size: int | None = None,
    progress: bool | None = None,
    dry_run: bool = False,
    retry_failed: bool = False,
    echo=print,
) -> Outcome:
    out = Path(out)
    jobs = jobs if jobs and jobs > 0 else (os.cpu_count() or 1)
    if dry_run:
        done, _ = _check_out_dir(exp, out, retry_failed)
        pending = exp.design.n_runs - done
        echo(describe(exp))
        echo(f"{out}: {done:,} runs stored, {pending:,} to run")
        if scheduler:
            backend = make_backend(exp.base, jobs, scheduler, exp.timeseries)
            workers = max(1, backend.workers)
            backend.close()
            where = f"{workers} Dask worker thread(s) at {scheduler}"
        else:
            workers = jobs
            where = f"{jobs} local worker(s)" if jobs > 1 else "1 process (serial)"
        if pending:
            per = pilot_seconds(exp.base, exp.design, n=1)
            eff = 1.0 if workers == 1 else 0.9
            est = per * pending / (workers * eff)
            echo(f"pilot run: {per:.2f}s per run -> estimated {fmt_duration(est)} on {where}")
        else:
            echo("nothing to run: the results are complete")
        return Outcome(out, None, dry_run=True)

    _check_out_dir(exp, out)  # refuse a foreign folder before connecting anywhere
    backend = make_backend(exp.base, jobs, scheduler, exp.timeseries)  # may refuse the scheduler
    try:
        store = ResultsStore.create_or_resume(out, exp.manifest())
    except BaseException:
        if hasattr(backend, "close"):
            backend.close()
        raise
    try:
        if exp.sweep_file is not None and not (out / "sweep.toml").exists():
            atomic_write_bytes(out / "sweep.toml", exp.sweep_file.text.encode())
        store.write_design(exp.design.points_frame())
        prov = store.provenance() or base_provenance(
            exp.base, sweep_file=exp.sweep_file, overrides=exp.overrides
        )
        session = {
            "start": now(),
            "end": None,
            "status": "running",
            "backend": backend.name,
            "workers": getattr(backend, "workers", 1),
            "scheduler": scheduler,
            "versions": prov.get("versions"),
            "git": prov.get("git"),
            "sweep_file_sha256": exp.sweep_file.sha256 if exp.sweep_file is not None else None,
        }
        if prov.get("sessions"):  # later sessions record what ran them too
            from sim.experiments.provenance import git_info, versions

            session["versions"], session["git"] = versions(), git_info()
        prov.setdefault("sessions", []).append(session)
        store.write_provenance(prov)
        try:
            report = execute(
                exp.design,
                exp.base,
                store,
                backend,
                chunk_size=chunk_size or exp.chunk_size,
                progress=progress,
                retry_failed=retry_failed,
            )
        except Exception as exc:  # recorded in the provenance, then reported
            session.update(end=now(), status=f"failed: {type(exc).__name__}: {str(exc)[:200]}")
            store.write_provenance(prov)
            raise
        finally:
            if hasattr(backend, "close"):
                backend.close()
        session.update(
            end=now(),
            status="interrupted"
            if report.interrupted
            else ("complete" if report.complete else "partial"),
            ran=report.ran,
            failed=report.failed,
            elapsed_s=round(report.elapsed_s, 3),
        )
        store.write_provenance(prov)
    finally:
        store.release()
    stored = report.already_done + report.ran
    if report.interrupted:
        echo(
            f"interrupted: {stored:,} of {report.total:,} runs are stored in {out}; run the same command again to resume"
        )
    else:
        msg = f"{report.ran:,} runs in {fmt_duration(report.elapsed_s)} ({report.failed:,} failed)"
        if report.already_done:
            msg += f", {report.already_done:,} were already stored"
        echo(f"{msg} -> {out}")
    return Outcome(out, report)
