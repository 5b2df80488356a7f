"""Benchmark: the teaching app as a class sees it, measured in a real browser (Chromium).

Run by hand or in CI (not a timed unit test):

    .venv/bin/python benchmarks/bench_app.py                 # 3 loads, 30 steps per mode
    .venv/bin/python benchmarks/bench_app.py --steps 60 --json out/bench_app.json

Starts `syriasim app` on a free port of 127.0.0.1, drives Debian's Chromium (/usr/bin/chromium)
with Playwright at 1024x768, and times, with the browser's own clock (performance.now() around
a click, until the page shows the result — a MutationObserver, no polling):

* first page load: navigation start to the map and the chart images shown (fresh browser
  context each time; the server is already up and has built the start-up page, as in class);
* step to redraw: a click on Step until the week label shows the next week (the label and the
  images arrive in the same re-render; a map can be identical two weeks running, so its change
  is not required) — one run ("single"), then side by side (two runs on the same seed);
* Reset: a click on Reset until the page shows week 0 and a new map.

Steps and resets are measured after the background ensemble (the "average of many seeds") has
finished, i.e. in the steady state; the time that ensemble takes is reported too.

Bars (issue 12): step-to-redraw median <= 150 ms single, <= 250 ms side by side; Reset median
<= 1.5 s; first page load median <= 4 s. Exit status 1 if a median misses its bar. The machine's
load average is printed with the results: on a shared machine the numbers move with it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sim.viz.browser import free_port, launch, start_app, stop_app

ROOT = Path(__file__).resolve().parents[1]
BARS_MS = {
    "first load": 4000.0,
    "step (single)": 150.0,
    "step (side by side)": 250.0,
    "reset": 1500.0,
}

# Click a button (by its exact label) and resolve with the ms until `done()` holds in the page.
CLICK_UNTIL = """
async ([label, doneSrc]) => {
  const done = new Function(doneSrc);
  const button = [...document.querySelectorAll('button')]
      .find(b => b.innerText.trim().toLowerCase() === label.toLowerCase());
  if (!button) throw new Error('no button ' + label);
  return await new Promise(resolve => {
    const t0 = performance.now();
    const obs = new MutationObserver(() => {
      if (done()) { obs.disconnect(); resolve(performance.now() - t0); }
    });
    setTimeout(() => { obs.disconnect(); resolve(-1); }, 60000);  // never hang: -1 = missed
    obs.observe(document.body, {subtree: true, childList: true, attributes: true,
                                characterData: true});
    button.click();
  });
}
"""
WEEK_JS = """
  const m = document.body.innerText.match(/week (\\d+) of the case/);
  return m ? parseInt(m[1]) : -1;
"""
MAP_SRC_JS = "const i = document.querySelector('.syriasim-map img'); return i ? i.src : '';"


def _stats(ms: list[float]) -> dict:
    missed = sum(1 for m in ms if m < 0)
    ms = sorted(m for m in ms if m >= 0) or [float("nan")]
    return {
        "n": len(ms),
        "missed": missed,
        "median_ms": round(statistics.median(ms), 1),
        "p90_ms": round(ms[int(0.9 * (len(ms) - 1))], 1),
        "max_ms": round(ms[-1], 1),
    }


def first_load(browser, url: str) -> float:
    ctx = browser.new_context(viewport={"width": 1024, "height": 768})
    page = ctx.new_page()
    page.goto(url)
    page.locator(".syriasim-map img").wait_for(timeout=120_000)
    page.locator(".syriasim-chart img").wait_for(timeout=120_000)
    ms = page.evaluate(
        "() => performance.now() - performance.getEntriesByType('navigation')[0].startTime"
    )
    ctx.close()
    return ms


def steps(page, n: int) -> list[float]:
    out = []
    for _ in range(n):
        week = page.evaluate(f"() => {{ {WEEK_JS} }}")
        done = f"const w = (() => {{ {WEEK_JS} }})(); return w === {week + 1};"
        out.append(page.evaluate(CLICK_UNTIL, ["Step", done]))
    return out


def resets(page, n: int) -> list[float]:
    out = []
    for _ in range(n):
        steps(page, 2)
        src = page.evaluate(f"() => {{ {MAP_SRC_JS} }}")
        done = (
            f"const w = (() => {{ {WEEK_JS} }})(); const s = (() => {{ {MAP_SRC_JS} }})();"
            f" return w === 0 && s !== {json.dumps(src)};"
        )
        out.append(page.evaluate(CLICK_UNTIL, ["Reset", done]))
    return out


def _wait_ensemble(page, limit_s: float) -> float | None:
    """Seconds until the ensemble is done (None: still running after `limit_s`)."""
    t0 = time.perf_counter()
    try:
        page.get_by_text("Case summary over").wait_for(timeout=limit_s * 1000)
    except Exception:  # playwright's TimeoutError: measure anyway, and say so
        return None
    return round(time.perf_counter() - t0, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--resets", type=int, default=5)
    parser.add_argument(
        "--ensemble-wait", type=float, default=300, help="seconds to wait for the ensemble"
    )
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    results: dict = {"bars_ms": BARS_MS, "cpus": os.cpu_count(), "viewport": "1024x768"}
    proc = start_app(
        port,
        *("--case", "access"),
        cwd=ROOT,
        timeout=120,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with sync_playwright() as p:
            browser = launch(p)
            loads = [first_load(browser, url) for _ in range(args.loads)]
            results["first load"] = _stats(loads)
            page = browser.new_page(viewport={"width": 1024, "height": 768})
            page.goto(url)
            page.locator(".syriasim-map img").wait_for(timeout=120_000)
            results["ensemble wait s"] = _wait_ensemble(page, args.ensemble_wait)
            results["step (single)"] = _stats(steps(page, args.steps))
            results["reset"] = _stats(resets(page, args.resets))
            page.locator(".v-select", has_text="Side by side").click()
            page.get_by_role("option", name="multilateral", exact=True).click()
            page.get_by_role("button", name="Reset", exact=True).click()
            page.get_by_text("Why A and B differ").wait_for(timeout=60_000)
            _wait_ensemble(page, args.ensemble_wait)
            results["step (side by side)"] = _stats(steps(page, args.steps))
            browser.close()
    finally:
        stop_app(proc)
    ok = True
    for name, bar in BARS_MS.items():
        r = results[name]
        good = r["median_ms"] <= bar
        ok &= good
        print(
            f"{name:20s} median {r['median_ms']:8.1f} ms  p90 {r['p90_ms']:8.1f}  "
            f"max {r['max_ms']:8.1f}  (n={r['n']}, bar {bar:.0f} ms)  "
            f"{'ok' if good else 'OVER THE BAR'}",
            flush=True,
        )
    waited = results["ensemble wait s"]
    print(
        f"(waited {waited} s for the background ensemble to finish)"
        if waited is not None
        else "(the background ensemble was still running: steps measured while it ran)"
    )
    load = os.getloadavg()[0]
    results["load_avg_1min"] = round(load, 2)
    print(f"(1-minute load average at the end: {load:.2f} on {os.cpu_count()} cpus)")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
