"""Benchmark: calibrating 3 free parameters against every shipped target within 10 minutes.

Runs `sim.calibration.calibrate.calibrate` on the historical scenario (optuna TPE, seeded) with
three free parameters, the full targets file (every counterfactual structure included), a number
of replicate seeds per trial and 2 worker processes, then prints the wall time. Exit status 1 if
it takes longer than the budget. Run by hand (not a unit test):

    .venv/bin/python benchmarks/bench_calibrate.py                 # 30 trials x 5 seeds
    .venv/bin/python benchmarks/bench_calibrate.py --trials 40 --seeds 8 --budget 600
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

from sim import load_scenario
from sim.calibration.calibrate import calibrate, parse_param
from sim.calibration.targets import load_targets

PARAMS = (
    "params.chemical.transport_rate_t=60:250",
    "params.access.facilitation_cost=0.3:3",
    "params.ceasefire.adherence_cost=0.05:2",
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=30)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--budget", type=float, default=600.0, help="seconds allowed (default 600)")
    ap.add_argument("--param", action="append", default=None, help="override the free parameters")
    args = ap.parse_args(argv)

    scenario = load_scenario("historical")
    targets = load_targets()
    params = [parse_param(p) for p in (args.param or PARAMS)]
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        result = calibrate(
            scenario,
            params,
            targets,
            out_dir=out,
            trials=args.trials,
            seeds=list(range(args.seeds)),
            jobs=args.jobs,
            base_path=scenario.path,
            log=lambda line: print(line, flush=True),
        )
        elapsed = time.perf_counter() - start
    table = result.table
    print()
    print(
        f"calibrate: {len(params)} parameters, {len(targets)} targets, {args.trials} trials x {args.seeds} seeds, "
        f"{args.jobs} processes on {os.cpu_count()} cores: {elapsed:.0f} s "
        f"({elapsed / max(1, result.n_new):.1f} s per trial); best loss {result.best_loss:.4g}, "
        f"{int(table['pass'].sum())}/{len(table)} targets pass"
    )
    for key, value in result.best_values.items():
        print(f"  {key} = {value:.6g}")
    ok = elapsed <= args.budget
    print(f"{'OK' if ok else 'TOO SLOW'}: budget {args.budget:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
