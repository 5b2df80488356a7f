#!/usr/bin/env bash
# README command 2: set up, lint, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check sim tests benchmarks
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
