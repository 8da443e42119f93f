#!/usr/bin/env bash
# The story a department lives, on what it installs: the sohoa wheel and its runtime dependencies in a
# fresh virtualenv, WITHOUT the test extras, run from outside the source tree (scripts/story.py says
# what it checks). Fails on any module, template, font or static file the install lacks.
#   ./scripts/clean-install-story.sh [SCAN]
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
SCAN=${1:-$REPO/../shared/corpus/vn-docs/vn002_congbot_17.tif}
[ -f "$SCAN" ] || { echo "story: no scan at $SCAN" >&2; exit 2; }
PY=$(./scripts/find-python.sh)
WORK=$(mktemp -d -t sohoa-clean-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
echo "story: building the wheel from the source tree"
"$PY" -m venv "$WORK/build-env"
"$WORK/build-env/bin/python" -m pip install -q --upgrade pip
"$WORK/build-env/bin/python" -m pip wheel -q --no-deps -w "$WORK/wheel" "$REPO"
echo "story: installing it into a fresh virtualenv, runtime dependencies only"
"$PY" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install -q --upgrade pip
"$WORK/venv/bin/python" -m pip install -q "$WORK"/wheel/sohoa-*.whl
cd "$WORK"  # nothing of the source tree on sys.path
if "$WORK/venv/bin/python" -c "import core" 2>/dev/null; then
  echo "story: FAILED: 'import core' works in the installed environment" >&2; exit 1
fi
"$WORK/venv/bin/python" -c "import sohoa.api.app"
exec "$WORK/venv/bin/python" "$REPO/scripts/story.py" --sohoa "$WORK/venv/bin/sohoa" --scan "$SCAN"
