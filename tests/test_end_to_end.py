"""The spine, part 2: the dev corpus through Dovecot, the pipeline and a real SMTP server."""

from __future__ import annotations

import csv
import email
import logging
from email.policy import default as default_policy

import pytest

from intake import members, outbox, pipeline, queries
from intake.service import Service
from tests.conftest import DEV, ROSTER, deliver_corpus

LABELS = {r["file"]: r for r in csv.DictReader((DEV / "labels.csv").open(encoding="utf-8"))}


@pytest.fixture
def corpus_run(corpus_setup, dovecot, smtp):
    deliver_corpus(dovecot, corpus_setup["general"], corpus_setup["lcc"])
    service = Service(corpus_setup["config"])
    members.import_file(service.store, ROSTER, "test")
    report = service.run_cycle()
    assert report.ok, report.errors
    by_mid = {}
    for name in LABELS:
        msg = email.message_from_bytes((DEV / name).read_bytes())
        by_mid[msg["Message-ID"].strip().strip("<>")] = name
    rows = {by_mid[r["message_id"]]: r for r in queries.list_requests(service.store)}
    return service, rows, smtp


def test_machine_mail_is_never_answered(corpus_run):
    # No auto-reply, bounce or list mail from the corpus gets anything back.
    service, rows, smtp = corpus_run
    for name, label in LABELS.items():
        if label["intent"] == "auto":
            row = rows[name]
            assert row["status"] == "ignored", name
            assert not row["acknowledged"] and not row["forwarded_to"], name
            sent = service.store.query("SELECT * FROM outbox WHERE request_id=?", (row["id"],))
            assert sent == [], name
    machine_senders = {
        rows[n]["sender_email"]
        for n, lab in LABELS.items()
        if lab["intent"] == "auto" and "system" in lab["sender_kind"]
    }
    for sender in machine_senders:
        assert not smtp.to(sender), sender


def test_every_outgoing_mail_is_marked_automatic_and_threaded(corpus_run):
    # Own Message-ID, In-Reply-To/References on acks, Auto-Submitted, loop header.
    service, rows, smtp = corpus_run
    assert smtp.received
    originals = {r["message_id"] for r in rows.values()}
    ids = set()
    for item in smtp.received:
        msg = item.message
        assert msg["Message-ID"] and msg["Message-ID"] not in ids
        ids.add(msg["Message-ID"])
        assert ".intake@iclei.org" in msg["Message-ID"]
        assert msg["Auto-Submitted"] in ("auto-replied", "auto-generated")
        assert msg["X-Intake-Loop"].startswith("IG-")
        assert item.mail_from == "procurement@iclei.org"
        if msg["Auto-Submitted"] == "auto-replied":
            assert msg["In-Reply-To"].strip().strip("<>") in originals
            assert msg["In-Reply-To"].strip() in msg["References"]


def test_member_join_is_acknowledged_and_forwarded_with_original(corpus_run):
    # A member's join request: ack to the sender, forward to the facilitator with the original.
    service, rows, smtp = corpus_run
    row = rows["0003.eml"]  # Capannori (exact match on a gmail contact) joins LCC, in Italian
    assert row["is_member"] and row["member_match"] == "exact"
    assert row["group"] == "lcc" and row["intent"] == "join"
    assert row["acknowledged"] and row["forwarded_to"] == ["philipp.tepper@iclei.org"]
    ack = [m.message for m in smtp.to(row["sender_email"])]
    assert len(ack) == 1 and ack[0]["Content-Language"] == "it"
    assert "Gentile" in ack[0].get_body().get_content() or "Buongiorno" in ack[0].get_body().get_content()
    forwards = [
        m.message for m in smtp.to("philipp.tepper@iclei.org") if f"[{row['token']}]" in m.message["Subject"]
    ]
    assert len(forwards) == 1
    fwd = forwards[0]
    assert fwd["Reply-To"] == row["sender_email"]
    parts = [p.get_content_type() for p in fwd.walk()]
    assert "message/rfc822" in parts
    attached = next(p for p in fwd.walk() if p.get_content_type() == "message/rfc822")
    inner = attached.get_payload()[0]
    assert inner["Message-ID"].strip("<>") == row["message_id"]
    summary = fwd.get_body(("plain",)).get_content()
    assert "Comune di Capannori" in summary and "Language:      it" in summary


def test_non_member_join_gets_kind_explanation_and_triage(corpus_run):
    # A company asking to join: the non-member template, triage, no forward.
    service, rows, smtp = corpus_run
    row = rows["0014.eml"]
    assert row["is_member"] is False and row["member_match"] == "none"
    assert row["triage_reason"] == "non-member" and not row["forwarded_to"]
    (ack,) = [m.message for m in smtp.to(row["sender_email"])]
    assert "Participants and Strategic Partners" in ack.get_body().get_content()


