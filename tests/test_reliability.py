"""Issue 15, "nothing sent twice, nothing failing in silence": an operator's bad day, each
scenario through the real parts (Dovecot, an SMTP server on loopback, a SQLite file, the
`intake` command and run_service.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from dataclasses import replace

import pytest
from click.testing import CliRunner

from intake import members, outbox
from intake.cli import main
from intake.config import load_config
from intake.service import Service
from intake.store import Store
from tests.conftest import ROOT, ROSTER, write_config

HEADER = "organisation,country,membership,domains,contact_emails\n"


@pytest.fixture
def cli(tmp_path):
    """`intake` on a fresh database holding the corpus roster: run(*args, code=0) -> output."""
    path = write_config(tmp_path, imap_port=1, smtp_port=1,
                        inboxes=[{"name": "general", "username": "u"}])
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


@pytest.mark.parametrize("claim, words", [
    ("Stad Gent Two,BE,participant,other.be;stad.gent,", "domain 'stad.gent'"),
    ("Stad Gent Two,BE,participant,,aankoopbeleid@stad.gent", "contact 'aankoopbeleid@stad.gent'"),
])
def test_a_domain_or_contact_claimed_twice_is_refused_naming_both_lines(cli, tmp_path, claim,
                                                                         words):
    # A second organisation claiming Stad Gent's domain or contact is refused with both lines.
    lines = ROSTER.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "twice.csv"
    path.write_text("\n".join([*lines, claim]) + "\n", encoding="utf-8")
    out = cli("members", "import", str(path), code=1)
    assert words in out and "'Stad Gent' on line 2" in out and f"line {len(lines) + 1}" in out
    assert "Stad Gent Two" not in _roster_names(cli)


# -- 1. an ambiguous send is never repeated -------------------------------------------------------

def _join_mail(n: int, date: str = "") -> bytes:
    return (f"From: Ana <aankoopbeleid@stad.gent>\r\nTo: procurement@iclei.org\r\n"
            f"Subject: Join the ICT group {n}\r\nMessage-ID: <rel-{n}@stad.gent>\r\n"
            + (f"Date: {date}\r\n" if date else "") + "\r\n"
            "We would like to join the Interest Group on socially responsible ICT"
            " procurement.\r\n").encode()


def _service(tmp_path, dovecot, smtp, user: str, *, extra: str = "", **inbox) -> Service:  # noqa: ANN001
    path = write_config(tmp_path, imap_port=dovecot.port, smtp_port=smtp.port,
                        inboxes=[{"name": "general", "username": user, "idle": False, **inbox}],
                        extra=extra)
    service = Service(load_config(path))
    members.import_file(service.store, ROSTER, "test")
    return service


def _smtp_timeout(seconds: float) -> str:
    return f"\n[smtp]\ntimeout = {seconds}\n"


@pytest.mark.parametrize("misbehaviour", ["drop", 2.0])
def test_a_send_that_may_have_gone_out_is_uncertain_and_never_repeated(tmp_path, dovecot, smtp,
                                                                        users, misbehaviour):
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
    request = service.store.one("SELECT status, triage_reason FROM requests WHERE id=?",
                                (row["request_id"],))
    assert request["status"] == "triage" and "may not have been sent" in request["triage_reason"]
    sent = [json.loads(r[0])["outbox_id"] for r in service.store.query(
        "SELECT detail FROM events WHERE kind IN ('send_uncertain', 'reply_sent')")]
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
    smtp.misbehave(4.0)
    thread = threading.Thread(target=service.run_forever, kwargs={"signals": False, "idle": False},
                              daemon=True)
    thread.start()
    try:
        dovecot.append(user, [_join_mail(3)])
        assert _wait(lambda: len(smtp.received) == 1, 10), "the first mail never reached the relay"
        dovecot.append(user, [_join_mail(4).replace(b"aankoopbeleid@", b"lotte.verbeke@")])
        decided = _wait(lambda: service.store.one(
            "SELECT COUNT(*) FROM requests WHERE requester_email='lotte.verbeke@stad.gent'")[0], 2.5)
        assert decided, "the second mail waited for the relay"
        assert Store(service.config.database).one(
            "SELECT status FROM outbox WHERE recipient='aankoopbeleid@stad.gent'")[0] == "sending"
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


def test_a_second_service_on_the_same_database_refuses_naming_the_first(tmp_path, dovecot, smtp,
                                                                        users):
    # A second service on one database exits at once with one line naming the running one.
    (user,) = users("twice")
    path = write_config(tmp_path, imap_port=dovecot.port, smtp_port=smtp.port,
                        inboxes=[{"name": "general", "username": user, "idle": False}])
    first = subprocess.Popen(_service_cmd(path), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        lock = load_config(path).database.with_name("intake.sqlite3.lock")
        assert _wait(lambda: lock.exists() and f"pid {first.pid}" in lock.read_text(), 15)
        second = subprocess.run(_service_cmd(path), capture_output=True, text=True, timeout=20)
        assert second.returncode != 0
        assert f"pid {first.pid}" in second.stderr and "in use by another intake service" in \
            second.stderr
        assert len(second.stderr.strip().splitlines()) == 1 and "Traceback" not in second.stderr
        assert first.poll() is None
    finally:
        first.terminate()
        first.wait(timeout=30)
    # once the first has stopped, a service starts again (no stale lock)
    again = subprocess.run(_service_cmd(path, "--once"), capture_output=True, text=True,
                           timeout=60)
    assert again.returncode == 0, again.stderr


def test_an_outcome_is_never_written_over_another_process_s(tmp_path, dovecot, smtp, users):
    # A row marked `uncertain` by another process while this one waits for the relay stays
    # `uncertain`: the late 250 is recorded in the audit trail, not written over it.
    (user,) = users("overlap")
    dovecot.append(user, [_join_mail(5)])
    service = _service(tmp_path, dovecot, smtp, user)
    smtp.misbehave(1.5)
    cycle = threading.Thread(target=service.run_cycle, daemon=True)
    cycle.start()
    assert _wait(lambda: len(smtp.received) == 1, 10)
    other = Store(service.config.database)  # what an overlapping start did to rows in flight
    assert outbox.recover_interrupted(other) == 1
    other.close()
    cycle.join(timeout=20)
    rows = dict(service.store.query("SELECT kind, status FROM outbox"))
    assert rows["ack"] == "uncertain"
    conflict = service.store.one("SELECT detail FROM events WHERE kind='send_outcome_conflict'")
    assert conflict is not None and "250" in json.loads(conflict[0])["outcome"]
    service.close()
