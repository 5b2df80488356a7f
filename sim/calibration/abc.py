"""A posterior, not a point: approximate Bayesian computation (ABC-SMC, pyabc) over free parameters.

``syriasim calibrate --method abc`` samples the free parameters' posterior given the record
targets: priors uniform over the ``--param`` bounds (the assumption register's plausible ranges
are the natural choice); each particle runs the scenario over the replicate seeds, and its
distance is the summed target loss (0 = every target met, as for the optuna fit). The population
moves through a decreasing tolerance schedule. The history lives in ``OUT/abc.db`` (SQLite):
the same command again continues it up to ``--generations`` populations. Outputs:
``posterior.parquet`` (the last population: one row per particle, its weight and distance),
``diagnostics.csv`` (per generation: tolerance, particles, samples, acceptance rate, effective
sample size) and ``posterior.png`` (weighted marginals over the prior ranges).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration.calibrate import FreeParam
from sim.calibration.runs import Runner, apply_overrides, default_runner, run_quantities
from sim.calibration.targets import Target, score, total_loss
from sim.errors import UserError

DB_FILE = "abc.db"


def _name(key: str) -> str:
    """pyabc parameter names must be identifiers."""
    return key.replace(".", "__")


def abc_calibrate(
    scenario,
    params: Sequence[FreeParam],
    targets: Sequence[Target],
    *,
    out_dir: str | Path,
    population: int = 20,
    generations: int = 3,
    seeds: Sequence[int] = (0, 1),
    seed: int = 0,
    fresh: bool = False,
    runner: Runner = default_runner,
    log: Callable[[str], None] = print,
) -> dict:
    try:
        import pyabc
    except ImportError:  # pragma: no cover - pyabc is a declared dependency
        raise UserError("pyabc is not installed; pip install pyabc", key="--method") from None
    if population < 2 or generations < 1:
        raise UserError("--population must be >= 2 and --generations >= 1", key="--population")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    db_path = out / DB_FILE
    if fresh and db_path.exists():
        db_path.unlink()
    prior = pyabc.Distribution(
        **{_name(p.key): pyabc.RV("uniform", p.low, p.high - p.low) for p in params}
    )

    def model(par):
        overrides = {
            p.key: (int(round(par[_name(p.key)])) if p.integer else float(par[_name(p.key)]))
            for p in params
        }
        sc = apply_overrides(scenario, overrides, "ABC particle")
        per_seed = run_quantities(sc, targets, list(seeds), jobs=1, runner=runner)
        return {"loss": total_loss(score(targets, per_seed))}

    def distance(x, x0):
        return x["loss"]

    np.random.seed(seed % 2**32)  # pyabc draws from numpy's global generator
    abc = pyabc.ABCSMC(
        model,
        prior,
        distance,
        population_size=population,
        sampler=pyabc.sampler.SingleCoreSampler(),
    )
    db = f"sqlite:///{db_path.resolve()}"
    if db_path.exists():
        history = abc.load(db, 1)
        done = history.max_t + 1
    else:
        history = abc.new(db, {"loss": 0.0})
        done = 0
    remaining = generations - done
    if remaining > 0:
        log(f"ABC-SMC: {done} generation(s) stored, running {remaining} more -> {db_path}")
        history = abc.run(max_nr_populations=remaining, minimum_epsilon=0.0)
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    posterior = pd.DataFrame(
        {p.key: frame[_name(p.key)].to_numpy() for p in params}, index=range(len(frame))
    )
    posterior["weight"] = np.asarray(weights, dtype=float)
    posterior.to_parquet(out / "posterior.parquet", index=False)
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].copy()
    ess = []
    for t in pops["t"]:
        _, w = history.get_distribution(m=0, t=int(t))
        ess.append(float(pyabc.effective_sample_size(np.asarray(w, dtype=float))))
    diagnostics = pd.DataFrame(
        {
            "generation": pops["t"].astype(int).to_numpy(),
            "tolerance": pops["epsilon"].to_numpy(dtype=float),
            "particles": pops["particles"].astype(int).to_numpy(),
            "samples": pops["samples"].astype(int).to_numpy(),
            "acceptance": (pops["particles"] / pops["samples"]).to_numpy(dtype=float),
            "ess": ess,
        }
    )
    diagnostics.to_csv(out / "diagnostics.csv", index=False)
    _figure(posterior, params, out / "posterior.png")
    summary = {
        p.key: float(np.average(posterior[p.key], weights=posterior["weight"])) for p in params
    }
    return {"posterior": posterior, "diagnostics": diagnostics, "means": summary}


def _figure(posterior: pd.DataFrame, params: Sequence[FreeParam], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(params)
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3 * rows), squeeze=False)
    for ax, p in zip(axes.flat, params, strict=False):
        ax.hist(posterior[p.key], bins=12, range=(p.low, p.high), weights=posterior["weight"])
        ax.set_xlim(p.low, p.high)
        ax.set_title(p.key.split(".", 1)[1], fontsize=9)
        ax.set_yticks([])
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle("ABC-SMC posterior (weighted), over the prior ranges", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
