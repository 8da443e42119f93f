#!/usr/bin/env bash
# One command from a fresh clone: install system and test dependencies, start the local services
# the tests use, lint, and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/system-packages.sh
./scripts/venv.sh "[test]"
./scripts/services.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# Two workers, a test file each: half the suite waits on servers, browsers and databases, not the CPU.
# SOHOA_TEST_WORKERS=0 runs it in one process.
workers="${SOHOA_TEST_WORKERS:-2}"
if [ "$workers" = "0" ]; then
  .venv/bin/python -m pytest -p no:cacheprovider "$@"
else
  .venv/bin/python -m pytest -p no:cacheprovider -n "$workers" --dist loadfile "$@"
fi
