"""The spine, part 1, against a real Dovecot: incremental, safe polling into SQLite."""

from __future__ import annotations

import os

import pytest
from imapclient import IMAPClient

from intake import mailbox, queries
from intake.config import load_config
from intake.service import Service
from intake.store import Store
from tests.conftest import corpus_files, deliver_corpus, write_config
from tests.dovecot import Dovecot

SIMPLE = (
    b"From: Ana <ana@stad.gent>\r\nTo: procurement@iclei.org\r\nSubject: Hello %d\r\n"
    b"Message-ID: <simple-%d@stad.gent>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n"
    b"We would like to join the ICT group.\r\n"
)


def simple(n: int) -> bytes:
    return SIMPLE % (n, n)


def test_first_poll_stores_all_mail_from_two_inboxes(corpus_setup, dovecot):
    # Every dev-corpus message delivered to Dovecot is stored exactly once and listed.
    delivered = deliver_corpus(dovecot, corpus_setup["general"], corpus_setup["lcc"])
    service = Service(corpus_setup["config"])
    report = service.run_cycle()
    assert report.ok, report.errors
    total = len(delivered["general"]) + len(delivered["lcc"])
    assert report.fetched == total
    assert service.store.one("SELECT COUNT(*) FROM messages")[0] == len(corpus_files())
    assert service.store.one("SELECT COUNT(*) FROM deliveries")[0] == total
    listed = queries.list_requests(service.store)
    listed_ids = {mid for r in listed for mid in r["message_ids"]}
    stored_ids = {r[0] for r in service.store.query("SELECT message_id FROM messages")}
    assert stored_ids <= listed_ids
    assert len(listed) == len(corpus_files())  # dev mail answers no stored message
    for row in listed:
        assert row["received_at"].endswith("Z")
        assert set(row["inbox"]) <= {"general", "lcc"} and row["inbox"]


def test_second_poll_sends_no_fetch(corpus_setup, dovecot, monkeypatch):
    # A poll with nothing new checks STATUS only: no FETCH of bodies is sent.
    dovecot.append(corpus_setup["general"], [simple(1), simple(2)])
    service = Service(corpus_setup["config"])
    assert service.run_cycle().fetched == 2
    calls = []
    original = IMAPClient.fetch

    def counting_fetch(self, *args, **kwargs):
        calls.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(IMAPClient, "fetch", counting_fetch)
    report = service.run_cycle()
    assert report.fetched == 0 and report.new == 0
    assert calls == []
    dovecot.append(corpus_setup["general"], [simple(3)])
    assert service.run_cycle().fetched == 1
    assert len(calls) == 1
    assert service.store.one("SELECT COUNT(*) FROM messages")[0] == 3


def test_cc_duplicate_becomes_one_request_with_two_deliveries(corpus_setup, dovecot):
    # The same message To procurement@ and Cc the facilitator is one request, two deliveries.
    raw = (
        b"From: Lena <lena@skane.se>\r\nTo: procurement@iclei.org\r\n"
        b"Cc: philipp.tepper@iclei.org\r\nSubject: Join LCC\r\n"
        b"Message-ID: <dup-1@skane.se>\r\n\r\nWe want to join the LCC group.\r\n"
    )
    dovecot.append(corpus_setup["general"], [b"Received: from a by b; x\r\n" + raw])
    dovecot.append(corpus_setup["lcc"], [b"Received: from c by d; y\r\n" + raw])
    service = Service(corpus_setup["config"])
    service.run_cycle()
    rows = queries.list_requests(service.store)
    assert len(rows) == 1
    assert sorted(rows[0]["inbox"]) == ["general", "lcc"]
    assert service.store.one("SELECT COUNT(*) FROM deliveries")[0] == 2


