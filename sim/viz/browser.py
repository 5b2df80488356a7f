"""Serving the teaching app locally and driving it in Debian's Chromium: the one harness that the
browser tests and benchmarks/bench_app.py share.

Chromium comes from Debian (`apt-get install chromium`): Playwright's own browser download is
not reachable on these machines, so Playwright launches this executable with headless flags.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch(playwright):
    """Debian's Chromium, headless, through a `sync_playwright()` handle."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(port: int, *args: str, cwd: Path, timeout: float = 90.0, **popen) -> subprocess.Popen:
    """`python -m sim app --port PORT ARGS...` in its own process group, returned once it listens
    on 127.0.0.1 (RuntimeError if it exits first or does not listen within `timeout`)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "app", "--port", str(port), *args],
        cwd=cwd,
        start_new_session=True,
        **popen,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"syriasim app exited early with status {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.3)
    stop_app(proc)
    raise RuntimeError(f"syriasim app did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


def stop_app(proc: subprocess.Popen) -> None:
    """SIGTERM (the app stops its solara server on it), then the whole group if it lingers."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
