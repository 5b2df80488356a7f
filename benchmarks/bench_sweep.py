"""Sweep benchmark: 2,000 runs of the historical scenario on 2 local workers (run by hand).

    .venv/bin/python benchmarks/bench_sweep.py                       # full benchmark (~6-8 min)
    .venv/bin/python benchmarks/bench_sweep.py --runs 400 --efficiency-runs 100   # quicker look
    .venv/bin/python benchmarks/bench_sweep.py --json out/bench_sweep.json

Targets (issue 4):
- the 2,000-run sweep on 2 local workers finishes in <= 10 minutes;
- parallel efficiency of 2 workers against 1 (same runs, same chunking) >= 80%:
  efficiency = T(1 worker) / (2 x T(2 workers));
- each worker's memory stays flat (<= 500 MB RSS) however many runs the sweep has: worker RSS is
  sampled every 0.5 s; the peak is reported, and the peak of the last quarter of the sweep is
  compared with the first quarter.

The sweep is a Latin hypercube over four mechanism parameters (one seed per run), executed by
the same code as `syriasim sweep` (process pool, forkserver, bounded in-flight chunks, one
Parquet part per chunk) into a temporary results folder. The machine's load average is printed:
the figures are only meaningful on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MB = 1024 * 1024


def make_experiment(n_runs: int):
    from sim.experiments import adapter
    from sim.experiments.design import ParamSpec, build_design
    from sim.experiments.experiment import Experiment

    base = adapter.load_scenario(ROOT / "scenarios" / "historical.toml")
    params = [
        ParamSpec("rules.compliance.params.pressure_weight", 3.0, 11.0),
        ParamSpec("params.diplomacy.chaos", 0.1, 0.4),
        ParamSpec("params.trust.initial", 0.1, 0.7),
        ParamSpec("params.access.convoys_per_week", 1, 6, integer=True),
    ]
    design = build_design("lhs", params, samples=n_runs, replicates=1, master_seed=2026)
    return Experiment(kind="sweep", name=f"bench_{n_runs}", base=base, design=design)


class RssSampler(threading.Thread):
    """Samples the RSS of the pool's worker processes every `interval` seconds."""

    def __init__(self, backend, interval: float = 0.5):
        super().__init__(daemon=True)
        self.backend = backend
        self.interval = interval
        self.samples: list[tuple[float, int, int]] = []  # (t, pid, rss)
        self.stop = threading.Event()

    def run(self):
        import psutil

        t0 = time.perf_counter()
        me = psutil.Process()
        self.parent: list[tuple[float, int]] = []
        while not self.stop.is_set():
            self.parent.append((time.perf_counter() - t0, me.memory_info().rss))
            for pid in list(self.backend.pids):
                try:
                    rss = psutil.Process(pid).memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                self.samples.append((time.perf_counter() - t0, pid, rss))
            self.stop.wait(self.interval)