def test_lookalike_domains_never_match(corpus_run):
    # digitalservice-heidelberg.de, provincie-utrecht.nl, stad.gent.mailsecure.io: no match.
    service, rows, smtp = corpus_run
    for name in ("0061.eml", "0069.eml", "0052.eml"):
        assert rows[name]["member_match"] == "none", name
        assert rows[name]["is_member"] is False, name


def test_membership_matches_agree_with_labels(corpus_run):
    # Every sender's membership (machines included) agrees with the corpus labels.
    service, rows, smtp = corpus_run
    for name, label in LABELS.items():
        row = rows[name]
        expected = label["is_member_expected"] == "true"
        how = label["notes"].split(";")[0].removeprefix("match=").split("(")[0]
        if row["forwarded_by"]:
            continue  # judged on the original writer
        assert row["is_member"] == expected, name
        assert row["member_match"] == how, name


def test_proposal_notifies_staff_and_triages(corpus_run):
    # A new-group proposal: ack to the sender, notice to staff, triage.
    service, rows, smtp = corpus_run
    row = rows["0001.eml"]
    assert row["intent"] == "propose" and row["group"].startswith("new:")
    assert row["status"] == "triage" and row["triage_reason"] == "new group proposal"
    notices = [
        m.message for m in smtp.to("secretariat@iclei.org") if f"[{row['token']}]" in m.message["Subject"]
    ]
    assert len(notices) == 1
    assert "message/rfc822" in [p.get_content_type() for p in notices[0].walk()]


def test_second_cycle_sends_nothing_new(corpus_run):
    # Re-running the service on the same mailboxes sends nothing and stores nothing.
    service, rows, smtp = corpus_run
    before = len(smtp.received)
    report = service.run_cycle()
    assert (report.fetched, report.processed, report.sent) == (0, 0, 0)
    assert len(smtp.received) == before


def test_requests_list_has_the_decision_fields(corpus_run):
    # The JSON names operators rely on are all present.
    service, rows, smtp = corpus_run
    needed = {
        "id",
        "message_id",
        "inbox",
        "received_at",
        "sender_email",
        "sender_name",
        "subject",
        "status",
        "group",
        "intent",
        "language",
        "confidence",
        "organisation",
        "is_member",
        "member_match",
        "acknowledged",
        "forwarded_to",
        "triage_reason",
        "authenticated",
    }
    for row in rows.values():
        assert needed <= set(row)
        assert isinstance(row["inbox"], list) and isinstance(row["forwarded_to"], list)
        assert isinstance(row["acknowledged"], bool)


def decided_not_sent(corpus_setup, dovecot) -> Service:
    """A member's join request polled and decided, its two mails queued, nothing sent."""
    from intake import mailbox

    dovecot.append(corpus_setup["general"], [(DEV / "0002.eml").read_bytes()])
    service = Service(corpus_setup["config"])
    members.import_file(service.store, ROSTER, "test")
    inbox = corpus_setup["config"].inboxes[0]
    client = mailbox.connect(inbox)
    mailbox.poll(client, inbox, service.store)
    client.logout()
    pipeline.process_pending(service.env)
    return service


def test_kill_between_queueing_and_sending_sends_once(corpus_setup, dovecot, smtp):
    # Decisions queued, process "killed" before sending: a restart sends each mail once.
    first = decided_not_sent(corpus_setup, dovecot)
    queued = first.store.one("SELECT COUNT(*) FROM outbox WHERE status='queued'")[0]
    assert queued == 2  # ack + forward, not sent yet: the "kill" happens here
    first.close()
    second = Service(corpus_setup["config"])
    second.run_cycle()
    second.run_cycle()
    assert len(smtp.received) == 2
    assert len({r.message["Message-ID"] for r in smtp.received}) == 2


def test_crash_while_sending_is_not_resent(corpus_setup, dovecot, smtp):
    # A row left 'sending' by a crash becomes 'uncertain' and goes to triage, never resent.
    service = decided_not_sent(corpus_setup, dovecot)
    with service.store.transaction():
        service.store.conn.execute("UPDATE outbox SET status='sending' WHERE kind='ack'")
    service.close()
    restarted = Service(corpus_setup["config"])
    restarted.run_cycle()
    kinds = [r.message["Auto-Submitted"] for r in smtp.received]
    assert kinds == ["auto-generated"]  # only the forward went out
    row = restarted.store.one("SELECT status FROM outbox WHERE kind='ack'")
    assert row["status"] == "uncertain"
    (req,) = queries.triage_queue(restarted.store)
    assert "may not have been sent" in req["triage_reason"]