def test_uidvalidity_change_rescans_without_duplicates(corpus_setup, dovecot):
    # Recreating the folder changes UIDVALIDITY; known messages are not stored twice.
    user = corpus_setup["general"]
    dovecot.append(user, [simple(10), simple(11)], folder="Work")
    config_path = write_config(
        corpus_setup["config_path"].parent,
        imap_port=dovecot.port,
        smtp_port=1,
        inboxes=[{"name": "general", "username": user, "folder": "Work"}],
    )
    store = Store(load_config(config_path).database)
    store.migrate()
    inbox = load_config(config_path).inboxes[0]
    client = mailbox.connect(inbox)
    first = mailbox.poll(client, inbox, store)
    old_validity = store.checkpoint("general", "Work")["uidvalidity"]
    client.logout()
    admin = dovecot.client(user)
    admin.delete_folder("Work")
    admin.create_folder("Work")
    admin.logout()
    dovecot.append(user, [simple(10), simple(11), simple(12)], folder="Work")
    client = mailbox.connect(inbox)
    second = mailbox.poll(client, inbox, store)
    client.logout()
    assert first.new == 2
    assert second.fetched == 3 and second.new == 1
    assert store.checkpoint("general", "Work")["uidvalidity"] != old_validity
    assert store.one("SELECT COUNT(*) FROM messages")[0] == 3
    assert store.one("SELECT COUNT(*) FROM events WHERE kind='uidvalidity_changed'")[0] == 1


def test_flag_action_and_nothing_marked_seen(corpus_setup, dovecot):
    # Handled mail gets the keyword; reading never sets \Seen.
    user = corpus_setup["general"]
    dovecot.append(user, [simple(20), simple(21)])
    Service(corpus_setup["config"]).run_cycle()
    c = dovecot.client(user)
    c.select_folder("INBOX")
    flags = c.get_flags(c.search("ALL"))
    c.logout()
    assert len(flags) == 2
    for values in flags.values():
        assert b"$IntakeHandled" in values
        assert b"\\Seen" not in values


def test_move_action_moves_handled_mail(tmp_path, dovecot, smtp, users):
    # on_handled = "move" moves each handled message to the target folder.
    (user,) = users("mover")
    dovecot.append(user, [simple(30), simple(31)])
    path = write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=smtp.port,
        inboxes=[{"name": "general", "username": user, "on_handled": "move", "move_to": "Done"}],
    )
    report = Service(load_config(path)).run_cycle()
    assert report.filed == 2
    c = dovecot.client(user)
    inbox = c.select_folder("INBOX")[b"EXISTS"]
    done = c.select_folder("Done")[b"EXISTS"]
    c.logout()
    assert (inbox, done) == (0, 2)


def test_server_down_at_start_then_back(tmp_path, smtp, users, caplog):
    # An unreachable server is one log line and a retry later; nothing crashes.
    server = Dovecot()
    (user,) = users("late")
    path = write_config(
        tmp_path, imap_port=server.port, smtp_port=smtp.port, inboxes=[{"name": "general", "username": user}]
    )
    service = Service(load_config(path))
    report = service.run_cycle()
    assert not report.ok
    assert "cannot connect" in report.errors[0] and "general" in report.errors[0]
    assert "Traceback" not in caplog.text
    try:
        server.start()
        server.append(user, [simple(40)])
        service.backoff.succeeded("general")  # skip the backoff wait in the test
        report = service.run_cycle()
        assert report.ok and report.new == 1
    finally:
        server.cleanup()


def test_backoff_skips_failing_inbox_but_others_go_on(tmp_path, dovecot, smtp, users):
    # A failing inbox is retried with growing gaps; a healthy one is polled every cycle.
    (good,) = users("good")
    dovecot.append(good, [simple(50)])
    path = write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=smtp.port,
        inboxes=[{"name": "good", "username": good}, {"name": "bad", "username": good, "port": 1}],
    )
    service = Service(load_config(path))
    tries = []
    for _ in range(4):
        report = service.run_cycle()
        tries.append(len(report.errors))
    assert service.store.one("SELECT COUNT(*) FROM messages")[0] == 1
    assert tries[0] == 1 and sum(tries) < 4  # backed off at least one cycle


