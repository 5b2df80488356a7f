"""Benchmark one historical run (300 weekly steps, default network and groups), in-process after
import: median wall time over repeats, and peak memory of a run in a fresh process.

    .venv/bin/python benchmarks/bench_run.py [--repeats 20]

Targets (issue 2): median <= 0.3 s; peak memory of a run <= 200 MB.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def peak_rss_mb_of_one_run() -> float:
    code = (
        "import resource; from sim import load_scenario, run; "
        "run(load_scenario('historical'), seed=1); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args()
    from sim import SyriaModel, load_scenario, run

    sc = load_scenario("historical")
    run(sc, seed=0)  # warm-up: imports, data files, caches
    full, steps = [], []
    for seed in range(args.repeats):
        t0 = time.perf_counter()
        run(sc, seed=seed)
        full.append(time.perf_counter() - t0)
        model = SyriaModel(sc, seed=seed)
        t0 = time.perf_counter()
        for _ in range(model.n_steps):
            model.step()
        steps.append(time.perf_counter() - t0)
    rss = peak_rss_mb_of_one_run()
    med = statistics.median(full)
    print(
        f"historical run (300 weeks, {args.repeats} seeds): median {med:.3f} s "
        f"(min {min(full):.3f}, max {max(full):.3f}); model steps only: median {statistics.median(steps):.3f} s"
    )
    print(f"peak RSS of a process that imports syriasim and runs once: {rss:.0f} MB")
    print(
        f"targets: median <= 0.3 s -> {'PASS' if med <= 0.3 else 'FAIL'}; "
        f"peak <= 200 MB -> {'PASS' if rss <= 200 else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
