"""Benchmark: one week's step plus redraw in the teaching app (bar: median <= 300 ms).

Run by hand or in CI (not a timed unit test):

    .venv/bin/python benchmarks/bench_app.py            # 40 weeks per mode
    .venv/bin/python benchmarks/bench_app.py --weeks 80 --json out/bench_app.json

Two measurements per mode (one run; side by side = two runs on the same seed):

* model+draw: `SyriaApp.step()` and rendering this week's map and charts to PNG (what the
  server does per week);
* page: pressing the page's Step button in a headless `solara.render` of the real page —
  Mesa's controller steps the model, the components re-render and produce the new images.

The first frame of a model (static background drawn once) and the weeks that grow a chart's
y axis are slower; the bar is on the median, and the 90th percentile and maximum are reported.
Exit status 1 if a median exceeds the bar.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BAR_MS = 300.0


def _stats(samples: list[float]) -> dict:
    ms = sorted(s * 1000 for s in samples)
    return {
        "n": len(ms),
        "median_ms": round(statistics.median(ms), 1),
        "p90_ms": round(ms[int(0.9 * (len(ms) - 1))], 1),
        "max_ms": round(ms[-1], 1),
    }


def bench_model_draw(case: str, compare: str, weeks: int, seed: int) -> dict:
    from sim.viz.app_model import SyriaApp
    from sim.viz.live import live_views

    app = SyriaApp(case_study=case, compare_with=compare, seed=seed)
    map_view, charts_view = live_views(app)
    t0 = time.perf_counter()
    map_view.png()
    charts_view.png()
    first = time.perf_counter() - t0
    samples = []
    for _ in range(weeks):
        if not app.running:
            break
        t0 = time.perf_counter()
        app.step()
        map_view.png()
        charts_view.png()
        samples.append(time.perf_counter() - t0)
    return {**_stats(samples), "first_frame_ms": round(first * 1000, 1)}


def bench_page(case: str, compare: str, weeks: int, seed: int) -> dict:
    os.environ["SYRIASIM_APP_CASE"] = case
    os.environ["SYRIASIM_APP_COMPARE"] = compare
    os.environ["SYRIASIM_APP_SEED"] = str(seed)
    import ipyvuetify as v
    import solara

    from sim.viz import app as app_page

    @solara.component
    def Wrapped():
        with solara.AppLayout():
            app_page.Page()

    _, rc = solara.render(Wrapped(), handle_error=False)
    step = rc.find(v.Btn, children=["Step"]).widget
    samples = []
    try:
        for _ in range(weeks):
            t0 = time.perf_counter()
            step.click()
            samples.append(time.perf_counter() - t0)
    finally:
        rc.close()
    return _stats(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weeks", type=int, default=40)
    parser.add_argument("--case", default="access")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)

    results = {"bar_ms": BAR_MS, "case": args.case, "weeks": args.weeks, "cpus": os.cpu_count()}
    ok = True
    for mode, compare in (("one run", "off"), ("side by side", "multilateral")):
        for kind, fn in (("model+draw", bench_model_draw), ("page", bench_page)):
            r = fn(args.case, compare, args.weeks, args.seed)
            results[f"{mode} / {kind}"] = r
            flag = "ok" if r["median_ms"] <= BAR_MS else "OVER THE BAR"
            ok &= r["median_ms"] <= BAR_MS
            extra = f", first frame {r['first_frame_ms']} ms" if "first_frame_ms" in r else ""
            print(
                f"{mode:13s} {kind:11s} median {r['median_ms']:7.1f} ms  p90 {r['p90_ms']:7.1f}"
                f"  max {r['max_ms']:7.1f}  (n={r['n']}{extra})  {flag}",
                flush=True,
            )
    try:
        load = os.getloadavg()[0]
        results["load_avg_1min"] = round(load, 2)
        print(f"(1-minute load average during the run: {load:.2f} on {os.cpu_count()} cpus)")
    except OSError:
        pass
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
