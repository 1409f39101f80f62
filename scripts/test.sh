#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh Debian machine, then run it.
#
# Installs Dovecot (dovecot-imapd) and Chromium (for the browser tests) with apt-get when
# missing, and the Python packages in .venv at the versions pinned in requirements.lock.
# Then: ruff (lint and format) and the whole pytest suite on python3 (3.11 on Debian 12).
# When a Python 3.13 interpreter is present too (Debian 13's default, or a pyenv 3.13), the
# suite runs again on it, in .venv-3.13. Playwright drives Debian's Chromium; it never
# downloads a browser. Extra arguments go to pytest.
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

# venv DIR PYTHON: a virtual environment with intake and its test tools, as locked
venv() {
  [ -x "$1/bin/python" ] || "$2" -m venv "$1"
  "$1/bin/python" -m pip install -q --disable-pip-version-check -c requirements.lock -e '.[test]'
}

# a Python 3.13 beside the default python3, if this machine has one that runs
python313() {
  local candidate
  for candidate in python3.13 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3.13; do
    if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

venv .venv python3
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== pytest on $(.venv/bin/python -V)"
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"

if [ "$(.venv/bin/python -c 'import sys; print(sys.version_info[:2] == (3, 13))')" = "False" ] \
    && py313=$(python313); then
  venv .venv-3.13 "$py313"
  echo "== pytest on $(.venv-3.13/bin/python -V)"
  .venv-3.13/bin/python -m pytest -q -p no:cacheprovider "$@"
fi
