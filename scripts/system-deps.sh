#!/usr/bin/env bash
# The system packages the browser, accessibility and PDF tests need, installed the same way
# by `.ci/run` and `make test`: Debian's headless Chromium, poppler-utils (pdftotext),
# Node.js's npm (for axe-core), the DejaVu fonts, and PostgreSQL (the server the SSD
# database tests start on a Unix socket, tests/test_ssd_db.py). Installed with apt-get when missing and
# this user can (root, apt-get present); otherwise one line says what is missing and how to
# add it, and the tests that need it are skipped (never an error, except on CI, which
# installs them).
set -uo pipefail

need=()
command -v make >/dev/null 2>&1 || need+=(make)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
  || [ -n "${CHROMIUM_PATH:-}" ] || need+=(chromium)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v npm >/dev/null 2>&1 || need+=(npm)
fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ "${IRO_NO_APT:-}" != 1 ]; then
  echo "Installing from Debian: ${need[*]}"
  apt-get update -qq >/dev/null \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
    && exit 0
  echo "apt-get could not install ${need[*]}" >&2
fi
echo "Missing ${need[*]}: the browser, accessibility, PDF or SSD database tests will be skipped; enable them with: sudo apt-get install ${need[*]}"
[ "${CI:-}" = true ] && exit 1
exit 0
