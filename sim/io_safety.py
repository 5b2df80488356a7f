"""Safety checks shared by every command: user files, output folders, seeds, worker counts and
child processes. Each check runs before anything is created, deleted or run, and turns a bad
input into one :class:`UserError` line (see docs/RELIABILITY.md)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import signal
import sys
import tempfile
import tomllib
from pathlib import Path

from sim.errors import UserError

MAX_SEED = 2**63 - 1  # seeds are stored in int64 Parquet columns
WORKER_MEMORY_MB = 250  # resident size of one worker process running the model (measured ~190 MB)
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


# --------------------------------------------------------------------------- user files
def read_text(path, *, key: str | None = None, missing: str = "cannot read: no such file") -> str:
    """A user file as text: UTF-8 (a leading byte-order mark is accepted), else one line naming
    the file and the byte offset of the first undecodable byte."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise UserError(missing, file=str(p), key=key) from None
    except IsADirectoryError:
        raise UserError("is a folder, not a file", file=str(p), key=key) from None
    except OSError as exc:
        raise UserError(f"cannot read: {exc.strerror}", file=str(p), key=key) from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        hint = " (it looks like UTF-16)" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise UserError(
            f"not UTF-8 text: byte {exc.start} is 0x{data[exc.start]:02x}{hint}; "
            "save the file as UTF-8",
            file=str(p),
            key=key,
        ) from None


def read_toml(path, *, key: str | None = None) -> dict:
    """A TOML user file, with encoding and syntax errors as one line."""
    text = read_text(path, key=key)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"not valid TOML: {exc}", file=str(path), key=key) from None


# --------------------------------------------------------------------------- seeds and names
def check_seed(value, key: str, file: str | None = None) -> int:
    """A seed: an integer in 0 .. 2**63-1."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise UserError(f"expected an integer seed, got {value!r}", file=file, key=key)
    if not 0 <= value <= MAX_SEED:
        raise UserError(
            f"out of range: {value}; a seed is an integer from 0 to 2**63-1", file=file, key=key
        )
    return value


def safe_name(name: str, fallback: str = "out") -> str:
    """A file-system-safe version of a scenario/sweep name: letters, digits, '.', '_', '-' only,
    never starting with '.', so it names one folder inside the output root and nothing else."""
    clean = _NAME_UNSAFE.sub("_", str(name)).strip("._-")
    return clean[:100] or fallback


PROJECT_ROOT = Path(__file__).resolve().parents[1]


def project_path(path) -> str:
    """A path as recorded in outputs: relative to the project when inside it (so two clones
    write the same bytes), else absolute."""
    p = Path(path).resolve()
    try:
        return p.relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(p)


# --------------------------------------------------------------------------- output folders
def check_out_path(path, key: str = "--out") -> Path:
    """Refuse an output folder that cannot be one: empty, '.', '..', the working folder or one
    of its parents, an existing file, or a place where nothing can be created."""
    text = str(path)
    if not text.strip():
        raise UserError("is empty; give a folder name", key=key)
    p = Path(text)
    if p.name in ("", ".", "..") or text.rstrip("/").endswith((os.sep + ".", os.sep + "..")):
        raise UserError(f"{text!r} is not a folder of its own; give a new folder name", key=key)
    try:
        resolved = p.resolve()
        cwd = Path.cwd().resolve()
    except (OSError, RuntimeError) as exc:
        raise UserError(f"unusable path {text!r}: {exc}", key=key) from None
    if resolved == cwd or resolved in cwd.parents:
        raise UserError(
            f"{text!r} is the working folder or one of its parents; give a new folder name",
            key=key,
        )
    if p.exists() and not p.is_dir():
        raise UserError(f"{text!r} exists and is not a folder", key=key)
    _check_writable(p if p.is_dir() else p.parent, text, key)
    return p


def check_out_file(path, key: str) -> Path:
    """An output *file*: not a folder, in a folder that exists or can be created."""
    text = str(path)
    p = Path(text)
    if not text.strip() or p.name in ("", ".", ".."):
        raise UserError(f"{text!r} is not a file name", key=key)
    if p.is_dir():
        raise UserError(f"{text!r} is a folder; give a file name", key=key)
    _check_writable(p.parent, text, key)
    return p


def _check_writable(folder: Path, text: str, key: str) -> None:
    """The nearest existing ancestor of ``folder`` is a folder we can create things in."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise UserError(f"cannot create {text!r}: {probe} is a file", key=key)
    try:
        Path(tempfile.mkdtemp(prefix=".syriasim-probe-", dir=probe)).rmdir()
    except OSError as exc:
        raise UserError(f"cannot write in {probe}: {exc.strerror or exc}", key=key) from None


def folder_lock(folder: Path, busy: str):
    """An exclusive lock on ``folder/.lock`` held while the returned file stays open; a second
    writer gets ``busy`` as a one-line error."""
    import fcntl

    fh = open(Path(folder) / ".lock", "a+")  # noqa: SIM115 - held by the caller
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise UserError(busy, file=str(folder)) from None
    return fh


# --------------------------------------------------------------------------- resources
def _available_memory_mb() -> float | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def max_jobs() -> int:
    """Worker processes this machine can hold: its usable cores, and its free memory."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    mem = _available_memory_mb()
    by_memory = int(mem // WORKER_MEMORY_MB) if mem is not None else cores
    return max(1, min(cores, by_memory))


def cap_jobs(jobs: int | None, *, command: str = "syriasim") -> int:
    """``jobs`` (None: all the machine can hold), capped to :func:`max_jobs` with a one-line
    note on stderr when it was higher."""
    limit = max_jobs()
    if jobs is None or jobs <= 0:
        return limit
    if jobs > limit:
        print(
            f"{command}: note: --jobs {jobs} capped to {limit} (cores and free memory of this "
            "machine)",
            file=sys.stderr,
            flush=True,
        )
        return limit
    return jobs


# --------------------------------------------------------------------------- child processes
_PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Ask Linux to send ``sig`` to this process when its parent dies (so no worker or server
    outlives a killed command). A no-op elsewhere."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() == 1:  # the parent died before the request took effect
            os._exit(1)


def mp_context(start_method: str | None = None):
    """The multiprocessing context for worker pools: forkserver (spawn where unavailable), with
    the fork server itself set to die with this process (its workers die with it in turn, see
    :func:`init_worker`)."""
    import multiprocessing as mp

    if not start_method:
        methods = mp.get_all_start_methods()
        start_method = "forkserver" if "forkserver" in methods else "spawn"
    ctx = mp.get_context(start_method)
    if start_method == "forkserver":
        ctx.set_forkserver_preload(["sim._child"])
    return ctx


def init_worker() -> None:
    """Pool initializer: die with the parent; leave Ctrl-C to the parent."""
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
