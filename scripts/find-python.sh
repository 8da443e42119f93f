#!/usr/bin/env bash
# Print the first Python >= 3.11 on PATH (sohoa's minimum), or fail with a message.
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "$candidate"; exit 0
  fi
done
echo "sohoa needs Python >= 3.11" >&2
exit 1
