"""Issue 15, "nothing sent twice, nothing failing in silence": an operator's bad day, each
scenario through the real parts (Dovecot, an SMTP server on loopback, a SQLite file, the
`intake` command and run_service.py)."""

from __future__ import annotations

import json
import random
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from intake import members, outbox, pipeline
from intake.cli import main
from intake.config import load_config
from intake.service import Service
from intake.store import Store
from tests.conftest import ROOT, ROSTER, corpus_files, service_with_stored, write_config

HEADER = "organisation,country,membership,domains,contact_emails\n"


@pytest.fixture
def cli(tmp_path):
    """`intake` on a fresh database holding the corpus roster: run(*args, code=0) -> output."""
    path = write_config(tmp_path, imap_port=1, smtp_port=1, inboxes=[{"name": "general", "username": "u"}])
    store = Store(load_config(path).database)
    store.migrate()
    members.import_file(store, ROSTER, "test")
    store.close()
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(main, ["--config", str(path), *args])
        assert result.exit_code == code, result.output
        assert "Traceback" not in result.output
        return result.output

    return run


def _roster_names(run) -> list[str]:  # noqa: ANN001
    return [r["organisation"] for r in json.loads(run("members", "list", "--json"))]


# -- 8. the roster import never destroys silently ---------------------------------------------


def test_header_only_roster_is_refused_unless_allow_empty(cli, tmp_path):
    # A header-only CSV would remove every organisation: refused, one line, roster intact.
    empty = tmp_path / "empty.csv"
    empty.write_text(HEADER, encoding="utf-8")
    before = _roster_names(cli)
    assert len(before) == 45
    out = cli("members", "import", str(empty), code=1)
    assert "remove all 45" in out and "--allow-empty" in out and len(out.strip().splitlines()) == 1
    cli("members", "import", str(empty), "--dry-run", code=1)
    assert _roster_names(cli) == before
    assert "45 removed" in cli("members", "import", str(empty), "--allow-empty")
    assert _roster_names(cli) == []


@pytest.mark.parametrize(
    "claim, words",
    [
        ("Stad Gent Two,BE,participant,other.be;stad.gent,", "domain 'stad.gent'"),
        ("Stad Gent Two,BE,participant,,aankoopbeleid@stad.gent", "contact 'aankoopbeleid@stad.gent'"),
    ],
)
def test_a_domain_or_contact_claimed_twice_is_refused_naming_both_lines(cli, tmp_path, claim, words):
    # A second organisation claiming Stad Gent's domain or contact is refused with both lines.
    lines = ROSTER.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "twice.csv"
    path.write_text("\n".join([*lines, claim]) + "\n", encoding="utf-8")
    out = cli("members", "import", str(path), code=1)
    assert words in out and "'Stad Gent' on line 2" in out and f"line {len(lines) + 1}" in out
    assert "Stad Gent Two" not in _roster_names(cli)


# -- 1. an ambiguous send is never repeated -------------------------------------------------------


def _join_mail(n: int, date: str = "") -> bytes:
    return (
        f"From: Ana <aankoopbeleid@stad.gent>\r\nTo: procurement@iclei.org\r\n"
        f"Subject: Join the ICT group {n}\r\nMessage-ID: <rel-{n}@stad.gent>\r\n"
        + (f"Date: {date}\r\n" if date else "")
        + "\r\n"
        "We would like to join the Interest Group on socially responsible ICT"
        " procurement.\r\n"
    ).encode()


def _service(tmp_path, dovecot, smtp, user: str, *, extra: str = "", **inbox) -> Service:  # noqa: ANN001
    path = write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=smtp.port,
        inboxes=[{"name": "general", "username": user, "idle": False, **inbox}],
        extra=extra,
    )
    service = Service(load_config(path))
    members.import_file(service.store, ROSTER, "test")
    return service


def _smtp_timeout(seconds: float) -> str:
    return f"\n[smtp]\ntimeout = {seconds}\n"


