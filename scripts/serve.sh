#!/usr/bin/env bash
# One command from a fresh clone: install everything, then run sohoa on the embedded default
# (SQLite catalogue, local-folder store, in-process workers, development signing CA under ./var).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/system-packages.sh
./scripts/venv.sh
exec .venv/bin/sohoa serve "$@"
