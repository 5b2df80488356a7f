#!/usr/bin/env bash
# README command 1: set up, then run the default demonstration (results + figure in out/demo).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/syriasim demo --out out/demo "$@"
