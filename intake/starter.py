"""`intake init`: a new installation in one directory.

Writes a commented starter config (every line an operator must look at is marked
CHANGE), a secrets/ folder (0700) with an empty mail password file and a random web
session key (both 0600), and a fresh, migrated database. Nothing that exists is
overwritten.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from intake.store import Store

STARTER_CONFIG = """\
# intake.toml, written by `intake init`. Lines marked CHANGE need your values.
# Every key is explained in intake.example.toml (in the source) and docs/operators.md.
# Passwords are never written here: they are read from the files in secrets/ (mode 0600).
# Check everything with:  intake --config {config_name} config check

[service]
database = "data/intake.sqlite3"   # created by `intake init`; back it up with `intake backup`
poll_interval = 60                 # seconds between cycles (IMAP IDLE wakes the service sooner)
# rules_dir = "rules"              # your own rules; default: the rules shipped with intake
# templates_dir = "templates"      # your own mail templates; default: the ones shipped

[[inbox]]
name = "general"
host = "imap.example.org"          # CHANGE: your IMAP server (outlook.office365.com, imap.gmail.com)
port = 993
security = "tls"                   # tls | starttls | none
username = "procurement@example.org"   # CHANGE
password_file = "secrets/mail-password" # put the password in this file (one line)
folder = "INBOX"
address = "procurement@example.org"    # CHANGE: the address this inbox receives
on_handled = "flag"                # flag | move; Exchange Online keeps no keywords: use "move"
# move_to = "Intake/Handled"

[smtp]
host = "smtp.example.org"          # CHANGE: your SMTP relay (smtp.office365.com, smtp.gmail.com)
port = 587
security = "starttls"              # tls | starttls | none
username = "procurement@example.org"   # CHANGE (or remove with the next line for an open relay)
password_file = "secrets/mail-password"
from_address = "procurement@example.org"  # CHANGE
staff_address = "secretariat@example.org" # CHANGE: receives proposal and facilitation notices

[web]                              # the staff desk: `intake web`
secret_key_file = "secrets/web-secret-key"
secure_cookies = true              # the desk is served over HTTPS (see contrib/ for a proxy)
behind_proxy = true                # behind Caddy or nginx on the same host
"""


class InitError(Exception):
    """`intake init` would overwrite something; printed as one line."""


@dataclass
class InitPlan:
    directory: Path
    config: Path
    written: list[str] = field(default_factory=list)


def init(directory: Path, *, config_name: str = "intake.toml", dry_run: bool = False) -> InitPlan:
    """Create the starter files in `directory`; refuse if any of them exists."""
    directory = directory.resolve()
    plan = InitPlan(directory=directory, config=directory / config_name)
    secrets_dir = directory / "secrets"
    database = directory / "data" / "intake.sqlite3"
    targets = [plan.config, secrets_dir / "mail-password", secrets_dir / "web-secret-key", database]
    existing = [str(t) for t in targets if t.exists()]
    if existing:
        raise InitError(f"{existing[0]} exists; intake init never overwrites (choose another --dir)")
    plan.written = [str(t) for t in targets]
    if dry_run:
        return plan
    directory.mkdir(parents=True, exist_ok=True)
    secrets_dir.mkdir(mode=0o700, exist_ok=True)
    os.chmod(secrets_dir, 0o700)
    _write_private(secrets_dir / "mail-password", "")
    _write_private(secrets_dir / "web-secret-key", secrets.token_urlsafe(48) + "\n")
    plan.config.write_text(STARTER_CONFIG.format(config_name=config_name), encoding="utf-8")
    database.parent.mkdir(mode=0o700, exist_ok=True)
    store = Store(database)
    try:
        store.migrate()
    finally:
        store.close()
    os.chmod(database, 0o600)
    return plan


def _write_private(path: Path, text: str) -> None:
    """Created 0600 from the start, so the secret is never readable by others."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
