"""Run a scenario with a seed and write the output contract (timeseries, monthly, summary)."""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim import __version__
from sim.errors import UserError
from sim.io_safety import project_path
from sim.metrics import monthly, run_measures
from sim.model import SyriaModel
from sim.scenario import Scenario

RUN_FILES = ("timeseries.csv", "monthly.csv", "summary.json")
FLOAT_FORMAT = "%.6g"  # fixed formatting: identical bytes for identical runs


@dataclass
class RunResult:
    timeseries: pd.DataFrame
    monthly: pd.DataFrame
    summary: dict

    @property
    def metrics(self) -> dict[str, float]:
        return self.summary["metrics"]

    def write(self, out: str | Path) -> Path:
        """Write timeseries.csv, monthly.csv and summary.json into `out`, atomically: the files
        appear together or not at all, and an existing folder is replaced only when complete.
        A folder holding anything but an earlier run's files is refused, never replaced."""
        out = Path(out)
        check_run_folder(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            # mkdtemp makes the folder private (0700): give it the mode a new folder gets
            umask = os.umask(0)
            os.umask(umask)
            tmp.chmod(out.stat().st_mode & 0o7777 if out.is_dir() else 0o777 & ~umask)
            self.timeseries.to_csv(
                tmp / "timeseries.csv", index=False, float_format=FLOAT_FORMAT, lineterminator="\n"
            )
            self.monthly.to_csv(
                tmp / "monthly.csv", index=False, float_format=FLOAT_FORMAT, lineterminator="\n"
            )
            (tmp / "summary.json").write_text(
                json.dumps(_clean(self.summary), indent=2, sort_keys=True) + "\n"
            )
            if out.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
                os.replace(out, old / "run")
                os.replace(tmp, out)
                shutil.rmtree(old, ignore_errors=True)  # holds only an earlier run's files
            else:
                os.replace(tmp, out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return out


def check_run_folder(out: Path) -> None:
    """`run` writes a new or empty folder, or replaces an earlier run's files; any other folder
    (a user's files, a results store, the working folder) is refused."""
    out = Path(out)
    if not out.exists():
        return
    if not out.is_dir():
        raise UserError(f"{out} exists and is not a folder", key="--out")
    names = {p.name for p in out.iterdir()}
    if names and not ("summary.json" in names and names <= set(RUN_FILES)):
        other = sorted(names - set(RUN_FILES)) or sorted(names)
        raise UserError(
            f"{out} is not empty and does not hold a `syriasim run` output (it holds "
            f"{other[0]!r}); choose a new or empty folder",
            key="--out",
        )


def _clean(obj):
    """JSON without NaN (null instead), keeping the file valid for every reader."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    return obj


def run(scenario: Scenario, seed: int | None = None) -> RunResult:
    """Run one scenario to its end with one seed (in this process)."""
    model = SyriaModel(scenario, seed=seed)
    for _ in range(model.n_steps):
        model.step()
    return result_of(model)


def result_of(model: SyriaModel) -> RunResult:
    weekly = pd.DataFrame(model.datacollector.model_vars)
    months = monthly(weekly)
    summary = {
        "scenario": model.config.name,
        "scenario_file": project_path(model.config.path) if model.config.path else None,
        "scenario_hash": model.config.hash,
        "seed": model.seed,
        "version": __version__,
        "params": model.config.flat_params(),
        "events": [{**e, "date": e["date"].isoformat()} for e in model.config.events()],
        "metrics": run_measures(model, weekly, months),
        **{k: v for track in model.tracks.values() for k, v in track.summary().items()},
        "policies_fired": model.policies.fired,
        "incidents": model.incidents,
        "weeks": int(len(weekly)),
    }
    return RunResult(weekly, months, summary)
