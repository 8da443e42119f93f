#!/usr/bin/env bash
# One command from a fresh clone: install system and test dependencies, start the local services
# the tests use, lint, and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/system-packages.sh
./scripts/venv.sh "[test]"
./scripts/services.sh
.venv/bin/ruff check .
.venv/bin/python -m pytest -p no:cacheprovider "$@"