def test_smtp_down_then_4xx_then_accepting(corpus_setup, dovecot, smtp, caplog):
    # SMTP unreachable, then temporarily refusing: rows stay queued; later all go out once.
    # The outage is one line in the log, not one per queued mail.
    dovecot.append(corpus_setup["general"], [(DEV / "0002.eml").read_bytes()])
    config = corpus_setup["config"]
    from dataclasses import replace

    down = replace(config, smtp=replace(config.smtp, port=1))
    service = Service(down)
    members.import_file(service.store, ROSTER, "test")
    with caplog.at_level(logging.INFO):
        report = service.run_cycle()
    assert any("unreachable" in e for e in report.errors)
    assert service.store.one("SELECT COUNT(*) FROM outbox WHERE status='queued'")[0] == 2
    outage = [r for r in caplog.records if "unreachable" in r.getMessage() and r.levelno >= logging.WARNING]
    assert len(outage) == 1 and "2 mail(s) stay queued" in outage[0].getMessage()
    smtp.refuse("451 4.3.0 try again later")
    assert outbox.send_due(service.store, config.smtp).retry == 2
    smtp.refuse(None)
    sent = outbox.send_due(service.store, config.smtp)
    assert sent.sent == 2 and len(smtp.received) == 2
    assert outbox.send_due(service.store, config.smtp).sent == 0


def test_permanent_5xx_fails_row_and_triages(corpus_setup, dovecot, smtp):
    # A permanent refusal marks the row failed with the reason and puts the request in triage.
    dovecot.append(corpus_setup["general"], [(DEV / "0002.eml").read_bytes()])
    service = Service(corpus_setup["config"])
    members.import_file(service.store, ROSTER, "test")
    smtp.refuse("550 5.1.1 mailbox unknown")
    service.run_cycle()
    failed = service.store.query("SELECT * FROM outbox WHERE status='failed'")
    assert len(failed) == 2 and "550" in failed[0]["last_error"]
    (req,) = queries.triage_queue(service.store)
    assert "failed" in req["triage_reason"] and "550" in req["triage_reason"]


def test_bounce_of_our_ack_is_linked_to_the_request(corpus_setup, dovecot, smtp):
    # When our acknowledgement bounces, the bounce is linked to the request it answers.
    dovecot.append(corpus_setup["general"], [(DEV / "0014.eml").read_bytes()])
    service = Service(corpus_setup["config"])
    service.run_cycle()
    (ack,) = smtp.received
    bounce = (
        "From: MAILER-DAEMON@mx.example.net\r\nTo: procurement@iclei.org\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\n"
        "Message-ID: <bounce-1@mx.example.net>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nMailbox unknown.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        "Final-Recipient: rfc822; x@y\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {ack.message['Message-ID']}\r\nSubject: x\r\n\r\n--b--\r\n"
    ).encode()
    dovecot.append(corpus_setup["general"], [bounce])
    service.run_cycle()
    rows = queries.list_requests(service.store)
    original = next(r for r in rows if r["subject"].startswith("Membership request"))
    machine = next(r for r in rows if r["screening"] == "bounce")
    assert machine["linked_request"] == original["id"]
    assert machine["status"] == "ignored"
    assert len(smtp.received) == 1


def test_reply_to_our_ack_joins_the_request(corpus_setup, dovecot, smtp):
    # A human reply (In-Reply-To our ack) is a follow-up on the same request, not acked again.
    dovecot.append(corpus_setup["general"], [(DEV / "0025.eml").read_bytes()])
    service = Service(corpus_setup["config"])
    service.run_cycle()
    (ack,) = smtp.received
    reply = (
        f"From: Kadri Tamm <kadri.tamm@tartu.ee>\r\nTo: procurement@iclei.org\r\n"
        f"Subject: Re: {ack.message['Subject']}\r\nMessage-ID: <reply-1@tartu.ee>\r\n"
        f"In-Reply-To: {ack.message['Message-ID']}\r\n"
        f"References: {ack.message['Message-ID']}\r\n\r\nThanks, one more question?\r\n"
    )
    dovecot.append(corpus_setup["general"], [reply.encode()])
    service.run_cycle()
    rows = queries.list_requests(service.store)
    assert len(rows) == 1
    assert "reply-1@tartu.ee" in rows[0]["message_ids"]
    assert rows[0]["status"] == "triage"
    assert len(smtp.received) == 1


