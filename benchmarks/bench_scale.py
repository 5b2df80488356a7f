"""Scale benchmark: weekly step time on a large synthetic network (run by hand, not a unit test).

    .venv/bin/python benchmarks/bench_scale.py                 # 5,000 and 10,000 areas, 1,000 groups
    .venv/bin/python benchmarks/bench_scale.py --profile       # + cProfile of the 5,000-area run
    .venv/bin/python benchmarks/bench_scale.py --areas 5000 20000 --weeks 100 --json out/scale.json

Targets (issue 4): <= 50 ms per weekly step at 5,000 areas with 1,000 opposition groups, and
doubling the areas at most doubles the step time (+15%: ratio <= 2.3).

The historical scenario is run on `network.source = "synthetic"` with the given number of
areas, over its whole horizon (every track's events happen), one seed per size; the time of
`model.step()` is measured for every week, model construction separately.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET_MS = 50.0
MAX_RATIO = 2.0 * 1.15


def measure(n_areas: int, groups: int, seed: int, weeks: int | None, profile: bool = False) -> dict:
    from sim import SyriaModel, load_scenario

    sc = load_scenario(
        Path(__file__).resolve().parents[1] / "scenarios" / "historical.toml",
        overrides=[
            "network.source=synthetic",
            f"network.areas={n_areas}",
            f"actors.opposition_groups={groups}",
        ],
    )
    t0 = time.perf_counter()
    model = SyriaModel(sc, seed=seed)
    build = time.perf_counter() - t0
    n = model.n_steps if weeks is None else min(weeks, model.n_steps)
    prof = cProfile.Profile() if profile else None
    times = []
    for _ in range(n):
        if prof:
            prof.enable()
        t = time.perf_counter()
        model.step()
        times.append(time.perf_counter() - t)
        if prof:
            prof.disable()
    times_ms = sorted(1000 * x for x in times)
    res = {
        "areas": n_areas,
        "groups": groups,
        "weeks": n,
        "build_s": round(build, 3),
        "step_ms_mean": round(statistics.fmean(times_ms), 2),
        "step_ms_median": round(statistics.median(times_ms), 2),
        "step_ms_p95": round(times_ms[int(0.95 * (len(times_ms) - 1))], 2),
        "step_ms_max": round(times_ms[-1], 2),
    }
    if prof:
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(25)
        res["profile"] = s.getvalue()
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--areas", type=int, nargs="+", default=[5000, 10000])
    ap.add_argument("--groups", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--weeks", type=int, default=None, help="steps to time (default: the whole horizon)"
    )
    ap.add_argument(
        "--profile", action="store_true", help="cProfile the first size, top 25 by cumulative time"
    )
    ap.add_argument("--json", default=None, help="also write the results here")
    args = ap.parse_args(argv)

    results = []
    for i, n in enumerate(args.areas):
        r = measure(n, args.groups, args.seed, args.weeks, profile=args.profile and i == 0)
        results.append(r)
        print(
            f"{n:>7,} areas, {args.groups:,} groups: build {r['build_s']:.2f}s, step mean {r['step_ms_mean']:.1f} ms "
            f"(median {r['step_ms_median']:.1f}, p95 {r['step_ms_p95']:.1f}, max {r['step_ms_max']:.1f}) over {r['weeks']} weeks",
            flush=True,
        )
        if "profile" in r:
            print(r["profile"])
    ok = True
    first = results[0]
    if first["areas"] == 5000:
        passed = first["step_ms_mean"] <= TARGET_MS
        ok &= passed
        print(
            f"target <= {TARGET_MS:.0f} ms/step at 5,000 areas: {'PASS' if passed else 'FAIL'} ({first['step_ms_mean']:.1f} ms)"
        )
    for a, b in zip(results, results[1:], strict=False):
        if b["areas"] == 2 * a["areas"]:
            ratio = b["step_ms_mean"] / a["step_ms_mean"]
            passed = ratio <= MAX_RATIO
            ok &= passed
            print(
                f"doubling {a['areas']:,} -> {b['areas']:,} areas: step time x{ratio:.2f} (target <= {MAX_RATIO:.2f}): {'PASS' if passed else 'FAIL'}"
            )
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(
            json.dumps([{k: v for k, v in r.items() if k != "profile"} for r in results], indent=2)
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
