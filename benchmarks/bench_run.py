"""Benchmark one historical run (300 weekly steps, default network and groups): median wall time
over seeds, next to a reference commit measured in the same invocation, and peak memory of a run
in a fresh process.

    .venv/bin/python benchmarks/bench_run.py [--repeats 20] [--reference COMMIT]

The reference (default: the commit before issue 10's conflict layer) is exported with
`git archive` into a temporary folder; both trees are timed by the same code in child processes,
alternating in rounds, so that load on a shared machine hits both alike.

Targets: median <= 0.06 s (issue 10; 0.3 s in issue 2); peak memory of a run <= 200 MB.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = "8eb0cc9"  # main just before issue 10's first slice (conflict layer)
TIMER = """
import json, sys, time
from sim import load_scenario, run
sc = load_scenario('historical')
run(sc, seed=0)  # warm-up: imports, data files, caches
out = []
for seed in json.loads(sys.argv[1]):
    t0 = time.perf_counter()
    run(sc, seed=seed)
    out.append(time.perf_counter() - t0)
print(json.dumps(out))
"""


def timings(tree: Path, seeds: list[int]) -> list[float]:
    out = subprocess.run(
        [sys.executable, "-c", TIMER, json.dumps(seeds)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def peak_rss_mb_of_one_run() -> float:
    code = (
        "import resource; from sim import load_scenario, run; "
        "run(load_scenario('historical'), seed=1); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    return float(out.stdout.strip())


def export(commit: str, dest: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "sim", "scenarios"],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=4, help="alternations between the two trees")
    ap.add_argument("--reference", default=REFERENCE, help="commit to compare with")
    args = ap.parse_args()
    seeds = list(range(args.repeats))
    chunks = [seeds[i :: args.rounds] for i in range(args.rounds)]
    now, ref = [], []
    with tempfile.TemporaryDirectory() as tmp:
        ref_tree = export(args.reference, Path(tmp))
        for chunk in chunks:
            if chunk:
                now += timings(ROOT, chunk)
                ref += timings(ref_tree, chunk)
    rss = peak_rss_mb_of_one_run()
    med, med_ref = statistics.median(now), statistics.median(ref)
    print(
        f"historical run (300 weeks, {len(now)} seeds): median {med:.3f} s "
        f"(min {min(now):.3f}, max {max(now):.3f}); reference {args.reference} in the same "
        f"invocation: median {med_ref:.3f} s (min {min(ref):.3f}); ratio {med / med_ref:.2f}"
    )
    print(f"peak RSS of a process that imports syriasim and runs once: {rss:.0f} MB")
    print(
        f"targets: median <= 0.06 s -> {'PASS' if med <= 0.06 else 'FAIL'}; "
        f"peak <= 200 MB -> {'PASS' if rss <= 200 else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
