#!/usr/bin/env bash
# System packages sohoa needs on Debian 12 / Ubuntu 24.04: OCR, PDF tools, the SoftHSM2 token
# used by the PKCS#11 tests, fonts with Vietnamese glyphs, and docker-compose (config validation).
set -euo pipefail
PACKAGES=(
  tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd
  qpdf poppler-utils ghostscript
  softhsm2 opensc
  fonts-dejavu-core fonts-liberation2
  chromium
  python3-venv python3-dev
  docker-compose
)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