def test_wrong_password_is_one_clear_error(tmp_path, dovecot, smtp, users, monkeypatch):
    # A failed login names the inbox and the user, without the password.
    (user,) = users("wrongpw")
    monkeypatch.setenv("WRONG_PW", "not-the-password")
    path = write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=smtp.port,
        inboxes=[{"name": "general", "username": user, "password_env": "WRONG_PW"}],
    )
    report = Service(load_config(path)).run_cycle()
    assert len(report.errors) == 1
    assert "login failed" in report.errors[0] and user in report.errors[0]
    assert "not-the-password" not in report.errors[0]


def test_batches_larger_mailbox(tmp_path, dovecot, smtp, users):
    # Fetching happens in batches of batch_size; all messages arrive.
    (user,) = users("batch")
    dovecot.append(user, [simple(100 + i) for i in range(25)])
    path = write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=smtp.port,
        inboxes=[{"name": "general", "username": user, "batch_size": 7}],
    )
    report = Service(load_config(path)).run_cycle()
    assert report.fetched == 25


def test_stopping_mid_import_stores_what_it_has_and_resumes(tmp_path, dovecot, smtp, users):
    # A service told to stop during a large import stops between two batches; the
    # checkpoint stays at the last stored message, and the next start fetches the rest.
    (user,) = users("stopping")
    dovecot.append(user, [simple(300 + i) for i in range(25)])
    path = write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=smtp.port,
        inboxes=[{"name": "general", "username": user, "batch_size": 10}],
    )
    config = load_config(path)
    store = Store(config.database)
    store.migrate()
    asked = []
    client = mailbox.connect(config.inboxes[0])
    first = mailbox.poll(client, config.inboxes[0], store, stop=lambda: asked.append(1) or len(asked) > 1)
    mailbox.close(client)
    assert first.stopped and first.fetched == 10
    assert store.checkpoint("general", "INBOX")["last_uid"] == 10
    client = mailbox.connect(config.inboxes[0])
    second = mailbox.poll(client, config.inboxes[0], store)
    mailbox.close(client)
    assert not second.stopped and second.fetched == 15
    assert store.one("SELECT COUNT(*) FROM messages")[0] == 25
    store.close()


@pytest.mark.parametrize("name", ["0024.eml", "0050.eml", "0062.eml", "0067.eml"])
def test_oddly_encoded_corpus_mail_is_stored_and_parsed(corpus_setup, dovecot, name):
    # MIME variety from the corpus (image-only HTML, rfc822 attachment, RFC 2231 names).
    from tests.conftest import DEV

    dovecot.append(corpus_setup["general"], [(DEV / name).read_bytes()])
    service = Service(corpus_setup["config"])
    service.run_cycle()
    row = service.store.one("SELECT status, subject, body_text FROM messages")
    assert row["status"] == "processed"
    assert row["subject"] and "\n" not in row["subject"]
    assert row["body_text"]


def test_unparseable_mail_is_kept_and_triaged(corpus_setup, dovecot, monkeypatch):
    # A message over the size limit is stored, not parsed, and put in triage with the reason.
    big = simple(60) + b"x" * 5000
    dovecot.append(corpus_setup["general"], [big, simple(61)])
    config = corpus_setup["config"]
    from dataclasses import replace

    config = replace(config, limits=replace(config.limits, max_message_bytes=4000))
    service = Service(config)
    service.run_cycle()
    rows = {r["subject"]: r for r in queries.list_requests(service.store)}
    assert rows["Hello 60"]["status"] == "triage"
    assert "too large" in rows["Hello 60"]["triage_reason"]
    assert rows["Hello 61"]["status"] != "triage" or "too large" not in (
        rows["Hello 61"]["triage_reason"] or ""
    )
    assert os.path.exists(config.database)