@pytest.mark.parametrize("misbehaviour", ["drop", 2.0])
def test_a_send_that_may_have_gone_out_is_uncertain_and_never_repeated(
    tmp_path, dovecot, smtp, users, misbehaviour
):
    # The relay takes DATA, then drops the connection or answers after smtp.timeout: the row
    # is `uncertain`, its request in triage, and however many cycles follow, one copy went out.
    (user,) = users("ambiguous")
    dovecot.append(user, [_join_mail(1)])
    service = _service(tmp_path, dovecot, smtp, user)
    service.config = replace(service.config, smtp=replace(service.config.smtp, timeout=0.5))
    smtp.misbehave(misbehaviour)
    report = service.run_cycle()
    assert not report.ok
    for _ in range(3):
        service.run_cycle()
    assert len(smtp.to("aankoopbeleid@stad.gent")) == 1
    row = service.store.one("SELECT status, last_error, request_id FROM outbox WHERE kind='ack'")
    assert row is not None
    assert row["status"] == "uncertain"
    assert ("timeout" if misbehaviour != "drop" else "connection was lost") in row["last_error"]
    request = service.store.one("SELECT status, triage_reason FROM requests WHERE id=?", (row["request_id"],))
    assert request["status"] == "triage" and "may not have been sent" in request["triage_reason"]
    sent = [
        json.loads(r[0])["outbox_id"]
        for r in service.store.query(
            "SELECT detail FROM events WHERE kind IN ('send_uncertain', 'reply_sent')"
        )
    ]
    assert sorted(sent) == sorted(r[0] for r in service.store.query("SELECT id FROM outbox"))
    assert len(smtp.received) == len(sent)  # every row tried once, none twice
    service.close()


def test_a_refusal_before_data_is_still_retried(tmp_path, dovecot, smtp, users):
    # A 4xx answer means the relay has nothing: the row stays queued and goes out later, once.
    (user,) = users("refused")
    dovecot.append(user, [_join_mail(2)])
    service = _service(tmp_path, dovecot, smtp, user)
    smtp.refuse("451 4.3.0 try later")
    service.run_cycle()
    assert service.store.one("SELECT status FROM outbox WHERE kind='ack'")[0] == "queued"
    smtp.refuse(None)
    service.run_cycle()
    assert service.store.one("SELECT status FROM outbox WHERE kind='ack'")[0] == "sent"
    assert len(smtp.to("aankoopbeleid@stad.gent")) == 1
    service.close()


def test_a_slow_relay_does_not_hold_up_new_mail(tmp_path, dovecot, smtp, users):
    # While the relay takes seconds over its final reply, the next mail is stored and decided.
    (user,) = users("slowrelay")
    service = _service(tmp_path, dovecot, smtp, user, extra="")
    smtp.misbehave(4.0)  # under the client's 5 s timeout: the first stays `sending` meanwhile
    thread = threading.Thread(
        target=service.run_forever, kwargs={"signals": False, "idle": False}, daemon=True
    )
    thread.start()
    try:
        dovecot.append(user, [_join_mail(3)])
        assert _wait(lambda: len(smtp.received) == 1, 60), "the first mail never reached the relay"
        dovecot.append(user, [_join_mail(4).replace(b"aankoopbeleid@", b"lotte.verbeke@")])
        decided = _wait(
            lambda: service.store.one(
                "SELECT COUNT(*) FROM requests WHERE requester_email='lotte.verbeke@stad.gent'"
            )[0],
            2.5,
        )
        assert decided, "the second mail waited for the relay"
        assert (
            Store(service.config.database).one(
                "SELECT status FROM outbox WHERE recipient='aankoopbeleid@stad.gent'"
            )[0]
            == "sending"
        )
    finally:
        service.stop()
        thread.join(timeout=20)
    service.close()


def _wait(predicate, timeout: float) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


# -- 6. one service per database ------------------------------------------------------------------


def _service_cmd(config_path, *more: str) -> list[str]:  # noqa: ANN001
    return [sys.executable, str(ROOT / "run_service.py"), "--config", str(config_path), "-q", *more]


