"""The real page in a real browser: `syriasim app` served on 127.0.0.1, driven by Playwright.

Needs Debian's Chromium (/usr/bin/chromium) and the page's browser assets in solara's local
folder (`python -m sim.viz.assets`, run by .ci/run): the test machine has no internet, and
without them the page would stay blank. A screenshot is kept in test-artifacts/.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian chromium not installed at /usr/bin/chromium (apt-get install -y chromium)",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port: int, proc: subprocess.Popen, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"syriasim app exited early with status {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise AssertionError(f"syriasim app did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


@pytest.fixture(scope="module")
def server():
    from sim.viz import assets

    if assets.missing_packages():  # normally fetched by .ci/run; try once with npm
        assets.ensure()
    missing = assets.missing_packages()
    assert not missing, (
        f"browser assets missing ({', '.join(missing)}): run `python -m sim.viz.assets` first"
    )
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sim",
            "app",
            "--port",
            str(port),
            "--case",
            "access",
            "--seed",
            "7",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        _wait_listening(port, proc)
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
        proc.send_signal(signal.SIGTERM)  # `syriasim app` stops its solara server on SIGTERM
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, (
            "the server is still listening after the test"
        )


def _choose(page, label: str, option: str) -> None:
    """Pick `option` in the sidebar's select labelled `label`, as a user does."""
    page.locator(".v-select", has_text=label).click()
    listbox = page.get_by_role("listbox", name=label)
    listbox.get_by_role("option", name=option, exact=True).click()
    listbox.wait_for(state="hidden")
    assert option in page.locator(".v-select", has_text=label).inner_text()


def _week(page, timeout_ms: int = 5000) -> int:
    """The week of the case the page says it shows. While playing, the page re-renders and the
    text can be missing for an instant: read again until it is there (-1 if it never is)."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        found = re.findall(r"week (\d+) of the case", page.inner_text("body"))
        if found or time.monotonic() > deadline:
            return int(found[0]) if found else -1
        page.wait_for_timeout(100)


def _image_digests(page) -> list[str]:
    sources = page.eval_on_selector_all("img", "els => els.map(e => e.src)")
    return [hashlib.sha1(src.encode()).hexdigest() for src in sources]


def _wait_images_change(page, before: list[str], timeout_ms: int = 15000) -> list[str]:
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        now = _image_digests(page)
        if len(now) == len(before) and all(a != b for a, b in zip(now, before, strict=True)):
            return now
        page.wait_for_timeout(200)
    return _image_digests(page)


def test_real_page_structure_change_steps_and_no_console_errors(server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.on(
                "console", lambda m: m.type == "error" and problems.append(f"console: {m.text}")
            )
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on(
                "response",
                lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"),
            )
            page.goto(server)
            step = page.get_by_role("button", name="Step")
            step.wait_for(timeout=90_000)
            page.locator("img").nth(1).wait_for(timeout=60_000)
            assert page.locator("img").count() == 2  # the map and the charts

            # change a structure (side by side against 'none') and apply it with Reset
            _choose(page, "Side by side: same seed under structure", "none")
            _choose(page, "Structure: access track", "bilateral")
            before = _image_digests(page)
            page.get_by_role("button", name="Reset").click()
            page.get_by_text("B: No mechanism on access track").first.wait_for(timeout=30_000)
            page.get_by_text("A: Bilateral (US-Russia co-lead) on access track").first.wait_for()
            after_reset = _wait_images_change(page, before)
            assert after_reset != before, "map and charts must show the new structures"

            # step several weeks: the map and the charts change, the week counter moves
            for weeks in range(1, 7):
                shown = _image_digests(page)
                step.click()
                page.get_by_text(f"week {weeks} of the case").first.wait_for(timeout=30_000)
                now = _wait_images_change(page, shown)
                assert now[0] != shown[0], f"map unchanged after step {weeks}"
                assert now[1] != shown[1], f"charts unchanged after step {weeks}"
            # play: weeks advance on their own until paused
            page.get_by_role("button", name="▶").click()
            deadline = time.monotonic() + 60
            while _week(page) < 10 and time.monotonic() < deadline:
                page.wait_for_timeout(250)
            if _week(page) < 10:
                page.screenshot(path=str(ARTIFACTS / "app_play_failed.png"), full_page=True)
            assert _week(page) >= 10, (
                f"play did not advance the weeks: {page.inner_text('body')[-1500:]}"
            )
            page.get_by_role("button", name="❚❚").click()
            page.wait_for_timeout(1500)
            paused = _week(page)
            page.wait_for_timeout(1500)
            assert _week(page) == paused, "pause did not stop the run"
            page.screenshot(path=str(ARTIFACTS / "app.png"), full_page=True)
        finally:
            browser.close()
    assert (ARTIFACTS / "app.png").stat().st_size > 10_000
    assert not problems, "\n".join(problems)
