#!/usr/bin/env bash
# Set up intake in .venv and run the demo: embedded IMAP + SMTP servers, sample mail, one cycle.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -c requirements.lock -e .
exec .venv/bin/python run_service.py --demo "$@"
