"""An experiment = base scenario + design + storage options; run it into a results folder."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sim.errors import UserError
from sim.experiments.design import Design
from sim.experiments.execute import (
    ExecutionReport,
    execute,
    make_backend,
    pilot_seconds,
)
from sim.experiments.provenance import base_provenance, code_identity, describe_code, now
from sim.experiments.store import (
    FORMAT,
    MANIFEST,
    ResultsStore,
    atomic_write_bytes,
    atomic_write_json,
)
from sim.io_safety import cap_jobs, check_out_path

# Where `--new-session` moves the runs another code version made (inside the results folder).
SUPERSEDED = "superseded"


def store_code(out) -> dict | None:
    return ResultsStore(out).manifest().get("code")


def _sha(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


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

    code: dict = field(default_factory=code_identity)

    def design_fingerprint(self) -> str:
        """What is run: design, resolved scenario, stored series (not by which code)."""
        ident = {
            "kind": self.kind,
            "design": self.design.to_json(),
            "scenario_sha256": self.base.hash,
            "timeseries": self.timeseries,
        }
        return _sha(ident)

    def fingerprint(self) -> str:
        """What is run and by which code: runs of two code versions never share a folder."""
        return _sha({"design": self.design_fingerprint(), "code": self.code["source_sha256"]})

    def manifest(self) -> dict:
        return {
            "format": FORMAT,
            "kind": self.kind,
            "name": self.name,
            "fingerprint": self.fingerprint(),
            "design_fingerprint": self.design_fingerprint(),
            "code": self.code,
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


def _check_out_dir(exp: Experiment, out: Path, retry_failed: bool = False) -> tuple[int, str]:
    """(runs already stored, state): ``new``, ``same`` (this experiment, this code) or
    ``other-code`` (this experiment made by other code); raises if it holds another one."""
    store = ResultsStore(out)
    if store.exists():
        old = store.manifest()
        if old.get("fingerprint") == exp.fingerprint():
            return len(store.done_run_ids(ok_only=retry_failed)), "same"
        if old.get("design_fingerprint") == exp.design_fingerprint():
            return len(store.done_run_ids(ok_only=retry_failed)), "other-code"
        if "design_fingerprint" not in old and old.get("fingerprint"):
            raise UserError(
                "was written by an older syriasim that recorded no code identity, so its runs "
                "cannot be resumed without mixing model versions; choose another --out",
                file=str(out),
            )
        # let create_or_resume produce the one-line error (single wording)
        ResultsStore.create_or_resume(out, exp.manifest())
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        ResultsStore.create_or_resume(out, exp.manifest())  # raises
    return 0, "new"


def _other_code_error(exp: Experiment, out: Path) -> UserError:
    old = ResultsStore(out).manifest().get("code")
    return UserError(
        f"holds runs of this {exp.kind} made by other code ({describe_code(old)}; now "
        f"{describe_code(exp.code)}); resuming would mix model versions: rerun with that code, "
        "choose another --out, or pass --new-session to set the stored runs aside and rerun all",
        file=str(out),
    )


def set_aside(exp: Experiment, out: Path) -> Path:
    """Move the runs of other code to ``superseded/<time>-<code>/`` and adopt this code: the
    folder's runs then come from one code version only (the old ones stay readable there)."""
    store = ResultsStore(out)
    store.acquire_lock()
    try:
        old = store.manifest()
        code = str((old.get("code") or {}).get("source_sha256") or "unknown")[:12]
        dest = out / SUPERSEDED / f"{now().replace(':', '')}-{code}"
        dest.mkdir(parents=True)
        for sub in (store.runs_dir, store.ts_dir, store.areas_dir):
            if sub.is_dir():
                os.replace(sub, dest / sub.name)
        entry = {
            "path": str(dest.relative_to(out)),
            "code": old.get("code"),
            "fingerprint": old.get("fingerprint"),
            "moved": now(),
        }
        manifest = {**exp.manifest(), "superseded": [*old.get("superseded", []), entry]}
        atomic_write_json(out / MANIFEST, manifest)
    finally:
        store.release()
    return dest


def _note(msg: str) -> None:
    print(f"syriasim: note: {msg}", file=sys.stderr, flush=True)


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
    new_session: bool = False,
    echo=print,
) -> Outcome:
    out = check_out_path(out)  # every check before anything is created or started
    jobs = cap_jobs(jobs)
    if dry_run:
        done, state = _check_out_dir(exp, out, retry_failed)
        if state == "other-code" and new_session:
            done = 0
        pending = exp.design.n_runs - done
        if scheduler:  # a wrong server is refused before anything is printed
            backend = make_backend(exp.base, jobs, scheduler, exp.timeseries)
            workers = max(1, backend.workers)
            backend.close()
        echo(describe(exp))
        echo(f"{out}: {done:,} runs stored, {pending:,} to run")
        if state == "other-code" and pending and not new_session:
            echo(f"refused when run: {_other_code_error(exp, out).detail}")
        if scheduler:
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

    done, state = _check_out_dir(exp, out, retry_failed)  # refuse before connecting anywhere
    if state == "other-code":
        if done >= exp.design.n_runs and not new_session:  # nothing to run, nothing can mix
            echo(
                f"{out}: complete, made by other code ({describe_code(store_code(out))}); nothing run"
            )
            return Outcome(out, ExecutionReport(done, done, 0, 0, False, 0.0, "none", 0))
        if not new_session:
            raise _other_code_error(exp, out)
        dest = set_aside(exp, out)
        echo(f"new session: the runs of the other code were moved to {dest}")
    backend = make_backend(exp.base, jobs, scheduler, exp.timeseries)  # may refuse the scheduler
    try:
        store = ResultsStore.create_or_resume(out, exp.manifest(), note=_note)
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
        if state == "other-code":  # a new session under this code: its identity is the folder's
            from sim.experiments.provenance import git_info, versions

            prov.update(versions=versions(), git=git_info(), code=exp.code)
        session = {
            "id": f"{len(prov.get('sessions') or []) + 1}-{uuid.uuid4().hex[:8]}",
            "start": now(),
            "end": None,
            "status": "running",
            "backend": backend.name,
            "workers": getattr(backend, "workers", 1),
            "scheduler": scheduler,
            "versions": prov.get("versions"),
            "git": prov.get("git"),
            "sweep_file_sha256": exp.sweep_file.sha256 if exp.sweep_file is not None else None,
            "code": exp.code,
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
                stamp={"session_id": session["id"], "code_sha256": exp.code["source_sha256"][:16]},
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