def test_a_second_service_on_the_same_database_refuses_naming_the_first(tmp_path, dovecot, smtp, users):
    # A second service on one database exits at once with one line naming the running one.
    (user,) = users("twice")
    path = write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=smtp.port,
        inboxes=[{"name": "general", "username": user, "idle": False}],
    )
    first = subprocess.Popen(_service_cmd(path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        lock = load_config(path).database.with_name("intake.sqlite3.lock")
        assert _wait(lambda: lock.exists() and f"pid {first.pid}" in lock.read_text(), 60)
        second = subprocess.run(_service_cmd(path), capture_output=True, text=True, timeout=20)
        assert second.returncode != 0
        assert f"pid {first.pid}" in second.stderr and "in use by another intake service" in second.stderr
        assert len(second.stderr.strip().splitlines()) == 1 and "Traceback" not in second.stderr
        assert first.poll() is None
    finally:
        first.terminate()
        first.wait(timeout=30)
    # once the first has stopped, a service starts again (no stale lock)
    again = subprocess.run(_service_cmd(path, "--once"), capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr


def test_an_outcome_is_never_written_over_another_process_s(tmp_path, dovecot, smtp, users):
    # A row marked `uncertain` by another process while this one waits for the relay stays
    # `uncertain`: the late 250 is recorded in the audit trail, not written over it.
    (user,) = users("overlap")
    dovecot.append(user, [_join_mail(5)])
    service = _service(tmp_path, dovecot, smtp, user)
    smtp.misbehave(4.0)
    cycle = threading.Thread(target=service.run_cycle, daemon=True)
    cycle.start()
    assert _wait(lambda: len(smtp.received) == 1, 60)
    other = Store(service.config.database)  # what an overlapping start did to rows in flight
    assert outbox.recover_interrupted(other) == 1
    other.close()
    cycle.join(timeout=20)
    rows = dict(service.store.query("SELECT kind, status FROM outbox"))
    assert rows["ack"] == "uncertain"
    conflict = service.store.one("SELECT detail FROM events WHERE kind='send_outcome_conflict'")
    assert conflict is not None and "250" in json.loads(conflict[0])["outcome"]
    service.close()


# -- 3. a lost or empty database never answers everything again ----------------------------------


def _config(tmp_path, dovecot, smtp, user: str, **inbox) -> Path:  # noqa: ANN001
    return write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=smtp.port,
        inboxes=[{"name": "general", "username": user, "idle": False, **inbox}],
    )


def _run_once(config_path) -> subprocess.CompletedProcess:  # noqa: ANN001
    return subprocess.run(_service_cmd(config_path, "--once"), capture_output=True, text=True, timeout=120)


def _one_clear_line(stderr: str, *words: str) -> None:
    assert "Traceback" not in stderr, stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    for word in words:
        assert word in stderr, stderr


def test_an_empty_or_foreign_database_file_is_refused(tmp_path, dovecot, smtp, users):
    # A 0-byte file (a failed restore), another program's SQLite file or no SQLite file at all:
    # the service and `intake` refuse with one line, and nothing is fetched or sent.
    (user,) = users("emptydb")
    dovecot.append(user, [_join_mail(6)])
    path = _config(tmp_path, dovecot, smtp, user)
    database = load_config(path).database
    other = sqlite3.connect(tmp_path / "other.sqlite3")
    other.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
    other.commit()
    other.close()
    for content, words in (
        (b"", "empty file (0 bytes)"),
        ((tmp_path / "other.sqlite3").read_bytes(), "not an intake database"),
        (b"PK\x03\x04 a zip file, say" * 300, "not a database"),
    ):
        database.write_bytes(content)
        run = _run_once(path)
        assert run.returncode == 3
        _one_clear_line(run.stderr, str(database), *words.split(" ("))
        cli = CliRunner().invoke(main, ["--config", str(path), "status"])
        assert cli.exit_code != 0 and words.split(" (")[0] in cli.output
        assert database.read_bytes() == content  # left as it was for the person to look at
    assert smtp.received == []


def test_mail_flagged_handled_on_the_server_is_never_answered_again(tmp_path, dovecot, smtp, users):
    # The database is lost and started anew: mail that carries $IntakeHandled is stored and
    # decided again, but nobody gets a second acknowledgement.
    (user,) = users("lostdb")
    dovecot.append(user, [_join_mail(7)])
    path = _config(tmp_path, dovecot, smtp, user)
    _roster(path)
    assert _run_once(path).returncode == 0
    assert len(smtp.to("aankoopbeleid@stad.gent")) == 1
    database = load_config(path).database
    for leftover in database.parent.glob(database.name + "*"):
        leftover.unlink()
    dovecot.append(user, [_join_mail(8).replace(b"aankoopbeleid@", b"lotte.verbeke@")])
    _roster(path)
    assert _run_once(path).returncode == 0
    assert len(smtp.to("aankoopbeleid@stad.gent")) == 1
    assert len(smtp.to("lotte.verbeke@stad.gent")) == 1  # new mail is still answered
    store = Store(database)
    assert store.one("SELECT COUNT(*) FROM messages")[0] == 2
    reason = str(store.event_rows("e.kind='reply_suppressed'")[0]["detail"])
    assert "already handled by intake before" in reason and "$IntakeHandled" in reason
    store.close()


def _roster(config_path) -> None:  # noqa: ANN001
    store = Store(load_config(config_path).database)
    store.migrate()
    members.import_file(store, ROSTER, "test")
    store.close()


# -- 7. old mail after a mailbox migration --------------------------------------------------------


def test_old_mail_is_not_answered_when_the_migration_lost_its_arrival_dates(tmp_path, dovecot, smtp, users):
    # Mail from 2019 copied into a new mailbox arrives "today" (INTERNALDATE); its Date header
    # still says 2019, and with skip_old_mail it is stored and decided but not answered.
    (user,) = users("migrated")
    old = _join_mail(9, date="Tue, 14 May 2019 09:12:00 +0200")
    new = _join_mail(10, date=format_datetime(datetime.now(UTC))).replace(
        b"aankoopbeleid@", b"lotte.verbeke@"
    )
    dovecot.append(user, [old, new])
    path = _config(tmp_path, dovecot, smtp, user)
    path.write_text(path.read_text().replace("skip_old_mail = false", "skip_old_mail = true"))
    _roster(path)
    assert _run_once(path).returncode == 0
    assert smtp.to("aankoopbeleid@stad.gent") == []
    assert len(smtp.to("lotte.verbeke@stad.gent")) == 1
    store = Store(load_config(path).database)
    internal = store.one("SELECT internal_date FROM messages WHERE message_id='rel-9@stad.gent'")[0]
    assert internal.startswith(str(datetime.now(UTC).year))  # the server says: arrived today
    reason = str(store.event_rows("e.kind='reply_suppressed'")[0]["detail"])
    assert "is dated 2019-05-14" in reason
    assert store.one("SELECT COUNT(*) FROM requests")[0] == 2
    store.close()


# -- 4. a damaged database says so, in one line, everywhere ---------------------------------------


def test_a_damaged_database_is_one_clear_line_everywhere(tmp_path, smtp):
    # 64 KB of garbage in the middle of the file: quick_check finds it at start; the service,
    # `intake status` and `intake requests list` each say so in one line, exit non-zero.
    service = service_with_stored(
        tmp_path / "svc", [p.read_bytes() for p in corpus_files()], smtp_port=smtp.port, roster=True
    )
    pipeline.process_pending(service.env)
    database = service.config.database
    config_path = database.parent / "intake.toml"
    service.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    service.close()
    size = database.stat().st_size
    assert size > 512 * 1024
    with database.open("r+b") as handle:
        handle.seek(size // 2 // 4096 * 4096)
        handle.write(random.Random(15).randbytes(64 * 1024))
    run = _run_once(config_path)
    assert run.returncode == 3
    _one_clear_line(run.stderr, str(database), "damaged", "restore")
    status = CliRunner().invoke(main, ["--config", str(config_path), "status", "--json"])
    assert status.exit_code == 1
    report = json.loads(status.output)
    assert any(p.startswith("database") and "damaged" in p for p in report["problems"])
    listing = subprocess.run(
        [sys.executable, "-m", "intake.cli", "--config", str(config_path), "requests", "list"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if listing.returncode != 0:  # reading may or may not touch the damaged pages
        _one_clear_line(listing.stderr, "database")
    assert "Traceback" not in listing.stderr


# -- 5. `intake status` fails for every condition that needs a person ----------------------------


def _status(config_path) -> tuple[int, dict]:  # noqa: ANN001
    result = CliRunner().invoke(main, ["--config", str(config_path), "status", "--json"])
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.output)


def _failing(report: dict) -> set[str]:
    return {name for name, verdict in report["checks"].items() if verdict != "ok"}


def test_status_is_ok_only_when_all_is_well_and_names_a_low_disk(tmp_path, dovecot, smtp, users):
    # Never polled: exit 1 naming the inbox; after a good cycle: exit 0, every check ok;
    # less free disk than service.min_free_disk_mb: exit 1 naming the disk.
    (user,) = users("statusok")
    dovecot.append(user, [_join_mail(11)])
    path = _config(tmp_path, dovecot, smtp, user)
    _roster(path)
    code, report = _status(path)
    assert code == 1 and _failing(report) == {"inbox"}
    assert report["problems"] == ["inbox: general never polled successfully (has the service run?)"]
    assert _run_once(path).returncode == 0
    code, report = _status(path)
    assert code == 0 and _failing(report) == set() and report["problems"] == []
    path.write_text(
        path.read_text().replace("poll_interval = 1", "poll_interval = 1\nmin_free_disk_mb = 1000000000")
    )
    code, report = _status(path)
    assert code == 1 and _failing(report) == {"disk"} and "MB free" in report["problems"][0]
    plain = CliRunner().invoke(main, ["--config", str(path), "status"])
    assert plain.exit_code == 1 and "needs a person: disk: only" in plain.output


@pytest.mark.parametrize("relay", ["refusing connections", "silent"])
def test_status_fails_while_smtp_is_down_or_timing_out_with_mail_queued(tmp_path, dovecot, users, relay):
    # No relay on the port, or one that never says hello: mail stays queued and status says so.
    (user,) = users("smtpdown")
    dovecot.append(user, [_join_mail(12)])
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        if relay == "silent":
            silent.listen(8)  # connections complete in the kernel; no greeting ever comes
        port = silent.getsockname()[1]
        path = write_config(
            tmp_path,
            imap_port=dovecot.port,
            smtp_port=port,
            inboxes=[{"name": "general", "username": user, "idle": False}],
        )
        path.write_text(path.read_text().replace("timeout = 5", "timeout = 0.5"))
        _roster(path)
        assert _run_once(path).returncode == 1
    code, report = _status(path)
    assert code == 1 and _failing(report) == {"smtp"}
    assert report["problems"][0].startswith("smtp: 2 mail(s) queued and not sent: SMTP 127.0.0.1")
    assert ("timed out" if relay == "silent" else "refused") in report["problems"][0]


def test_status_fails_for_a_row_stuck_in_sending(tmp_path, dovecot, smtp, users):
    # The service is killed while the relay holds a mail: the row stays `sending` and
    # status names it until the next start turns it `uncertain`.
    (user,) = users("stuck")
    dovecot.append(user, [_join_mail(13)])
    path = _config(tmp_path, dovecot, smtp, user)
    _roster(path)
    smtp.misbehave(30.0)
    proc = subprocess.Popen(_service_cmd(path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _wait(lambda: len(smtp.received) == 1, 60)
    finally:
        proc.kill()
        proc.wait()
    code, report = _status(path)
    assert code == 1 and _failing(report) == {"outbox"}
    assert "1 mail(s) stuck in `sending` since" in report["problems"][0]
    assert "no service running" in report["problems"][0]
