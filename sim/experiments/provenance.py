"""Provenance recorded with a results folder: what was run, from which files, by which code."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import subprocess
import sys
from pathlib import Path

from sim.experiments import adapter
from sim.io_safety import project_path


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def file_sha256(path) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def git_info(where: Path | None = None) -> dict:
    where = where or Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
        )
        if commit.returncode != 0:
            return {"commit": None}
        status = subprocess.run(
            ["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return {"commit": commit.stdout.strip(), "dirty": bool(status.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None}


def scenario_files(sc) -> dict[str, str | None]:
    """Content hashes of every file the scenario was read from (its `extends` chain included)."""
    files = list(getattr(sc, "sources", ()) or ())
    if not files and getattr(sc, "path", None):
        files = [sc.path]
    return {project_path(p): file_sha256(p) for p in files}


# Distributions whose versions are recorded (read from package metadata: SALib, for one, has
# no __version__ attribute).
DISTRIBUTIONS = ("mesa", "numpy", "pandas", "scipy", "pyarrow", "SALib", "matplotlib", "networkx")


def versions() -> dict:
    from importlib import metadata

    out = {"syriasim": adapter.version(), "python": sys.version.split()[0]}
    for dist in DISTRIBUTIONS:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def _package_root() -> Path:
    import sim

    return Path(sim.__file__).resolve().parent


@functools.lru_cache(maxsize=4)
def _source_sha256(root: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(root.rglob("*")):
        if f.is_file() and "__pycache__" not in f.parts and f.suffix not in (".pyc", ".pyo"):
            h.update(f.relative_to(root).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


def code_identity() -> dict:
    """What code made the runs: the package version, a hash of every file of the imported
    ``sim`` package (code and shipped data; it changes with any edit, committed or not) and
    the git commit with its dirty flag when the package sits in a git checkout."""
    root = _package_root()
    git = git_info(root.parent)
    return {
        "version": adapter.version(),
        "source_sha256": _source_sha256(root),
        "commit": git.get("commit"),
        "dirty": git.get("dirty"),
    }


def describe_code(code: dict | None) -> str:
    """One line: version, source hash, commit and dirty flag."""
    if not code:
        return "unknown (folder written before code identities were recorded)"
    commit = code.get("commit")
    git = f"git {commit[:12]}" if commit else "git n/a"
    dirty = {True: "yes (uncommitted edits)", False: "no"}.get(
        code.get("dirty"), "n/a (not a git checkout)"
    )
    sha = str(code.get("source_sha256"))[:12]
    return f"syriasim {code.get('version')}, source sha256 {sha}, {git}, dirty: {dirty}"


def base_provenance(base, *, sweep_file=None, overrides=()) -> dict:
    prov = {
        "scenario": {
            "name": base.name,
            "path": project_path(base.path) if getattr(base, "path", None) else None,
            "overrides": list(overrides),
            "resolved_sha256": base.hash,
            "files": scenario_files(base),
        },
        "versions": versions(),
        "git": git_info(),
        "code": code_identity(),
        "sessions": [],
    }
    if sweep_file is not None:
        prov["sweep_file"] = {
            "path": project_path(sweep_file.path),
            "sha256": sweep_file.sha256,
        }
    return prov
