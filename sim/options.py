"""Command-line options shared by the commands, declared once: `--set`, `--seed`, `--seeds`,
`--jobs`, `--out`, and the types they use (a bad value is a one-line error: sim.cli's parser)."""

from __future__ import annotations

import argparse
import os


def positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {v}")
    return v


def positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not v > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {v}")
    return v


def csv_list(text: str) -> list[str]:
    """A comma-separated list (empty items dropped)."""
    return [t.strip() for t in text.split(",") if t.strip()]


def default_jobs() -> int:
    """Worker processes when --jobs is not given: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def jobs(args) -> int:
    return args.jobs or default_jobs()


def add_set(p, help: str = "override a scenario setting, e.g. tracks.access.structure=none"):
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"{help} (repeatable)",
    )


def add_seed(p, default: int | None, help: str):
    p.add_argument("--seed", type=int, default=default, help=help)


def add_seeds(p, default: int, help: str = "seeds"):
    p.add_argument(
        "--seeds", type=positive_int, default=default, help=f"{help} (default {default})"
    )


def add_jobs(p):
    p.add_argument(
        "--jobs",
        "-j",
        type=positive_int,
        default=None,
        help="worker processes (default: every core; 1 = in this process)",
    )


def add_out(p, default: str | None = None, *, required: bool = False, help: str):
    p.add_argument("--out", default=default, required=required, help=help)
