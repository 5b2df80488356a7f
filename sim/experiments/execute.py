"""Running a design: chunks of runs on a backend, each finished chunk committed to the store.

Backends:

- :class:`SerialBackend` (``jobs=1``): in this process, nothing started;
- :class:`LocalPoolBackend` (default, ``jobs>=2``): ``concurrent.futures.ProcessPoolExecutor``
  with the *forkserver* start method (spawn where unavailable), bounded in-flight chunks so the
  parent's memory does not grow with the sweep, workers recycled every ``max_tasks_per_child``
  chunks so theirs does not either;
- :class:`DaskBackend` (``--scheduler ADDRESS``): a running ``dask.distributed`` scheduler; the
  base scenario is scattered once, chunks are submitted in a bounded window.

A chunk's result depends only on its runs' (scenario, overrides, seed), never on the worker or
the chunking, so every backend produces the same rows.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import struct
import time
import traceback
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass

from sim.errors import UserError
from sim.experiments import adapter
from sim.io_safety import cap_jobs, init_worker, mp_context

# --------------------------------------------------------------------------- worker side

_WORKER_BASE = None  # the base scenario, set once per worker process by the pool initializer


def _init_worker(base) -> None:
    global _WORKER_BASE
    init_worker()  # dies with the parent; the parent handles Ctrl-C
    _WORKER_BASE = base


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_one(base, task: dict, timeseries: str = "none"):
    """Run one task -> (row, series or None, per-area monthly table or None); never raises: a
    failing run becomes a row with status 'failed'."""
    t0 = time.perf_counter()
    c0 = time.process_time()
    row = {
        "run_id": int(task["run_id"]),
        "point_id": int(task["point_id"]),
        "replicate": int(task["replicate"]),
        "seed": int(task["seed"]),
        "status": "ok",
        "error": "",
        "duration_s": 0.0,
        "cpu_s": 0.0,
        "worker": _worker_id(),
        "scenario_hash": "",
    }
    sc = None
    ts = areas = None
    try:
        overrides = task.get("overrides") or {}
        sc = adapter.apply_point(base, overrides) if overrides else base
        row["scenario_hash"] = sc.hash
        if task.get("areas"):
            res = adapter.run_model(sc, task["seed"], areas=True)
        else:
            res = adapter.run_model(sc, task["seed"])
        metrics = res.metrics
        if task.get("metrics_module"):
            from sim.experiments.user_metrics import evaluate

            metrics = {**metrics, **evaluate(task["metrics_module"], res, metrics)}
        for k, v in metrics.items():
            row[f"metric.{k}"] = adapter.metric_float(v)
        if timeseries != "none":
            frame = res.monthly if timeseries == "monthly" else res.timeseries
            ts = frame.reset_index(drop=frame.index.name is None).copy()
            ts.insert(0, "run_id", row["run_id"])
        if task.get("areas"):
            areas = res.areas
            areas.insert(0, "run_id", row["run_id"])
    except Exception as exc:  # recorded, the sweep goes on
        row["status"] = "failed"
        msg = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
        tb = traceback.extract_tb(exc.__traceback__)
        if tb:
            last = tb[-1]
            msg += f" (at {os.path.basename(last.filename)}:{last.lineno})"
        row["error"] = msg
    params = (sc or base).flat_params()
    # a failed run keeps its intended values; decision patches and variants are not in flat_params
    params = {
        **params,
        **{k: v for k, v in (task.get("overrides") or {}).items() if sc is None or k not in params},
    }
    for k, v in params.items():
        row[f"param.{k}"] = adapter.scalar(v)
    row["duration_s"] = round(time.perf_counter() - t0, 6)
    row["cpu_s"] = round(time.process_time() - c0, 6)
    return row, ts, areas


def run_chunk(tasks: list[dict], timeseries: str = "none", base=None) -> dict:
    """Run a list of tasks in this process and return their rows (and series)."""
    import pandas as pd

    base = base if base is not None else _WORKER_BASE
    if base is None:
        raise RuntimeError("worker has no base scenario")
    rows, frames, area_frames = [], [], []
    for t in tasks:
        row, ts, areas = run_one(base, t, timeseries)
        rows.append(row)
        if ts is not None:
            frames.append(ts)
        if areas is not None:
            area_frames.append(areas)
    series = pd.concat(frames, ignore_index=True) if frames else None
    areas = pd.concat(area_frames, ignore_index=True) if area_frames else None
    return {"rows": rows, "timeseries": series, "areas": areas}


# --------------------------------------------------------------------------- backends


class WorkerDied(UserError):
    """A worker process or a Dask worker was lost mid-run: one line, the store stays resumable."""


class SerialBackend:
    name = "serial"
    workers = 1

    def __init__(self, base, timeseries: str = "none"):
        self.base = base
        self.timeseries = timeseries

    def run(self, chunks: Iterable[list[dict]]) -> Iterator[dict]:
        for chunk in chunks:
            yield run_chunk(chunk, self.timeseries, base=self.base)


class LocalPoolBackend:
    name = "local"

    def __init__(
        self,
        base,
        jobs: int,
        timeseries: str = "none",
        max_inflight: int | None = None,
        max_tasks_per_child: int | None = 200,
        start_method: str | None = None,
    ):
        self.base = base
        self.workers = int(jobs)
        self.timeseries = timeseries
        self.max_inflight = max_inflight or 2 * self.workers
        self.max_tasks_per_child = max_tasks_per_child
        self.start_method = start_method
        self.pids: set[int] = set()

    def run(self, chunks: Iterable[list[dict]]) -> Iterator[dict]:
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        ex = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=mp_context(self.start_method),
            initializer=_init_worker,
            initargs=(self.base,),
            max_tasks_per_child=self.max_tasks_per_child,
        )
        inflight: set = set()
        it = iter(chunks)
        clean = False
        try:
            exhausted = False
            while True:
                while not exhausted and len(inflight) < self.max_inflight:
                    chunk = next(it, None)
                    if chunk is None:
                        exhausted = True
                        break
                    inflight.add(ex.submit(run_chunk, chunk, self.timeseries))
                    self.pids.update(getattr(ex, "_processes", {}) or {})
                if not inflight:
                    break
                done, inflight = wait(inflight, return_when=FIRST_COMPLETED)
                self.pids.update(getattr(ex, "_processes", {}) or {})
                for fut in done:
                    yield fut.result()
            clean = True
        except BrokenProcessPool:  # raised by submit() or result() once a worker is gone
            raise WorkerDied(
                "a worker process died (out of memory or killed?); finished runs are kept, "
                "rerun the same command to resume"
            ) from None
        finally:
            if clean:
                ex.shutdown(wait=True)
            else:  # interrupted or failed: drop queued work, stop the workers now
                for fut in inflight:
                    fut.cancel()
                procs = list((getattr(ex, "_processes", None) or {}).values())
                ex.shutdown(wait=False, cancel_futures=True)
                for p in procs:
                    with contextlib.suppress(Exception):  # already gone
                        p.terminate()
                for p in procs:
                    p.join(timeout=5)


class DaskBackend:
    name = "dask"

    def __init__(
        self,
        base,
        address: str,
        timeseries: str = "none",
        max_inflight: int | None = None,
        connect_timeout: float = 10.0,
    ):
        self.base = base
        self.address = address
        self.timeseries = timeseries
        self.max_inflight = max_inflight
        self.connect_timeout = connect_timeout
        self.client = None
        self.workers = 0

    def _fail(self, why: str) -> UserError:
        return UserError(
            f"{why}; start one with `dask scheduler` or give the address it prints "
            "(tcp://HOST:8786)",
            key="--scheduler",
        )

    def probe(self) -> None:
        """Check, within ``connect_timeout``, that the address speaks Dask: a scheduler sends
        its handshake as soon as it accepts a connection; anything else (an HTTP server, a
        silent port) is refused here instead of hanging the client for ever."""
        scheme, _, rest = self.address.rpartition("://")
        if scheme not in ("", "tcp"):
            return  # tls/ws/...: left to the client, bounded by the overall timeout
        host, _, port = rest.rpartition(":")
        host = host.strip("[]") or "127.0.0.1"
        try:
            port_no = int(port)
        except ValueError:
            raise self._fail(f"{self.address!r} has no port number") from None
        try:
            with socket.create_connection((host, port_no), timeout=self.connect_timeout) as s:
                s.settimeout(self.connect_timeout)
                head = b""
                while len(head) < 16:
                    chunk = s.recv(16 - len(head))
                    if not chunk:
                        break
                    head += chunk
        except TimeoutError:
            raise self._fail(
                f"{self.address!r} accepts connections but sent no Dask handshake within "
                f"{self.connect_timeout:g}s (not a Dask scheduler?)"
            ) from None
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise self._fail(
                f"cannot reach a Dask scheduler at {self.address!r} ({reason})"
            ) from None
        total, nframes = struct.unpack("<QQ", head) if len(head) == 16 else (0, 0)
        if not (16 <= total <= 1 << 24 and 1 <= nframes <= 64):
            raise self._fail(
                f"{self.address!r} answered, but not with the Dask protocol "
                f"(first bytes {head[:8]!r})"
            )

    def connect(self):
        if self.client is not None:
            return self.client
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover
            raise UserError(
                "--scheduler needs dask.distributed: pip install 'dask[distributed]'"
            ) from exc
        self.probe()
        try:
            self.client = Client(
                self.address, timeout=f"{self.connect_timeout}s", set_as_default=False
            )
        except (OSError, TimeoutError, ValueError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise self._fail(
                f"cannot reach a Dask scheduler at {self.address!r} ({reason[:160]})"
            ) from None
        try:
            self.workers = self._check_workers()
        except BaseException:
            self.close()
            raise
        return self.client

    def _cannot_import(self, exc: ModuleNotFoundError) -> UserError:
        return UserError(
            f"a Dask worker at {self.address} cannot import {exc.name!r}: install syriasim "
            "(the same version) in the workers' environment",
            key="--scheduler",
        )

    def _check_workers(self) -> int:
        """Thread count of the workers, once one has answered (with the same syriasim)."""
        client = self.client
        try:
            client.wait_for_workers(1, timeout=self.connect_timeout)
        except Exception:  # noqa: BLE001 - a timeout, whatever its class
            raise UserError(
                f"the Dask scheduler at {self.address!r} has no workers (waited "
                f"{self.connect_timeout:g}s); start some with `dask worker {self.address}`",
                key="--scheduler",
            ) from None
        try:
            # generous: a worker's first task imports the model
            theirs = client.submit(adapter.version, pure=False).result(
                timeout=max(60.0, 6 * self.connect_timeout)
            )
        except ModuleNotFoundError as exc:
            raise self._cannot_import(exc) from None
        except Exception as exc:  # noqa: BLE001 - a timeout or a dead worker
            raise UserError(
                f"no Dask worker at {self.address!r} answered a test task "
                f"({type(exc).__name__}); check the workers",
                key="--scheduler",
            ) from None
        if theirs != adapter.version():
            raise UserError(
                f"the Dask workers at {self.address} run syriasim {theirs}, this is "
                f"{adapter.version()}; install the same version on both",
                key="--scheduler",
            )
        info = client.scheduler_info()
        return max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))

    def close(self):
        if self.client is not None:
            try:
                self.client.close()
            finally:
                self.client = None

    def run(self, chunks: Iterable[list[dict]]) -> Iterator[dict]:
        from distributed import as_completed

        client = self.connect()
        window = self.max_inflight or max(4, 2 * self.workers)
        base_f = client.scatter(self.base, broadcast=True, hash=False)
        it = iter(chunks)
        ac = as_completed(loop=client.loop)
        pending = set()

        def submit_next() -> bool:
            chunk = next(it, None)
            if chunk is None:
                return False
            fut = client.submit(run_chunk, chunk, self.timeseries, base_f, pure=False)
            pending.add(fut)
            ac.add(fut)
            return True

        try:
            for _ in range(window):
                if not submit_next():
                    break
            for fut in ac:
                pending.discard(fut)
                try:
                    result = fut.result()
                except ModuleNotFoundError as exc:
                    raise self._cannot_import(exc) from None
                except Exception as exc:  # noqa: BLE001 - KilledWorker, a lost connection, ...
                    raise WorkerDied(
                        f"a Dask worker failed ({type(exc).__name__}: {str(exc)[:120]}); finished "
                        "runs are kept, rerun the same command to resume",
                        key="--scheduler",
                    ) from None
                fut.release()
                submit_next()
                yield result
        finally:
            for fut in pending:
                fut.cancel()
            self.close()


# --------------------------------------------------------------------------- orchestration


@dataclass
class ExecutionReport:
    total: int
    already_done: int
    ran: int
    failed: int
    interrupted: bool
    elapsed_s: float
    backend: str
    workers: int

    @property
    def complete(self) -> bool:
        return not self.interrupted and self.already_done + self.ran >= self.total


def auto_chunk_size(pending: int, workers: int) -> int:
    return max(1, min(50, math.ceil(pending / max(1, workers * 16))))


def make_backend(base, jobs: int, scheduler: str | None, timeseries: str):
    if scheduler:
        timeout = float(os.environ.get("SYRIASIM_DASK_CONNECT_TIMEOUT", "10"))
        b = DaskBackend(base, scheduler, timeseries, connect_timeout=timeout)
        b.connect()
        return b
    jobs = cap_jobs(jobs)
    if jobs == 1:
        return SerialBackend(base, timeseries)
    return LocalPoolBackend(base, jobs, timeseries)


class AllRunsFailed(UserError):
    """The first runs of a session all failed: stop instead of failing thousands more."""


def execute(
    design,
    base,
    store,
    backend,
    *,
    chunk_size: int | None = None,
    progress: bool | None = None,
    on_chunk=None,
    retry_failed: bool = False,
    fail_fast: int = 20,
    stamp: dict | None = None,
) -> ExecutionReport:
    """Run every run of ``design`` not yet in ``store``; commit each finished chunk (its rows
    stamped with ``stamp``: the session id and code identity)."""
    from tqdm import tqdm

    done = store.done_run_ids(ok_only=retry_failed)
    pending = [rid for rid in range(design.n_runs) if rid not in done]
    workers = max(1, getattr(backend, "workers", 1))
    cs = chunk_size or auto_chunk_size(len(pending), workers)

    def chunks():
        for i in range(0, len(pending), cs):
            yield [design.task(r) for r in pending[i : i + cs]]

    bar = tqdm(
        total=design.n_runs,
        initial=len(done),
        unit="run",
        desc=f"{backend.name} x{workers}",
        disable=(not progress) if progress is not None else None,
        dynamic_ncols=True,
        smoothing=0.1,
    )
    t0 = time.perf_counter()
    ran = failed = 0
    interrupted = False
    gen = backend.run(chunks())
    try:
        for result in gen:
            rows = result["rows"]
            for r in rows:
                r.update(stamp or {})
            store.write_part(rows, result.get("timeseries"), result.get("areas"))
            ran += len(rows)
            nf = sum(1 for r in rows if r["status"] != "ok")
            failed += nf
            bar.update(len(rows))
            if failed:
                bar.set_postfix(failed=failed, refresh=False)
            if on_chunk is not None:
                on_chunk(ran, rows)
            if fail_fast and failed == ran and ran >= min(fail_fast, len(pending)):
                first = next(r for r in rows if r["status"] != "ok")
                raise AllRunsFailed(
                    f"the first {ran} runs all failed, e.g. run {first['run_id']}: {first['error']}; "
                    "stopped (failed runs are stored: fix the cause, then rerun with --retry-failed)"
                )
    except KeyboardInterrupt:
        interrupted = True
    finally:
        try:
            gen.close()
        except KeyboardInterrupt:  # a second Ctrl-C during cleanup
            interrupted = True
        bar.close()
    return ExecutionReport(
        total=design.n_runs,
        already_done=len(done),
        ran=ran,
        failed=failed,
        interrupted=interrupted,
        elapsed_s=time.perf_counter() - t0,
        backend=backend.name,
        workers=workers,
    )


def pilot_seconds(base, design, n: int = 1) -> float:
    """Time ``n`` runs of the design's first points in this process (for --dry-run estimates)."""
    t0 = time.perf_counter()
    for rid in range(min(n, design.n_runs)):
        run_one(base, design.task(rid))
    return (time.perf_counter() - t0) / max(1, min(n, design.n_runs))
