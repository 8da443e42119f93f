#!/usr/bin/env bash
# Create .venv with a Python >= 3.11 and install sohoa into it (with extras given as $1, e.g. "[test]").
set -euo pipefail
cd "$(dirname "$0")/.."
PY=$(./scripts/find-python.sh)
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".${1:-}"
