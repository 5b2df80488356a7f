"""Rewrite every golden trajectory (only when a change is meant to alter behaviour).

PYTHONPATH=. .venv/bin/python -m tests.golden.regen
"""

from __future__ import annotations

from tests.golden import HERE, names, path_of, render


def main() -> None:
    keep = set(names())
    for stale in HERE.glob("*.csv"):
        if stale.stem not in keep:
            stale.unlink()
    for name in sorted(keep):
        path_of(name).write_text(render(name), newline="")
        print(path_of(name))


if __name__ == "__main__":
    main()
