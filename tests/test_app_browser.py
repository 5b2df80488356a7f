"""The real page in a real browser: `syriasim app` served on 127.0.0.1, driven by Playwright.

Needs Debian's Chromium (/usr/bin/chromium) and the page's browser assets in solara's local
folder (`python -m sim.viz.assets`, run by .ci/run): the test machine has no internet, and
without them the page would stay blank. A screenshot is kept in test-artifacts/.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from sim.viz.browser import CHROMIUM, free_port, launch, start_app, stop_app

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian chromium not installed at /usr/bin/chromium (apt-get install -y chromium)",
    ),
]


@pytest.fixture(scope="module")
def server():
    from sim.viz import assets

    if assets.missing_packages():  # normally fetched by .ci/run; try once with npm
        assets.ensure()
    missing = assets.missing_packages()
    assert not missing, (
        f"browser assets missing ({', '.join(missing)}): run `python -m sim.viz.assets` first"
    )
    port = free_port()
    proc = start_app(
        port,
        *("--case", "access", "--seed", "7"),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # only the loopback interface: the app is not reachable from the network
        listening = ""
        if shutil.which("ss"):
            listening = subprocess.run(
                ["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True
            ).stdout
        if listening.strip():
            assert all("127.0.0.1:" in line for line in listening.strip().splitlines()), listening
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop_app(proc)
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, (
            "the server is still listening after the test"
        )


def _visible_in_viewport(page, selector: str) -> bool:
    """The element is entirely inside the viewport, without scrolling."""
    box = page.locator(selector).first.bounding_box()
    view = page.viewport_size
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= view["width"] + 1
        and box["y"] + box["height"] <= view["height"] + 1
    )


def _week(page) -> str:
    return page.locator("text=/week \\d+ of the case/").first.inner_text()


@pytest.mark.parametrize("size", [(1024, 768), (1400, 900)])
def test_projector_layout_controls_map_chart_visible_and_explanation_after_step(server, size):
    """What a teacher sees at a projector's 1024x768 and a laptop's 1400x900: the controls, the
    map and the main chart together without scrolling; after a step, the panel says what
    happened this week; no console errors. Screenshots go to test-artifacts/."""
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    w, h = size
    problems: list[str] = []
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": w, "height": h})
            page.on(
                "console", lambda m: m.type == "error" and problems.append(f"console: {m.text}")
            )
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on(
                "response",
                lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"),
            )
            page.goto(server)
            step = page.get_by_role("button", name="Step", exact=True)
            step.wait_for(timeout=90_000)
            page.locator(".syriasim-map img").wait_for(timeout=60_000)
            page.locator(".syriasim-chart img").wait_for(timeout=60_000)
            for selector in (
                ".syriasim-bar",
                ".syriasim-map img",
                ".syriasim-chart img",
            ):
                assert _visible_in_viewport(page, selector), f"{selector} not fully visible"
            for name in ("Reset", "Step", "Play", "Settings"):
                button = page.get_by_role("button", name=name, exact=True)
                assert _visible_in_viewport(page, f"button:has-text('{name}')"), name
                assert button.is_visible()
            # no Mesa internals shown to the class
            body = page.inner_text("body")
            for hidden in ("Render Interval", "Use Threads", "Information"):
                assert hidden not in body
            # images are drawn at twice their displayed size (crisp on a projector)
            natural = page.eval_on_selector(
                ".syriasim-chart img", "e => [e.naturalWidth, e.clientWidth]"
            )
            assert natural[0] >= 1.9 * natural[1], natural
            step.click()
            expect(page.get_by_text("week 1 of the case")).to_be_visible(timeout=30_000)
            panel = page.locator(".syriasim-explanation")
            expect(panel).to_contain_text("This week", timeout=30_000)
            assert len(panel.inner_text().strip().splitlines()) >= 2
            page.screenshot(path=str(ARTIFACTS / f"app_{w}x{h}.png"))
        finally:
            browser.close()
    assert (ARTIFACTS / f"app_{w}x{h}.png").stat().st_size > 10_000
    assert not problems, "\n".join(problems)


def test_side_by_side_play_pause_and_ensemble_view(server):
    """Side by side against 'none', Reset, Play advances the weeks, Pause stops them; the
    average of many seeds fills the case summary when the background ensemble is done."""
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(server)
            page.get_by_role("button", name="Step", exact=True).wait_for(timeout=90_000)
            page.locator(".v-select", has_text="Side by side").click()
            page.get_by_role("option", name="none", exact=True).click()
            expect(page.get_by_text("press Reset to apply")).to_be_visible()
            page.get_by_role("button", name="Reset", exact=True).click()
            expect(page.get_by_text("press Reset to apply")).to_have_count(0, timeout=30_000)
            expect(page.get_by_text("Why A and B differ")).to_be_visible(timeout=30_000)
            page.get_by_role("button", name="Play", exact=True).click()
            # a label shown for one 0.35 s week can fall between two polls on a fast machine:
            # wait for the week number to pass 3, not for one exact label
            page.wait_for_function(
                "() => { const m = document.body.innerText.match(/week (\\d+) of the case/);"
                " return m !== null && Number(m[1]) >= 4; }",
                timeout=60_000,
            )
            page.get_by_role("button", name="Pause", exact=True).click()
            page.get_by_role("button", name="Play", exact=True).wait_for(timeout=30_000)
            page.wait_for_timeout(500)  # a step already under way when Pause was pressed lands
            paused = _week(page)
            page.wait_for_timeout(1500)  # then no step may follow: playing would add 4 weeks
            assert _week(page) == paused
            expect(page.get_by_text("Case summary over")).to_be_visible(timeout=300_000)
            page.screenshot(path=str(ARTIFACTS / "app_side_by_side.png"), full_page=True)
        finally:
            browser.close()
