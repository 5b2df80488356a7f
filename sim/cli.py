"""Command-line interface: `syriasim <command>` (also `python -m sim <command>`).

Each command lives in a module that exposes `add_parser(subparsers)`; the parser it returns
carries `func=callable(args) -> int`. User errors (`UserError`) print one line and exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from sim import __version__
from sim.errors import UserError

# Modules contributing sub-commands, in the order `syriasim --help` lists them.
COMMAND_MODULES = (
    "sim.commands",
    "sim.calibration.commands",
    "sim.experiments.commands",
    "sim.viz.commands",
    "sim.record.commands",
)


class OneLineParser(argparse.ArgumentParser):
    """A mistyped command line is a bad input like any other: one line on stderr, status 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message.splitlines()[0]} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="syriasim",
        description="Agent-based simulation of diplomacy in the Syrian conflict (2012-2017).",
    )
    parser.add_argument("--version", action="version", version=f"syriasim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # that part of the tool is not installed yet
                continue
            raise
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a one-line usage error (exit 2)
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # here, where a closed pipe can still be caught
        return code
    except BrokenPipeError:  # output piped into `head` and the reader left: stop quietly
        _silence_stdout()
        return 0
    except UserError as exc:
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _silence_stdout()
        print(f"syriasim {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"syriasim {args.command}: interrupted", file=sys.stderr)
        return 130


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
