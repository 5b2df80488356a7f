#!/usr/bin/env bash
# Create .venv with Python >= 3.12 and install syriasim with its development extras.
# Works on a fresh machine: uses python3.13/python3.12/python3 if one is >= 3.12, else pyenv's.
set -euo pipefail
cd "$(dirname "$0")/.."

is_ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }

pick_python() {
  for cand in python3.13 python3.12 python3; do
    if command -v "$cand" >/dev/null 2>&1 && is_ok "$cand"; then command -v "$cand"; return; fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9])' | sort -rV); do
      cand="$(pyenv root)/versions/$v/bin/python"
      if is_ok "$cand"; then echo "$cand"; return; fi
    done
  fi
  echo "error: syriasim needs Python >= 3.12 (install it, or pyenv install 3.12)" >&2
  exit 1
}

if [ ! -x .venv/bin/python ] || ! is_ok .venv/bin/python; then
  rm -rf .venv
  "$(pick_python)" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev]"
# The teaching app's browser assets (solara otherwise fetches them from a CDN at page load,
# which fails offline): stored under .venv from the npm registry, once.
if command -v npm >/dev/null 2>&1; then
  .venv/bin/python -m sim.viz.assets >/dev/null || echo "warning: could not store the app's browser assets (syriasim app needs a CDN then)" >&2
fi
