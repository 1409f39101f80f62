"""Every real-world fixture (bounces, .msg files, NUL bytes, CR-only, 3 MB nested, broken
MIME) delivered to Dovecot is stored and listed, and none crashes the service."""

from __future__ import annotations

from intake import queries
from intake.config import load_config
from intake.service import Service
from tests.conftest import REALWORLD, write_config


def test_realworld_corpus_through_dovecot(tmp_path, dovecot, smtp, users):
    (user,) = users("realworld")
    files = sorted(p for p in REALWORLD.rglob("*") if p.is_file() and p.name != "labels.csv")
    c = dovecot.client(user)
    accepted = 0
    refused = []
    for path in files:
        try:
            c.append("INBOX", path.read_bytes())
            accepted += 1
        except Exception as exc:  # noqa: BLE001 - the server may refuse some (it says why)
            refused.append((path.name, str(exc)[:80]))
    c.logout()
    assert accepted >= len(files) - 10, refused
    path = write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=smtp.port,
        inboxes=[{"name": "general", "username": user, "batch_size": 50, "idle": False}],
    )
    service = Service(load_config(path))
    report = service.run_cycle()
    assert report.ok, report.errors
    assert report.fetched == accepted
    stored = service.store.one("SELECT COUNT(*) FROM deliveries")[0]
    assert stored == accepted
    statuses = dict(service.store.query("SELECT status, COUNT(*) FROM messages GROUP BY status"))
    assert set(statuses) <= {"processed", "unparseable"}, statuses
    listed = queries.list_requests(service.store)
    messages = service.store.one("SELECT COUNT(*) FROM messages")[0]
    assert len({m for r in listed for m in r["message_ids"]} | {r["id"] for r in listed}) >= 1
    assert (
        sum(1 for _ in listed) + service.store.one("SELECT COUNT(*) FROM messages WHERE role='followup'")[0]
        == messages
    )
    # nothing automatic was answered
    machine = {r["sender_email"] for r in listed if r["screening"] not in ("human", None)}
    for item in smtp.received:
        assert not set(item.rcpt_tos) & machine
