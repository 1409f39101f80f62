"""Erasure and retention edge cases on a real SQLite file (no mail server needed)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from intake import outbox, pipeline, privacy, triage
from intake.cli import main
from intake.config import PrivacyConfig, Secret
from tests.conftest import service_with_stored

KEY_ENV = "INTAKE_TEST_PSEUDONYM_KEY"
HER = "Greta Lindqvist <greta.lindqvist@kommun-example.se>"


def mail(n: int, sender: str, cc: str = "") -> bytes:
    return (
        f"From: {sender}\r\nTo: procurement@iclei.org\r\n"
        + (f"Cc: {cc}\r\n" if cc else "")
        + f"Subject: Question {n} about the LCC group fees?\r\nMessage-ID: <c{n}@example.org>\r\n\r\n"
        "What does it cost to join the Life Cycle Costing group? Could you tell me?\r\n"
    ).encode()


@pytest.fixture
def service(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "q" * 40)
    svc = service_with_stored(
        tmp_path,
        [
            mail(1, HER),
            mail(2, "Per Olsson <per.olsson@stad-example.se>", cc="greta.lindqvist@kommun-example.se"),
        ],
    )
    svc.config = replace(
        svc.config,
        privacy=PrivacyConfig(pseudonym_key=Secret(env=KEY_ENV)),
        mail_copy_dir=tmp_path / "copies",
    )
    svc.env.config = svc.config
    pipeline.process_pending(svc.env)
    yield svc
    svc.close()


def test_queued_mail_to_an_erased_person_is_never_sent(service, smtp):
    # An acknowledgement still queued when its person is erased is suppressed, not sent empty.
    store = service.store
    (ack,) = store.query("SELECT id, status FROM outbox WHERE recipient LIKE 'greta%'")
    assert ack["status"] == "queued"
    privacy.erase(store, service.config, "greta.lindqvist@kommun-example.se", actor="dpo")
    row = store.one("SELECT status, last_error, length(raw) FROM outbox WHERE id=?", (ack["id"],))
    assert tuple(row) == ("suppressed", "erased before it was sent", 0)
    assert outbox.send_due(store, replace(service.config.smtp, port=smtp.port)).sent == 1  # Per's
    assert [r.message["To"] for r in smtp.received] == ["per.olsson@stad-example.se"]


def test_someone_elses_mail_copying_her_keeps_its_raw(service):
    # Per's mail with her in Cc is his: only its parsed recipient list loses her address.
    store = service.store
    result = privacy.erase(store, service.config, "greta.lindqvist@kommun-example.se", actor="dpo")
    assert result.mentioned_in == 1 and result.counts["requests"] == 1
    per = store.one(
        "SELECT id, recipients, sender_email, body_text FROM messages WHERE sender_email LIKE 'per.%'"
    )
    assert json.loads(per["recipients"]) == ["procurement@iclei.org", f"{result.pseudonym}@erased.invalid"]
    assert per["body_text"] and b"greta.lindqvist" in store.raw_of(per["id"])


def test_an_erased_request_cannot_be_decided_again(service):
    # Re-deciding a request whose mail is gone is one clear error, not a crash.
    store = service.store
    (request_id,) = store.one("SELECT id FROM requests WHERE requester_email LIKE 'greta%'")
    privacy.erase(store, service.config, "greta.lindqvist@kommun-example.se", actor="dpo")
    with pytest.raises(triage.TriageError, match="was removed"):
        triage.resolve(service.env, request_id, group="lcc", intent="question")


def test_retention_removes_the_sent_mail_copies_on_disk(service, smtp):
    # service.mail_copy_dir keeps .eml copies of sent mail: they expire with the outbox rows,
    # and a removed copy cannot be queued again.
    store = service.store
    smtp_cfg = replace(service.config.smtp, port=smtp.port)
    assert outbox.send_due(store, smtp_cfg).sent == 2
    outbox.copy_sent(store, service.config.mail_copy_dir)
    copies = sorted(service.config.mail_copy_dir.glob("*.eml"))
    assert len(copies) == 2
    with store.transaction():
        store.conn.execute("UPDATE outbox SET status='failed' WHERE id=(SELECT MIN(id) FROM outbox)")
    report = service.run_retention(datetime.now(UTC) + timedelta(days=731))
    assert report.outgoing_mail == 2 and not list(service.config.mail_copy_dir.glob("*.eml"))
    path = service.config.path
    result = CliRunner().invoke(main, ["--config", str(path), "outbox", "retry", "1"])
    assert result.exit_code == 1 and "was removed (retention" in result.output


def test_erase_asks_before_it_erases(service):
    # Without --yes the command shows what goes and asks; "no" erases nothing; --json
    # without --yes refuses instead of erasing silently.
    path = service.config.path
    path.write_text(path.read_text() + f'[privacy]\npseudonym_key_env = "{KEY_ENV}"\n')
    args = ["--config", str(path), "privacy", "erase", "greta.lindqvist@kommun-example.se"]
    answer = CliRunner().invoke(main, args, input="n\n")
    assert answer.exit_code == 1 and "would become erased-" in answer.output
    assert "Erase greta.lindqvist@kommun-example.se now?" in answer.output
    refused = CliRunner().invoke(main, [*args, "--json"])
    assert refused.exit_code == 1 and "add --yes" in refused.output
    assert service.store.one("SELECT COUNT(*) FROM erasures")[0] == 0
    done = CliRunner().invoke(main, [*args, "--json", "--yes"])
    assert done.exit_code == 0 and json.loads(done.output)["counts"]["requests"] == 1


def test_her_mail_not_yet_processed_is_erased_too(service):
    # Mail stored but not yet run (its fields unparsed) is found by its raw bytes, erased,
    # and never run afterwards.
    store = service.store
    store.store_delivery(
        inbox="general", folder="INBOX", uidvalidity=1, uid=50, raw=mail(3, HER), internal_date=None
    )
    (waiting,) = store.pending_messages()
    found = privacy.find(store, "GRETA.lindqvist@kommun-example.se")
    assert waiting in found.messages and len(found.requests) == 1
    privacy.erase(store, service.config, "greta.lindqvist@kommun-example.se", actor="dpo")
    assert store.raw_of(waiting) is None and store.pending_messages() == []
    row = store.one("SELECT status, status_reason FROM messages WHERE id=?", (waiting,))
    assert tuple(row) == ("unparseable", "erased before it was processed")
    assert pipeline.process_pending(service.env) == 0


def test_retention_and_compact_commands(service):
    # `privacy retention --dry-run` counts without removing; `privacy compact` empties the log.
    path = service.config.path
    with service.store.transaction():
        service.store.conn.execute(
            "UPDATE messages SET stored_at='2001-01-01T00:00:00.000000Z', role='machine'"
        )
    dry = CliRunner().invoke(main, ["--config", str(path), "privacy", "retention", "--dry-run", "--json"])
    assert dry.exit_code == 0 and json.loads(dry.output)["machine_mail"] == 2
    assert all(service.store.raw_of(pk) for pk in (1, 2))
    done = CliRunner().invoke(main, ["--config", str(path), "privacy", "retention"])
    assert done.exit_code == 0 and "removed the content of 2 machine mail(s)" in done.output
    assert not any(service.store.raw_of(pk) for pk in (1, 2))
    compact = CliRunner().invoke(main, ["--config", str(path), "privacy", "compact"])
    assert compact.exit_code == 0 and "write-ahead log emptied" in compact.output
    wal = service.config.database.with_name(service.config.database.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
