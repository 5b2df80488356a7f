#!/usr/bin/env bash
# README command 2: set up, lint, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check sim tests benchmarks
# In parallel (pytest-xdist), one test file per worker at a time so that a module's expensive
# fixture (the 30-seed validity runs) is computed once; every test runs, `slow` ones included
# (deselect them locally with -m "not slow").
.venv/bin/python -m pytest -q -p no:cacheprovider -n auto --dist loadfile "$@"
