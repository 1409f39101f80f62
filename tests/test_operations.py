"""Operating intake (issue 19): `intake config check` against real servers, and
`intake backup` / `intake restore` while the service processes mail."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from click.testing import CliRunner

from intake.cli import main
from intake.config import load_config
from intake.demo import DEMO_PASSWORD, DEMO_USER, _start_pymap
from intake.smtp_sink import free_port
from tests.conftest import ROOT, write_config
from tests.mailgen import generate


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


# -- intake config check ----------------------------------------------------------------------


def test_config_check_reaches_every_server_and_passes(tmp_path, dovecot, smtp, users):
    # every check ok against a real Dovecot and SMTP server: exit 0, one line per check
    a, b = users("checka", "checkb")
    dovecot.append(a, [])
    path = write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=smtp.port,
        inboxes=[{"name": "general", "username": a}, {"name": "lcc", "username": b}],
        extra='[web]\nbase_url = "https://desk.example.org"\n',  # else a warning: notices without links
    )
    code, out = _cli("--config", str(path), "config", "check")
    assert code == 0, out
    lines = out.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["ok"] * len(lines)
    assert any(line.startswith("ok   imap general") for line in lines)
    assert any(line.startswith("ok   imap lcc") for line in lines)
    assert any(line.startswith("ok   smtp") and "EHLO ok" in line for line in lines)
    assert len(smtp.received) == 0  # nothing is sent by a check


def test_config_check_fails_naming_the_inbox_and_the_server(tmp_path, dovecot, smtp, users, monkeypatch):
    # a wrong password and an unreachable SMTP server: one FAIL line each, exit 1
    (a,) = users("checkbad")
    monkeypatch.setenv("WRONG_PASSWORD", "not-the-password")
    path = write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=free_port(),
        inboxes=[{"name": "general", "username": a, "password_env": "WRONG_PASSWORD"}],
    )
    code, out = _cli("--config", str(path), "config", "check", "--json")
    assert code == 1
    checks = {c["name"].split(" (")[0]: c for c in json.loads(out)}
    assert checks["config"]["ok"] and checks["rules"]["ok"]
    assert not checks["imap general"]["ok"] and "login failed" in checks["imap general"]["detail"]
    assert not checks["smtp"]["ok"] and "cannot connect" in checks["smtp"]["detail"]


def test_config_check_on_an_invalid_config_is_one_line_exit_2(tmp_path):
    # an invalid config: one FAIL line naming the key, exit 2
    path = tmp_path / "intake.toml"
    path.write_text('[service]\npoll_interval = "often"\n[[inbox]]\n')
    code, out = _cli("--config", str(path), "config", "check")
    assert code == 2
    assert out.startswith("FAIL config:") and "service.poll_interval" in out
    assert len(out.strip().splitlines()) == 1


def test_a_server_that_keeps_no_keywords_is_reported_and_never_flagged_in_vain(tmp_path, smtp, monkeypatch):
    # pymap announces no \\* in PERMANENTFLAGS (as Exchange Online): config check fails for
    # on_handled = "flag" and passes for "move"
    port = free_port()
    pymap = _start_pymap(port)
    monkeypatch.setenv("PYMAP_PASSWORD", DEMO_PASSWORD)
    try:
        flag = write_config(
            tmp_path,
            imap_port=port,
            smtp_port=smtp.port,
            inboxes=[{"name": "general", "username": DEMO_USER, "password_env": "PYMAP_PASSWORD"}],
        )
        text = flag.read_text()
        code, out = _cli("--config", str(flag), "config", "check")
        assert code == 1
        assert "cannot keep the keyword $IntakeHandled" in out and 'on_handled = "move"' in out
        moved = tmp_path / "move.toml"
        moved.write_text(text.replace('on_handled = "flag"', 'on_handled = "move"'))
        code, out = _cli("--config", str(moved), "config", "check")
        assert code == 0, out
        # the service says so at start (before any mail is there to file), and keeps running
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "run_service.py"), "--config", str(flag)],
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            line = ""
            deadline = time.monotonic() + 30
            while "cannot keep the keyword" not in line and time.monotonic() < deadline:
                line = proc.stderr.readline()
            assert "cannot keep the keyword $IntakeHandled" in line and "WARNING" in line
            assert proc.poll() is None
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    finally:
        pymap.terminate()
        pymap.wait(timeout=10)


# -- intake backup / restore --------------------------------------------------------------------


def _service(path) -> subprocess.Popen:  # noqa: ANN001
    return subprocess.Popen(
        [sys.executable, str(ROOT / "run_service.py"), "--config", str(path), "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _count(db, sql: str) -> int:  # noqa: ANN001
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def test_backup_while_the_service_writes_is_consistent_and_restore_needs_it_stopped(
    tmp_path, dovecot, smtp, users
):
    # backups taken while the service stores and answers mail are each sound and complete;
    # restore is refused while the service runs and puts the copy back once it is stopped
    (user,) = users("backup")
    path = write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=smtp.port,
        inboxes=[{"name": "general", "username": user, "idle": True}],
    )
    database = load_config(path).database
    mails = generate(120, seed=19)
    proc = _service(path)
    stop = threading.Event()

    def deliver() -> None:  # mail keeps arriving in small batches while backups are taken
        for start in range(0, len(mails), 10):
            if stop.is_set():
                return
            dovecot.append(user, mails[start : start + 10])
            time.sleep(0.3)

    feeder = threading.Thread(target=deliver)
    feeder.start()
    backups = []
    try:
        deadline = time.monotonic() + 90
        done = False
        while not done and time.monotonic() < deadline:
            if database.exists() and _count(database, "SELECT COUNT(*) FROM sqlite_master") > 1:
                done = not feeder.is_alive() and _count(database, "SELECT COUNT(*) FROM messages") == 120
                target = tmp_path / f"backup-{len(backups)}.sqlite3"
                code, out = _cli("--config", str(path), "backup", str(target), "--json")
                assert code == 0, out
                backups.append((target, json.loads(out)))
            time.sleep(0.3)
        assert done
        # the service is still running: restore refuses, naming it, and changes nothing
        code, out = _cli("--config", str(path), "restore", str(backups[0][0]))
        assert code == 1 and "in use by another intake service" in out and f"pid {proc.pid}" in out
    finally:
        stop.set()
        feeder.join(timeout=60)
        proc.terminate()
        proc.wait(timeout=30)
    counts = []
    for target, reported in backups:
        assert target.stat().st_mode & 0o777 == 0o600
        assert not target.with_name(target.name + "-wal").exists()  # one self-contained file
        conn = sqlite3.connect(target)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
            messages = conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
            # every stored message has its delivery and its raw bytes: one snapshot, not two
            assert conn.execute("SELECT COUNT(DISTINCT message_pk) FROM deliveries").fetchone()[0] == messages
            assert conn.execute("SELECT COUNT(*) FROM message_raw").fetchone()[0] == messages
        finally:
            conn.close()
        assert reported["messages"] == messages
        counts.append(messages)
    assert counts == sorted(counts) and counts[-1] == 120
    assert any(0 < n < 120 for n in counts), counts  # some were taken while mail was arriving
    final = _count(database, "SELECT COUNT(*) FROM messages")
    assert final == 120
    # stopped: the earliest backup goes back, the replaced database is kept beside it
    code, out = _cli("--config", str(path), "restore", str(backups[0][0]))
    assert code == 0, out
    assert _count(database, "SELECT COUNT(*) FROM messages") == counts[0]
    kept = [
        p for p in tmp_path.glob("intake.sqlite3.before-restore-*") if not p.name.endswith(("-wal", "-shm"))
    ]
    assert len(kept) == 1 and _count(kept[0], "SELECT COUNT(*) FROM messages") == final
    # the restored database runs: the service fetches again what the backup had not seen
    again = subprocess.run(
        [sys.executable, str(ROOT / "run_service.py"), "--config", str(path), "-q", "--once"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    assert _count(database, "SELECT COUNT(*) FROM messages") == final


def test_backup_refuses_to_overwrite_and_restore_refuses_a_non_database(tmp_path):
    # clear one-line refusals: an existing target, a file that is not an intake database
    path = write_config(tmp_path, imap_port=1, smtp_port=1, inboxes=[{"name": "general", "username": "u"}])
    code, _ = _cli("--config", str(path), "status")  # creates and migrates the database
    target = tmp_path / "b.sqlite3"
    assert _cli("--config", str(path), "backup", str(target))[0] == 0
    code, out = _cli("--config", str(path), "backup", str(target))
    assert code == 1 and "exists" in out
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    code, out = _cli("--config", str(path), "restore", str(junk))
    assert code == 1 and "not a usable database" in out and len(out.strip().splitlines()) == 1


def test_intake_run_on_an_unusable_database_exits_3_with_one_line(tmp_path):
    # `intake run` (what the systemd unit starts) exits 3 on a file that is not a database,
    # the code the unit's RestartPreventExitStatus keeps from restarting
    path = write_config(tmp_path, imap_port=1, smtp_port=1, inboxes=[{"name": "general", "username": "u"}])
    load_config(path).database.write_bytes(b"garbage" * 200)
    result = subprocess.run(
        [str(Path(sys.executable).with_name("intake")), "--config", str(path), "run", "--once"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3
    assert "is damaged or not a database" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_handled_mail_is_moved_on_a_server_without_move_or_uidplus(tmp_path, smtp):
    # a server announcing neither MOVE nor UIDPLUS: handled mail is copied, marked \Deleted
    # and expunged, so it ends up in move_to (Handled) and nowhere else
    from tests.dovecot import Dovecot

    server = Dovecot(capabilities="IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+").start()
    try:
        user = "nomove@test.example"
        mails = generate(3, seed=7)
        server.append(user, mails)
        path = write_config(
            tmp_path,
            imap_port=server.port,
            smtp_port=smtp.port,
            inboxes=[
                {
                    "name": "general",
                    "username": user,
                    "on_handled": "move",
                    "move_to": "Handled",
                    "idle": False,
                }
            ],
        )
        client = server.client(user)
        caps = set(client.capabilities())
        assert b"MOVE" not in caps and b"UIDPLUS" not in caps
        client.logout()
        result = subprocess.run(
            [sys.executable, str(ROOT / "run_service.py"), "--config", str(path), "-q", "--once"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        client = server.client(user)
        assert client.select_folder("INBOX")[b"EXISTS"] == 0
        assert client.select_folder("Handled")[b"EXISTS"] == 3
        client.logout()
    finally:
        server.cleanup()
