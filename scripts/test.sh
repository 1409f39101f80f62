#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh Debian/Python 3.11 machine, then run it.
# Installs Dovecot (dovecot-imapd) and Chromium (for the browser tests) with apt-get when missing,
# and the Python packages in .venv. Playwright drives Debian's Chromium; it never downloads a browser.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null; then SUDO="sudo"; fi
need_apt=()
if ! command -v dovecot >/dev/null && [ ! -x /usr/sbin/dovecot ]; then need_apt+=(dovecot-imapd); fi
if ! command -v chromium >/dev/null && [ ! -x /usr/bin/chromium ]; then need_apt+=(chromium); fi
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "installing ${need_apt[*]} with apt-get ..."
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
