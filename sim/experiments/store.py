"""The results store: a folder of Parquet files that pandas, pyarrow and DuckDB read directly.

```
OUT/
  sweep.json          what this folder holds: kind, design, fingerprint (never rewritten)
  sweep.toml          a copy of the sweep file (sweeps only)
  provenance.json     scenario file hashes, package version, git commit, sessions (start/end)
  design.parquet      one row per design point: point_id and the varied values
  runs/part-*.parquet one row per finished run: run_id, point_id, replicate, seed, status,
                      error, duration_s, cpu_s, worker, param.<key> (every resolved parameter), metric.<name>
  timeseries/part-*.parquet   optional: run_id + the run's weekly or monthly series
  areas/part-*.parquet        optional: run_id + each area's state at the end of every month
```

Crash safety: each finished chunk of runs is written as its own part file, first to a temporary
name in the same folder, flushed, then renamed into place (``os.replace`` is atomic), so a part
is either complete or absent. The time-series part of a chunk is written *before* its runs part;
the runs part is the commit record. On restart, leftover temporary files and time-series parts
without a runs part are removed and the runs already present are skipped. Readers drop any
duplicate ``run_id`` (there are none unless two folders were merged by hand).

DuckDB: ``SELECT * FROM read_parquet('OUT/runs/*.parquet')``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import uuid
import warnings
from pathlib import Path

from sim.errors import UserError

FORMAT = 1
MANIFEST = "sweep.json"
PROVENANCE = "provenance.json"
DESIGN = "design.parquet"
RUNS = "runs"
TIMESERIES = "timeseries"
AREAS = "areas"
LOCK = ".lock"
QUARANTINE = "quarantine"
PART_ROWS = b"syriasim.rows"


def _rows_key(companion: str) -> bytes:
    return f"syriasim.{companion}_rows".encode()


ID_COLUMNS = (
    "run_id",
    "point_id",
    "replicate",
    "seed",
    "status",
    "error",
    "duration_s",
    "cpu_s",
    "worker",
)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:6]}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def atomic_write_json(path: Path, obj) -> None:
    atomic_write_bytes(
        path, (json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n").encode()
    )


def atomic_write_table(path: Path, table) -> None:
    import pyarrow.parquet as pq

    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:6]}")
    pq.write_table(table, tmp, compression="zstd")
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def rows_to_table(rows: list[dict]):
    """Rows (dicts) -> pyarrow Table; columns of mixed types fall back to text."""
    import pyarrow as pa

    try:
        return pa.Table.from_pylist(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        cols: dict[str, list] = {}
        for i, r in enumerate(rows):
            for k in r:
                cols.setdefault(k, [None] * len(rows))
            for k, v in r.items():
                cols[k][i] = v
        arrays = {}
        for k, vals in cols.items():
            try:
                arrays[k] = pa.array(vals)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
                arrays[k] = pa.array(
                    [None if v is None else str(v) for v in vals], type=pa.string()
                )
        return pa.table(arrays)


def frame_to_table(df):
    import pyarrow as pa

    try:
        return pa.Table.from_pandas(df, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        df = df.copy()
        for c in df.columns:
            if df[c].dtype == object:
                df[c] = df[c].map(lambda v: None if v is None else str(v))
        return pa.Table.from_pandas(df, preserve_index=False)


class ResultsStore:
    """A results folder (see module docstring). Open with :meth:`create_or_resume` to write."""

    def __init__(self, root):
        self.root = Path(root)
        self._lock_fh = None

    # ----------------------------------------------------------------- reading
    @property
    def runs_dir(self) -> Path:
        return self.root / RUNS

    @property
    def ts_dir(self) -> Path:
        return self.root / TIMESERIES

    @property
    def areas_dir(self) -> Path:
        return self.root / AREAS

    def exists(self) -> bool:
        return (self.root / MANIFEST).is_file()

    def manifest(self) -> dict:
        path = self.root / MANIFEST
        if not path.is_file():
            raise UserError(
                f"not a syriasim results folder (no {MANIFEST}); run `syriasim sweep` or `syriasim compare` with --out {self.root}",
                file=str(self.root),
            )
        try:
            man = json.loads(path.read_bytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UserError(
                f"corrupt {MANIFEST} ({str(exc)[:120]}); this folder's description is unreadable: "
                "restore the file or run into another --out",
                file=str(self.root),
            ) from None
        except OSError as exc:
            raise UserError(
                f"cannot read {MANIFEST}: {exc.strerror}", file=str(self.root)
            ) from None
        if not isinstance(man, dict):
            raise UserError(f"corrupt {MANIFEST} (not a JSON object)", file=str(self.root))
        return man

    def provenance(self) -> dict:
        path = self.root / PROVENANCE
        return json.loads(path.read_text()) if path.is_file() else {}

    def run_parts(self) -> list[Path]:
        return sorted(self.runs_dir.glob("part-*.parquet")) if self.runs_dir.is_dir() else []

    def ts_parts(self, folder: Path | None = None) -> list[Path]:
        d = folder or self.ts_dir
        return sorted(d.glob("part-*.parquet")) if d.is_dir() else []

    def _read_part(self, path: Path, columns=None):
        import pyarrow.parquet as pq

        try:
            return pq.read_table(path, columns=columns)
        except Exception:  # noqa: BLE001 - damaged on disk: `verify` reports it, resume heals it
            return None

    def done_run_ids(self, *, ok_only: bool = False) -> set[int]:
        """Run ids already stored (with ``ok_only``, only those that succeeded)."""
        done: set[int] = set()
        for part in self.run_parts():
            t = self._read_part(part, columns=["run_id", "status"])
            if t is None:
                continue
            ids = t.column("run_id").to_pylist()
            if ok_only:
                st = t.column("status").to_pylist()
                done.update(int(i) for i, s in zip(ids, st, strict=True) if s == "ok")
            else:
                done.update(int(x) for x in ids)
        return done

    def read_design(self):
        import pandas as pd

        path = self.root / DESIGN
        return pd.read_parquet(path) if path.is_file() else pd.DataFrame()

    def read_runs(self):
        """All runs as one DataFrame, sorted by run_id (duplicates dropped)."""
        import pandas as pd

        frames = []
        for part in self.run_parts():
            t = self._read_part(part)
            if t is not None:
                frames.append(t.to_pandas())
        if not frames:
            return pd.DataFrame(columns=list(ID_COLUMNS))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # concat of all-NA columns
            df = pd.concat(frames, ignore_index=True, sort=False)
        # a run retried with --retry-failed: its successful row supersedes the failed one
        df["_failed"] = df["status"] != "ok"
        df = df.sort_values(["run_id", "_failed"], kind="stable").drop_duplicates(
            "run_id", keep="first"
        )
        df = df.drop(columns="_failed")
        return df.reset_index(drop=True)

    def read_areas(self, run_ids=None):
        """Per-area monthly state (run_id, month, area, name, ...), if the sweep kept it."""
        return self.read_timeseries(run_ids, folder=self.areas_dir)

    def read_timeseries(self, run_ids=None, folder: Path | None = None):
        import pandas as pd

        run_stems = {p.stem for p in self.run_parts()}
        frames = []
        for part in self.ts_parts(folder):
            if part.stem not in run_stems:
                continue  # orphan of an interrupted chunk
            t = self._read_part(part)
            if t is None:
                continue
            df = t.to_pandas()
            if run_ids is not None:
                df = df[df["run_id"].isin(run_ids)]
            frames.append(df)
        if not frames:
            return pd.DataFrame()
        return pd.concat(frames, ignore_index=True, sort=False)

    # ----------------------------------------------------------------- writing
    @classmethod
    def create_or_resume(cls, root, manifest: dict, note=None) -> ResultsStore:
        """Open ``root`` for (re)writing the sweep described by ``manifest``.

        A new or empty folder is initialised; a folder holding the same sweep (same
        fingerprint) is resumed; anything else is refused with a :class:`UserError`.
        """
        store = cls(root)
        root = store.root
        if root.exists() and not root.is_dir():
            raise UserError("exists and is not a folder", file=str(root))
        if store.exists():
            old = store.manifest()
            if old.get("fingerprint") != manifest["fingerprint"]:
                raise UserError(
                    f"holds a different {old.get('kind', 'sweep')} ({old.get('name')!r}, fingerprint "
                    f"{str(old.get('fingerprint'))[:12]}, this one {manifest['fingerprint'][:12]}); "
                    "choose another --out or remove that folder",
                    file=str(root),
                )
        elif root.is_dir() and any(p for p in root.iterdir() if p.name != LOCK):
            raise UserError(
                f"exists, is not empty and holds no {MANIFEST}; choose an empty or new --out folder",
                file=str(root),
            )
        root.mkdir(parents=True, exist_ok=True)
        store.acquire_lock()
        store.runs_dir.mkdir(exist_ok=True)
        if not store.exists():
            atomic_write_json(root / MANIFEST, manifest)
        store.cleanup()
        store.repair(note)
        return store

    def acquire_lock(self) -> None:
        fh = open(self.root / LOCK, "a+")  # noqa: SIM115 - held for the store's lifetime
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            raise UserError(
                "another sweep is writing to this folder right now", file=str(self.root)
            ) from None
        self._lock_fh = fh

    def release(self) -> None:
        if self._lock_fh is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_fh.fileno(), fcntl.LOCK_UN)
            self._lock_fh.close()
            self._lock_fh = None

    def cleanup(self) -> None:
        """Remove what an interrupted session can leave behind: temp files, orphan series."""
        for d in (self.root, self.runs_dir, self.ts_dir, self.areas_dir):
            if d.is_dir():
                for tmp in d.glob(".*.tmp-*"):
                    with contextlib.suppress(OSError):
                        tmp.unlink()
        run_stems = {p.stem for p in self.run_parts()}
        for part in [*self.ts_parts(), *self.ts_parts(self.areas_dir)]:
            if part.stem not in run_stems:
                with contextlib.suppress(OSError):
                    part.unlink()

    def write_design(self, design_df) -> None:
        if not (self.root / DESIGN).is_file():
            atomic_write_table(self.root / DESIGN, frame_to_table(design_df))

    def write_part(self, rows: list[dict], timeseries=None, areas=None) -> Path:
        """Commit one finished chunk: its series and area tables (if any), then its rows (the
        commit record)."""
        if not rows:
            raise ValueError("empty chunk")
        first = min(int(r["run_id"]) for r in rows)
        stem = f"part-{first:09d}-{uuid.uuid4().hex[:8]}"
        companions = {}  # rows written per companion folder: the chunk's record checks them
        for folder, frame in ((self.ts_dir, timeseries), (self.areas_dir, areas)):
            companions[folder.name] = 0 if frame is None else len(frame)
            if companions[folder.name]:
                folder.mkdir(exist_ok=True)
                atomic_write_table(folder / f"{stem}.parquet", frame_to_table(frame))
        path = self.runs_dir / f"{stem}.parquet"
        table = rows_to_table(rows)
        # the runs part is the chunk's manifest: its row count and its companions' row counts
        meta = {**(table.schema.metadata or {}), PART_ROWS: str(len(rows))}
        meta.update({_rows_key(name): str(n) for name, n in companions.items()})
        atomic_write_table(path, table.replace_schema_metadata(meta))
        return path

    def write_provenance(self, prov: dict) -> None:
        atomic_write_json(self.root / PROVENANCE, prov)

    # ----------------------------------------------------------------- health
    @property
    def companion_dirs(self) -> tuple[Path, ...]:
        """Folders whose parts belong to a runs part of the same name (series, areas)."""
        return (self.ts_dir, self.areas_dir)

    def check_parts(self) -> list[tuple[Path, str]]:
        """Damaged chunks as (runs part, reason): a runs part that cannot be read in full or
        whose row count differs from its own record, or whose series or areas part is missing,
        unreadable or short. A chunk is named by its runs part (the commit record)."""
        import pyarrow.parquet as pq

        bad = []
        for part in self.run_parts():
            try:
                table = pq.read_table(part)
                meta = table.schema.metadata or {}
                rows = int(meta.get(PART_ROWS, table.num_rows))
            except Exception as exc:  # noqa: BLE001 - any damage
                bad.append((part, f"unreadable ({_first_line(exc)})"))
                continue
            if table.num_rows != rows:
                bad.append((part, f"holds {table.num_rows} rows, its record says {rows}"))
                continue
            for folder in self.companion_dirs:
                why = _companion_problem(folder / part.name, meta.get(_rows_key(folder.name)))
                if why:
                    bad.append((part, why))
                    break
        return bad

    def verify(self) -> dict:
        """The folder's health, read only: damaged parts, duplicate or unexpected run ids,
        orphan series parts, leftover temporary files, runs stored and expected."""
        man = self.manifest()
        bad = self.check_parts()
        damaged = {p for p, _ in bad}
        ids: list[int] = []
        ok_ids: list[int] = []
        for part in self.run_parts():
            if part in damaged:
                continue
            t = self._read_part(part, columns=["run_id", "status"])
            if t is not None:
                run_ids = t.column("run_id").to_pylist()
                ids += run_ids
                st = t.column("status").to_pylist()
                ok_ids += [i for i, s in zip(run_ids, st, strict=True) if s == "ok"]
        n_runs = int(man.get("n_runs", 0) or 0)
        run_stems = {p.stem for p in self.run_parts()}
        temps = [
            p
            for d in (self.root, self.runs_dir, *self.companion_dirs)
            if d.is_dir()
            for p in d.glob(".*.tmp-*")
        ]
        return {
            "damaged": bad,
            "duplicate_ok_runs": len(ok_ids) - len(set(ok_ids)),
            "out_of_range_runs": sum(1 for i in set(ids) if not 0 <= i < n_runs),
            "orphan_series": [
                p for d in self.companion_dirs for p in self.ts_parts(d) if p.stem not in run_stems
            ],
            "temp_files": temps,
            "stored": len({i for i in ids if 0 <= i < n_runs}),
            "expected": n_runs,
        }

    def repair(self, note=None) -> list[Path]:
        """Quarantine every damaged chunk (its runs part and its series part) into
        ``OUT/quarantine/``, out of the readers' sight; its runs are then missing and a resume
        runs them again. Call with the lock held. Returns the quarantined runs parts."""
        moved = []
        for part, why in self.check_parts():
            dest = self.root / QUARANTINE
            for src in (part, *(d / part.name for d in self.companion_dirs)):
                if src.exists():
                    (dest / src.parent.name).mkdir(parents=True, exist_ok=True)
                    os.replace(src, dest / src.parent.name / src.name)
            moved.append(part)
            if note is not None:
                note(
                    f"{part.relative_to(self.root)} is damaged ({why}); moved to {QUARANTINE}/, "
                    "its runs will be run again"
                )
        if moved:
            _fsync_dir(self.runs_dir)
        return moved


def _companion_problem(path: Path, recorded: bytes | None) -> str | None:
    """Why a chunk's series/areas part does not match its record (None if it does)."""
    import pyarrow.parquet as pq

    expected = int(recorded) if recorded is not None else (-1 if path.exists() else 0)
    if expected == 0:
        return None
    try:
        n = pq.read_table(path, columns=["run_id"]).num_rows
    except Exception as exc:  # noqa: BLE001 - missing or damaged
        return f"its part {path.parent.name}/{path.name} is unreadable ({_first_line(exc)})"
    if expected > 0 and n != expected:
        return f"its part {path.parent.name}/{path.name} holds {n} rows, the record says {expected}"
    return None


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:100]
