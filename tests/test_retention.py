"""Retention through the real pipeline (Dovecot, SMTP sink, SQLite), with a moved clock."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from intake import queries, triage
from intake.config import ConfigError, load_config
from intake.context import Env
from intake.service import Service
from intake.store import Store
from tests.conftest import write_config

AUTO_REPLY = (
    b"From: Out Of Office <vera.abwesend@stadt-example.de>\r\nTo: procurement@iclei.org\r\n"
    b"Subject: Automatische Antwort: Newsletter\r\nAuto-Submitted: auto-replied\r\n"
    b"Message-ID: <ooo-1@stadt-example.de>\r\n\r\n"
    b"Ich bin bis zum 3. Januar nicht im Buero. MARKER-MACHINE-7Q2\r\n"
)


def human(n: int, marker: str) -> bytes:
    return (
        f"From: Person {n} <person{n}@gemeente-example.nl>\r\nTo: procurement@iclei.org\r\n"
        f"Subject: Question {n} about the LCC group fees?\r\nMessage-ID: <h{n}@gemeente-example.nl>"
        f"\r\n\r\nWhat does it cost to join the Life Cycle Costing group? {marker}\r\n"
    ).encode()


@pytest.fixture
def run(tmp_path, dovecot, smtp, users):
    """One auto-reply and two human requests stored, decided and answered."""
    (user,) = users("procurement")
    dovecot.append(user, [AUTO_REPLY, human(1, "MARKER-CLOSED-4K9"), human(2, "MARKER-OPEN-8Z1")])
    path = write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=smtp.port,
        inboxes=[{"name": "general", "username": user}],
    )
    service = Service(load_config(path))
    assert service.run_cycle().ok
    yield service
    service.close()


def contents(service: Service) -> dict[str, bool]:
    """Which messages still have their raw mail and body, by marker; and outgoing copies."""
    store = service.store
    kept = {}
    for row in store.query("SELECT id, subject, body_text FROM messages ORDER BY id"):
        raw = store.raw_of(row["id"])
        kept[row["subject"]] = raw is not None and row["body_text"] is not None
    kept["outgoing"] = all(r[0] for r in store.query("SELECT length(raw) FROM outbox"))
    return kept


def file_bytes(service: Service) -> bytes:
    db = service.config.database
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_retention_moves_with_the_clock(run, smtp):
    # Machine mail loses its content after 30 days, finished requests and our copies after
    # 730; open requests keep theirs; rows, counts and decisions stay; it is audited.
    service = run
    store = service.store
    env = Env(
        config=service.config,
        rules=service.env.rules,
        store=store,
        templates=service.env.templates,
        actor="anna",
    )
    requests = queries.list_requests(store)
    closed = next(r for r in requests if r["subject"].startswith("Question 1"))
    triage.close(env, closed["id"], note="answered")
    assert store.one("SELECT COUNT(*) FROM outbox WHERE status='sent'")[0] == 2
    now = datetime.now(UTC)
    everything = {
        "Automatische Antwort: Newsletter": True,
        "Question 1 about the LCC group fees?": True,
        "Question 2 about the LCC group fees?": True,
        "outgoing": True,
    }

    assert service.run_retention(now + timedelta(days=29)).total == 0
    assert contents(service) == everything

    report = service.run_retention(now + timedelta(days=31))
    assert (report.machine_mail, report.closed_requests, report.outgoing_mail) == (1, 0, 0)
    assert contents(service) == {**everything, "Automatische Antwort: Newsletter": False}
    assert b"MARKER-MACHINE-7Q2" not in file_bytes(service)
    assert b"MARKER-CLOSED-4K9" in file_bytes(service)

    assert service.run_retention(now + timedelta(days=729)).total == 0
    report = service.run_retention(now + timedelta(days=731))
    assert (report.machine_mail, report.closed_requests, report.outgoing_mail) == (0, 1, 2)
    assert contents(service) == {
        "Automatische Antwort: Newsletter": False,
        "Question 1 about the LCC group fees?": False,
        "Question 2 about the LCC group fees?": True,
        "outgoing": False,
    }
    assert b"MARKER-CLOSED-4K9" not in file_bytes(service)
    assert b"MARKER-OPEN-8Z1" in file_bytes(service)
    # rows and decisions stay: the same requests with the same facts
    after = queries.list_requests(store)
    assert [(r["id"], r["status"], r["group"], r["sender_email"], r["acknowledged"]) for r in after] == [
        (
            r["id"],
            "closed" if r["id"] == closed["id"] else r["status"],
            r["group"],
            r["sender_email"],
            r["acknowledged"],
        )
        for r in requests
    ]
    marks = {r[0].split()[0] for r in store.query("SELECT redacted FROM messages WHERE redacted IS NOT NULL")}
    assert marks == {"retention"}
    shown = queries.request_detail(store, closed["id"])  # what `requests show` and the desk read
    assert (
        shown["messages"][0]["redacted"].startswith("retention ")
        and shown["messages"][0]["body_text"] is None
    )
    assert all(o["redacted"].startswith("retention ") for o in shown["outbox"])
    events = store.event_rows("e.kind='retention_applied'")
    assert [e["detail"]["machine_mail"] for e in events] == [1, 0]
    # enforcing again is a no-op
    assert service.run_retention(now + timedelta(days=2000)).total == 0
    assert len(store.event_rows("e.kind='retention_applied'")) == 2


def test_the_running_service_enforces_retention(run):
    # run_forever enforces retention when it starts (and then daily): backdated machine
    # mail loses its content without anyone calling it.
    service = run
    old = (datetime.now(UTC) - timedelta(days=45)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with service.store.transaction():
        service.store.conn.execute("UPDATE messages SET stored_at=? WHERE role='machine'", (old,))
    (machine,) = [r[0] for r in service.store.query("SELECT id FROM messages WHERE role='machine'")]
    thread = threading.Thread(target=service.run_forever, kwargs={"signals": False, "idle": False})
    watcher = Store(service.config.database)  # the service's connection is its thread's
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while watcher.raw_of(machine) is not None:
            assert time.monotonic() < deadline, "retention did not run"
            time.sleep(0.1)
    finally:
        service.stop()
        thread.join(timeout=10)
    redacted = watcher.one("SELECT redacted FROM messages WHERE id=?", (machine,))[0]
    watcher.close()
    assert redacted.startswith("retention ")


@pytest.mark.parametrize(
    "entry, problem",
    [
        ("machine_mail_days = 0", "retention.machine_mail_days: must be a number of days"),
        ('closed_requests_days = "two years"', "retention.closed_requests_days: must be an integer"),
        ("outgoing_mail_day = 30", "retention.outgoing_mail_day: unknown key"),
    ],
)
def test_retention_config_errors_name_the_key(tmp_path, entry, problem):
    # A wrong [retention] value is one line naming the key.
    path = write_config(
        tmp_path,
        imap_port=1,
        smtp_port=2,
        inboxes=[{"name": "g", "username": "u"}],
        extra=f"[retention]\n{entry}\n",
    )
    with pytest.raises(ConfigError, match=problem.replace("(", r"\(")):
        load_config(path)


def test_retention_defaults_and_notice_url_check(tmp_path):
    # Defaults are 30 / 730 / 730 days; a notice_url must be a web address.
    path = write_config(tmp_path, imap_port=1, smtp_port=2, inboxes=[{"name": "g", "username": "u"}])
    retention = load_config(path).retention
    assert (retention.machine_mail_days, retention.closed_requests_days, retention.outgoing_mail_days) == (
        30,
        730,
        730,
    )
    bad = write_config(
        tmp_path,
        imap_port=1,
        smtp_port=2,
        inboxes=[{"name": "g", "username": "u"}],
        extra='[privacy]\nnotice_url = "procuraplus.org/privacy"\n',
    )
    with pytest.raises(ConfigError, match="privacy.notice_url: must be a web address"):
        load_config(bad)
