#!/usr/bin/env bash
# The browser the web interface's end-to-end tests drive: Debian's chromium (never a browser build
# downloaded by Playwright). Playwright for Python itself is a pip test dependency (playwright==1.65.2).
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core
fi
chromium --version
