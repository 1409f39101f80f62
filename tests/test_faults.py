"""Fault injection: kill -9, a server going away, a locked database, crashing stages.

Afterwards every message is stored exactly once, nothing was sent twice, and
nothing was sent to a machine.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest

from intake import members
from intake.config import load_config
from intake.service import Service
from intake.store import Store
from tests.conftest import ROOT, ROSTER, write_config
from tests.dovecot import Dovecot
from tests.mailgen import generate


def service_cmd(path) -> list[str]:
    return [sys.executable, str(ROOT / "run_service.py"), "--config", str(path), "-q"]


def check_invariants(db_path, smtp, expected_messages: int) -> Counter:
    store = Store(db_path)
    try:
        assert store.one("SELECT COUNT(*) FROM messages")[0] == expected_messages
        assert store.one("SELECT COUNT(*) FROM messages WHERE status='stored'")[0] == 0
        assert store.one("SELECT COUNT(*) FROM messages WHERE status='shunted'")[0] == 0
        dupes = store.query(
            "SELECT inbox, uid, COUNT(*) c FROM deliveries GROUP BY inbox, uidvalidity, uid HAVING c > 1"
        )
        assert dupes == []
        received = Counter(r.message["Message-ID"].strip().strip("<>") for r in smtp.received)
        assert all(n == 1 for n in received.values()), "a mail was sent twice"
        statuses = Counter()
        for row in store.query("SELECT message_id, status FROM outbox"):
            statuses[row["status"]] += 1
            if row["status"] == "sent":
                assert received[row["message_id"]] == 1
            elif row["status"] in ("queued", "failed"):
                pytest.fail(f"outbox row left {row['status']}")
            elif row["status"] == "uncertain":
                assert received[row["message_id"]] <= 1
        assert set(received) <= {r[0] for r in store.query("SELECT message_id FROM outbox")}
        machine_ids = {
            r[0] for r in store.query("SELECT message_id FROM messages WHERE screening != 'human'")
        }
        for item in smtp.received:
            assert (item.message["In-Reply-To"] or "").strip().strip("<>") not in machine_ids
        # each request got at most one ack per decision round
        per_request = Counter(r[0] for r in store.query("SELECT request_id FROM outbox WHERE kind='ack'"))
        assert all(n == 1 for n in per_request.values())
        return statuses
    finally:
        store.close()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_minus_nine_at_random_points(tmp_path, dovecot, smtp, users, seed):
    # kill -9 the service at random moments while it works through a mailbox; restart.
    rng = random.Random(seed)
    (user,) = users(f"kill{seed}-")
    mails = generate(300, seed)
    dovecot.append(user, mails)
    path = write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=smtp.port,
        inboxes=[{"name": "general", "username": user, "batch_size": 25, "idle": False}],
    )
    config = load_config(path)
    setup = Service(config)
    members.import_file(setup.store, ROSTER, "test")
    setup.close()
    kills = 0
    for _ in range(8):
        proc = subprocess.Popen(service_cmd(path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 2.5))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
    final = subprocess.run([*service_cmd(path), "--once"], capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    assert kills >= 4
    statuses = check_invariants(config.database, smtp, expected_messages=300)
    assert statuses["sent"] > 50
    assert statuses["uncertain"] <= kills  # at most the one in flight at each kill
    # the killed services' parse workers went too: none is left waiting for work
    deadline = time.monotonic() + 5
    while _processes_using(path) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_using(path) == []


def _processes_using(config_path) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    if str(config_path).encode() in handle.read():
                        found.append(int(entry))
            except OSError:
                continue
    return found


def test_sigterm_stops_cleanly(tmp_path, dovecot, smtp, users):
    # SIGTERM ends the service after the current message, with exit code 0.
    (user,) = users("term")
    dovecot.append(user, generate(40, 7))
    path = write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=smtp.port,
        inboxes=[{"name": "general", "username": user, "idle": False}],
    )
    proc = subprocess.Popen(service_cmd(path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    store = Store(load_config(path).database)
    assert store.one("SELECT COUNT(*) FROM outbox WHERE status='sending'")[0] == 0
    store.close()


def test_dovecot_stopped_mid_cycle_and_back(tmp_path, smtp, users):
    # The IMAP server going away mid-fetch loses nothing; the next cycle finishes the job.
    server = Dovecot().start()
    try:
        (user,) = users("dropped")
        server.append(user, generate(150, 11))
        path = write_config(
            tmp_path,
            imap_port=server.port,
            smtp_port=smtp.port,
            inboxes=[{"name": "general", "username": user, "batch_size": 5, "idle": False}],
        )
        service = Service(load_config(path))
        stopper = threading.Timer(0.15, server.stop)
        stopper.start()
        first = service.run_cycle()
        stopper.join()
        stored_after_drop = service.store.one("SELECT COUNT(*) FROM messages")[0]
        server.start()
        service.backoff.succeeded("general")
        second = service.run_cycle()
        assert second.ok, second.errors
        assert service.store.one("SELECT COUNT(*) FROM messages")[0] == 150
        assert first.errors or stored_after_drop == 150
        service.close()
        check_invariants(load_config(path).database, smtp, expected_messages=150)
    finally:
        server.cleanup()


def test_locked_database_waits_then_continues(tmp_path, dovecot, smtp, users):
    # A staff tool holding the write lock makes the service wait, not fail or half-write.
    (user,) = users("locked")
    dovecot.append(user, generate(10, 5))
    path = write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=smtp.port,
        inboxes=[{"name": "general", "username": user, "idle": False}],
    )
    config = load_config(path)
    service = Service(config)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sqlite3,sys,time\n"
                f"c=sqlite3.connect({str(config.database)!r}, isolation_level=None)\n"
                "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); time.sleep(2.5)\n"
                "c.execute('COMMIT')\n"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    started = time.monotonic()
    report = service.run_cycle()
    waited = time.monotonic() - started
    holder.wait()
    assert report.ok, report.errors
    assert waited >= 2.0
    assert service.store.one("SELECT COUNT(*) FROM messages WHERE status='processed'")[0] == 10


def test_lock_held_too_long_fails_loudly_without_half_writes(tmp_path):
    # Past the busy timeout the write fails with a clear error and leaves nothing behind.
    db = tmp_path / "db.sqlite3"
    store = Store(db, busy_timeout_ms=300)
    store.migrate()
    other = sqlite3.connect(str(db), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        store.store_delivery(
            inbox="general",
            folder="INBOX",
            uidvalidity=1,
            uid=1,
            raw=b"From: a@b.c\r\nSubject: x\r\n\r\nhi",
            internal_date=None,
        )
    other.execute("ROLLBACK")
    assert store.one("SELECT COUNT(*) FROM messages")[0] == 0
    assert store.one("SELECT COUNT(*) FROM checkpoints")[0] == 0


def test_disk_full_fails_loudly_and_resumes(tmp_path, dovecot, smtp, users):
    # A full disk (SQLite max_page_count) ends the cycle with one clear error; nothing is
    # half-written, and once there is room the next cycle stores everything.
    (user,) = users("diskfull")
    dovecot.append(user, generate(30, 9))
    path = write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=smtp.port,
        inboxes=[{"name": "general", "username": user, "idle": False}],
    )
    service = Service(load_config(path))
    pages = service.store.one("PRAGMA page_count")[0]
    service.store.conn.execute(f"PRAGMA max_page_count = {pages + 20}")
    report = service.run_cycle()
    assert report.errors and "cannot be written" in report.errors[0]
    stored = service.store.one("SELECT COUNT(*) FROM messages")[0]
    assert stored < 30
    assert service.store.one("SELECT COUNT(*) FROM deliveries")[0] == stored
    cp = service.store.one("SELECT last_uid FROM checkpoints")
    assert cp is None or cp[0] == stored
    service.store.conn.execute("PRAGMA max_page_count = 1073741823")
    report = service.run_cycle()
    assert report.ok, report.errors
    assert service.store.one("SELECT COUNT(*) FROM messages WHERE status='processed'")[0] == 30
