"""Provenance recorded with a results folder: what was run, from which files, by which code."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
from pathlib import Path

from sim.experiments import core


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
    return {str(p): file_sha256(p) for p in files}


def versions() -> dict:
    out = {"syriasim": core.version(), "python": sys.version.split()[0]}
    for mod in ("mesa", "numpy", "pandas", "pyarrow", "SALib"):
        try:
            out[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001
            out[mod] = None
    return out


def base_provenance(base, *, sweep_file=None, overrides=()) -> dict:
    prov = {
        "scenario": {
            "name": base.name,
            "path": str(base.path) if getattr(base, "path", None) else None,
            "overrides": list(overrides),
            "resolved_sha256": base.hash,
            "files": scenario_files(base),
        },
        "versions": versions(),
        "git": git_info(),
        "sessions": [],
    }
    if sweep_file is not None:
        prov["sweep_file"] = {
            "path": str(Path(sweep_file.path).resolve()),
            "sha256": sweep_file.sha256,
        }
    return prov