def test_old_mail_is_stored_but_not_answered(corpus_setup, dovecot, smtp):
    # First-run protection: mail older than old_mail_days is stored, decided, never answered.
    from dataclasses import replace

    config = corpus_setup["config"]
    config = replace(config, limits=replace(config.limits, skip_old_mail=True, old_mail_days=7))
    raw = (DEV / "0002.eml").read_bytes()  # dated January 2024
    c = dovecot.client(corpus_setup["general"])
    from datetime import datetime

    c.append("INBOX", raw, msg_time=datetime(2024, 1, 15, 9, 0))
    c.logout()
    service = Service(config)
    members.import_file(service.store, ROSTER, "test")
    service.run_cycle()
    assert smtp.received == []
    assert service.store.one("SELECT COUNT(*) FROM events WHERE kind='reply_suppressed'")[0] == 2


def test_per_sender_rate_limit(corpus_setup, dovecot, smtp):
    # At most N acknowledgements per sender per day; the rest are recorded as suppressed.
    from dataclasses import replace

    config = corpus_setup["config"]
    config = replace(config, limits=replace(config.limits, acks_per_sender_per_day=2))
    mails = []
    for i in range(4):
        mails.append(
            (
                f"From: Rui <rtavares@ua.pt>\r\nTo: procurement@iclei.org\r\n"
                f"Subject: Question {i} about the LCC group fees?\r\n"
                f"Message-ID: <q{i}@ua.pt>\r\n\r\nWhat are the fees for the LCC group?"
                f" Could you tell me?\r\n"
            ).encode()
        )
    dovecot.append(corpus_setup["general"], mails)
    Service(config).run_cycle()
    assert len(smtp.to("rtavares@ua.pt")) == 2


def test_global_rate_limit_holds_inside_one_backlog(corpus_setup, dovecot, smtp):
    # The hourly limit counts acknowledgements queued earlier in the same commit group
    # too: a backlog of 70 yields exactly the limit.
    from dataclasses import replace

    from tests.mailgen import generate

    config = corpus_setup["config"]
    config = replace(config, limits=replace(config.limits, acks_per_hour=7))
    dovecot.append(corpus_setup["general"], generate(70, 11))
    service = Service(config)
    service.run_cycle()
    store = service.store
    queued = store.one("SELECT COUNT(*) FROM outbox WHERE kind='ack'")[0]
    suppressed = store.event_rows("e.kind='reply_suppressed'")
    assert queued == 7 and len(smtp.received) >= 7
    assert suppressed and all("global rate limit: 7" in r["detail"]["reason"] for r in suppressed)
    # and an hour's acknowledgements already in the outbox count on the next cycle
    dovecot.append(corpus_setup["general"], generate(3, 12))
    service.run_cycle()
    assert store.one("SELECT COUNT(*) FROM outbox WHERE kind='ack'")[0] == 7


def test_parsed_message_is_readable(corpus_run):
    # Stored acknowledgements parse as valid mail with a UTF-8 text body.
    service, rows, smtp = corpus_run
    for item in smtp.received:
        msg = email.message_from_bytes(item.data, policy=default_policy)
        body = msg.get_body(("plain",))
        assert body is not None and body.get_content().strip()


def test_followup_forwarded_to_facilitator_when_configured(tmp_path, dovecot, smtp, users):
    # With [routing] followups = "facilitator", a member's reply goes to the facilitator.
    from intake.config import load_config
    from tests.conftest import write_config

    (user,) = users("followfwd")
    dovecot.append(user, [(DEV / "0003.eml").read_bytes()])  # Capannori joins LCC
    path = write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=smtp.port,
        inboxes=[{"name": "general", "username": user}],
        extra='[routing]\nfollowups = "facilitator"\n',
    )
    service = Service(load_config(path))
    members.import_file(service.store, ROSTER, "test")
    service.run_cycle()
    ack = next(r for r in smtp.received if r.message["Auto-Submitted"] == "auto-replied")
    for n in range(2):
        reply = (
            f"From: Ufficio Gare <ufficio.gare.capannori@gmail.com>\r\n"
            f"To: procurement@iclei.org\r\nSubject: Re: {ack.message['Subject']}\r\n"
            f"Message-ID: <followup-{n}@gmail.com>\r\n"
            f"In-Reply-To: {ack.message['Message-ID']}\r\n\r\n"
            f"Ecco i nominativi dei partecipanti ({n}).\r\n"
        ).encode()
        dovecot.append(user, [reply])
        service.run_cycle()
    followups = [
        r.message for r in smtp.to("philipp.tepper@iclei.org") if "Follow-up from" in r.message["Subject"]
    ]
    assert len(followups) == 2
    assert followups[0]["Reply-To"] == "ufficio.gare.capannori@gmail.com"
    assert "message/rfc822" in [p.get_content_type() for p in followups[0].walk()]
    (row,) = queries.list_requests(service.store)
    assert row["status"] == "routed" and len(row["message_ids"]) == 3
    acks = [r for r in smtp.received if r.message["Auto-Submitted"] == "auto-replied"]
    assert len(acks) == 1