def timed_sweep(exp, workers: int, chunk_size: int, sample_rss: bool = False) -> dict:
    from sim.experiments.execute import LocalPoolBackend, execute
    from sim.experiments.store import ResultsStore

    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        store = ResultsStore.create_or_resume(Path(tmp) / "out", exp.manifest())
        backend = LocalPoolBackend(exp.base, workers)
        sampler = RssSampler(backend) if sample_rss else None
        if sampler:
            sampler.start()
        t0 = time.perf_counter()
        report = execute(exp.design, exp.base, store, backend, chunk_size=chunk_size, progress=None)
        wall = time.perf_counter() - t0
        if sampler:
            sampler.stop.set()
            sampler.join()
        runs = store.read_runs()
        store.release()
    res = {
        "workers": workers,
        "runs": report.ran,
        "failed": report.failed,
        "wall_s": round(wall, 2),
        "runs_per_s": round(report.ran / wall, 2),
        "mean_run_s": round(float(runs.duration_s.mean()), 4),
        "mean_run_cpu_s": round(float(runs.cpu_s.mean()), 4),
        # share of the wall time the workers spent inside model runs (dispatch/IO overhead = rest)
        "utilization": round(float(runs.duration_s.sum()) / (workers * wall), 3),
        "worker_processes": int(runs.worker.nunique()),
    }
    if sampler and sampler.samples:
        rss = [s[2] for s in sampler.samples]
        t_end = max(s[0] for s in sampler.samples)
        first = [s[2] for s in sampler.samples if s[0] <= 0.25 * t_end]
        last = [s[2] for s in sampler.samples if s[0] >= 0.75 * t_end]
        res.update(
            rss_peak_mb=round(max(rss) / MB, 1),
            rss_first_quarter_peak_mb=round(max(first) / MB, 1) if first else None,
            rss_last_quarter_peak_mb=round(max(last) / MB, 1) if last else None,
            rss_samples=len(rss),
            parent_rss_first_quarter_mb=round(
                max([r for t, r in sampler.parent if t <= 0.25 * t_end] or [0]) / MB, 1
            ),
            parent_rss_peak_mb=round(max(r for _, r in sampler.parent) / MB, 1),
        )
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--runs", type=int, default=2000, help="runs of the full sweep (default 2000; 0: skip it)"
    )
    ap.add_argument(
        "--efficiency-runs",
        type=int,
        default=200,
        help="runs timed on 1 and on 2 workers (default 200)",
    )
    ap.add_argument("--chunk-size", type=int, default=10)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)

    load = os.getloadavg()
    print(
        f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        flush=True,
    )
    out: dict = {"cores": os.cpu_count(), "load_before": load}

    if args.efficiency_runs:
        sub = make_experiment(args.efficiency_runs)
        one = timed_sweep(sub, 1, args.chunk_size)
        print(
            f"efficiency, {one['runs']} runs on 1 worker:  {one['wall_s']:.1f}s ({one['mean_run_s']:.3f}s per run)",
            flush=True,
        )
        two = timed_sweep(sub, 2, args.chunk_size)
        print(
            f"efficiency, {two['runs']} runs on 2 workers: {two['wall_s']:.1f}s ({two['mean_run_s']:.3f}s per run)",
            flush=True,
        )
        eff = one["wall_s"] / (2 * two["wall_s"])
        # What an idle machine would show: CPU seconds per run (insensitive to other processes'
        # load) and the share of wall time the 2 workers were busy running models.
        eff_cpu = (
            one["mean_run_cpu_s"]
            / two["mean_run_cpu_s"]
            * two["utilization"]
            / max(one["utilization"], 1e-9)
        )
        out.update(
            one_worker=one,
            two_workers=two,
            efficiency=round(eff, 3),
            efficiency_cpu_based=round(eff_cpu, 3),
        )
        print(
            f"parallel efficiency 2 vs 1 workers (wall clock): {eff:.0%} (target >= 80%): {'PASS' if eff >= 0.8 else 'FAIL'}",
            flush=True,
        )
        print(
            f"  load-independent estimate: {eff_cpu:.0%} (CPU s/run {one['mean_run_cpu_s']:.3f} vs {two['mean_run_cpu_s']:.3f}; "
            f"workers busy {one['utilization']:.0%} vs {two['utilization']:.0%} of wall time)",
            flush=True,
        )

    if not args.runs:  # efficiency only
        ok = out.get("efficiency", 1.0) >= 0.8
        if args.json:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(json.dumps(out, indent=2))
        return 0 if ok else 1
    full = timed_sweep(make_experiment(args.runs), 2, args.chunk_size, sample_rss=True)
    out["full"] = full
    print(
        f"full sweep: {full['runs']:,} runs on 2 workers in {full['wall_s']:.1f}s = {full['wall_s'] / 60:.1f} min "
        f"({full['runs_per_s']:.1f} runs/s, {full['failed']} failed, {full['worker_processes']} worker processes over the sweep)",
        flush=True,
    )
    ok_time = full["wall_s"] <= 600
    print(f"target <= 10 min: {'PASS' if ok_time else 'FAIL'}")
    ok_mem = True
    if "rss_peak_mb" in full:
        ok_mem = full["rss_peak_mb"] <= 500
        print(
            f"worker RSS: peak {full['rss_peak_mb']:.0f} MB (target <= 500 MB): {'PASS' if ok_mem else 'FAIL'}; "
            f"peak in first quarter {full['rss_first_quarter_peak_mb']} MB, last quarter {full['rss_last_quarter_peak_mb']} MB"
        )
        print(
            f"parent (submitting) process RSS: {full['parent_rss_first_quarter_mb']} MB in the first quarter, "
            f"peak {full['parent_rss_peak_mb']} MB"
        )
    out["load_after"] = os.getloadavg()
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=2))
    ok = ok_time and ok_mem and out.get("efficiency", 1.0) >= 0.8
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
