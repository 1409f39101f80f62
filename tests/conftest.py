"""Shared fixtures: a real Dovecot, a real SMTP sink, configs in temp dirs, the corpus."""

from __future__ import annotations

import itertools
import logging
import os
from pathlib import Path

import pytest

from intake.config import load_config
from intake.smtp_sink import SmtpSink
from tests.dovecot import PASSWORD, Dovecot

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("INTAKE_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus"
DEV = CORPUS / "dev"
REALWORLD = CORPUS / "realworld"
ROSTER = CORPUS / "roster.csv"
_users = itertools.count(1)

logging.getLogger("mailparser").setLevel(logging.CRITICAL)


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("INTAKE_TEST_PASSWORD", PASSWORD)


@pytest.fixture(scope="session")
def dovecot():
    server = Dovecot().start()
    yield server
    server.cleanup()


@pytest.fixture
def smtp(tmp_path):
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def users():
    """Fresh mailbox names on the shared Dovecot, unique per test."""

    def make(*names: str) -> list[str]:
        n = next(_users)
        return [f"{name}{n}@test.example" for name in names]

    return make


def write_config(
    tmp_path: Path, *, imap_port: int, smtp_port: int, inboxes: list[dict], extra: str = ""
) -> Path:
    lines = [
        "[service]",
        f'database = "{tmp_path / "intake.sqlite3"}"',
        "poll_interval = 1",
        "",
    ]
    for inbox in inboxes:
        lines.append("[[inbox]]")
        entry = {
            "host": "127.0.0.1",
            "port": imap_port,
            "security": "none",
            "password_env": "INTAKE_TEST_PASSWORD",
            "on_handled": "flag",
            **inbox,
        }
        for key, value in entry.items():
            lines.append(
                f"{key} = {value!r}".replace("'", '"')
                if isinstance(value, str)
                else f"{key} = {str(value).lower() if isinstance(value, bool) else value}"
            )
        lines.append("")
    lines += [
        "[smtp]",
        'host = "127.0.0.1"',
        f"port = {smtp_port}",
        'security = "none"',
        'from_address = "procurement@iclei.org"',
        'staff_address = "secretariat@iclei.org"',
        "retry_base_seconds = 0",
        "timeout = 5",
        "",
        "[limits]",
        "skip_old_mail = false",
        "acks_per_sender_per_day = 50",
        "acks_per_hour = 1000",
        "",
    ]
    path = tmp_path / "intake.toml"
    path.write_text("\n".join(lines) + "\n" + extra)
    return path


@pytest.fixture
def corpus_setup(tmp_path, dovecot, smtp, users):
    """Two inboxes (general + LCC facilitator) and a config pointing at them."""
    general, lcc = users("procurement", "lcc")
    config_path = write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=smtp.port,
        inboxes=[
            {"name": "general", "username": general, "address": "procurement@iclei.org"},
            {"name": "lcc", "username": lcc, "address": "philipp.tepper@iclei.org", "group": "lcc"},
        ],
    )
    return {"config_path": config_path, "general": general, "lcc": lcc, "config": load_config(config_path)}


def service_with_stored(directory: Path, raws: list[bytes], *, smtp_port: int = 1, roster: bool = False):  # noqa: ANN201 - intake.service.Service
    """A Service on a fresh database in `directory` (one inbox, no IMAP server) with these
    messages stored as delivered (uids 1..n), not yet run; with the corpus roster if asked."""
    from intake import members
    from intake.service import Service

    directory.mkdir(parents=True, exist_ok=True)
    path = write_config(
        directory, imap_port=1, smtp_port=smtp_port, inboxes=[{"name": "general", "username": "u"}]
    )
    service = Service(load_config(path))
    if roster:
        members.import_file(service.store, ROSTER, "t")
    for uid, raw in enumerate(raws, 1):
        service.store.store_delivery(
            inbox="general", folder="INBOX", uidvalidity=1, uid=uid, raw=raw, internal_date=None
        )
    return service


def corpus_files() -> list[Path]:
    return sorted(DEV.glob("*.eml"))


def deliver_corpus(dovecot: Dovecot, general: str, lcc: str) -> dict[str, list[Path]]:
    """Deliver each dev mail to the inbox(es) it was addressed to."""
    to_general, to_lcc = [], []
    for path in corpus_files():
        raw = path.read_bytes()
        head = raw.split(b"\n\n", 1)[0].lower()
        if b"philipp.tepper@iclei.org" in head:
            to_lcc.append(path)
        if (
            b"procurement@iclei.org" in head.replace(b"return-path: <procurement@iclei.org>", b"")
            or b"philipp.tepper@iclei.org" not in head
        ):
            to_general.append(path)
    dovecot.append(general, [p.read_bytes() for p in to_general])
    dovecot.append(lcc, [p.read_bytes() for p in to_lcc])
    return {"general": to_general, "lcc": to_lcc}
