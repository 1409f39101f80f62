"""Access and erasure through the real pipeline: Dovecot, the SMTP sink, a SQLite file."""

from __future__ import annotations

import json
import zipfile
from collections import Counter

import pytest
from click.testing import CliRunner

from intake import members, privacy, queries, triage
from intake.cli import main
from intake.config import load_config
from intake.context import Env
from intake.service import Service
from tests.conftest import DEV, ROSTER, write_config

NAME = "Ottilie Brünnhuber"
ADDRESS = "Ottilie.Bruennhuber@gemeinde-bergtal.example"
FROM = f"=?utf-8?q?Ottilie_Br=C3=BCnnhuber?= <{ADDRESS}>"  # her name as mail headers carry it
KEY_ENV = "INTAKE_TEST_PSEUDONYM_KEY"
OTHERS = ("0002.eml", "0003.eml", "0014.eml")  # other people's requests, kept as they are


def her_mail(n: int, subject: str, body: str) -> bytes:
    return (
        f"From: {FROM}\r\nTo: procurement@iclei.org\r\n"
        f"Subject: {subject}\r\nMessage-ID: <ob-{n}@gemeinde-bergtal.example>\r\n"
        f"Date: Mon, 2{n} Nov 2026 09:00:00 +0100\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{body}\r\n\r\nBest regards,\r\n{NAME}\r\nGemeinde Bergtal, Beschaffung\r\n"
    ).encode()


HER_MAILS = [
    her_mail(
        1,
        "Question about the LCC group fees?",
        "What does it cost to take part in the Life Cycle Costing group? Could you tell me?",
    ),
    her_mail(
        2,
        "Does the ICT group meet online",
        "Does the ICT procurement interest group meet online, and how often?",
    ),
    her_mail(
        3,
        "Circular procurement webinar recordings",
        "Where can I find the recordings of the interest group's webinars on circular procurement?",
    ),
]


@pytest.fixture
def stored(tmp_path, dovecot, smtp, users, monkeypatch):
    """Her three requests and three other people's, through Dovecot and the pipeline."""
    monkeypatch.setenv(KEY_ENV, "k" * 40)
    (user,) = users("procurement")
    dovecot.append(user, HER_MAILS + [(DEV / name).read_bytes() for name in OTHERS])
    path = write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=smtp.port,
        inboxes=[{"name": "general", "username": user}],
        extra=f'[privacy]\npseudonym_key_env = "{KEY_ENV}"\n'
        'notice_url = "https://procuraplus.example/privacy"\n',
    )
    service = Service(load_config(path))
    members.import_file(service.store, ROSTER, "test")
    report = service.run_cycle()
    assert report.ok, report.errors
    yield service, path, user
    service.close()


def cli(path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, ["--config", str(path), "--actor", "dpo", *args])
    assert result.exit_code == code, result.output
    return result.output


def database_bytes(service: Service) -> bytes:
    db = service.config.database
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_export_holds_every_mail_and_decision(stored, tmp_path, smtp):
    # The zip has person.json with her three requests and each of her mails as .eml.
    service, path, _ = stored
    (first,) = service.store.one("SELECT MIN(id) FROM requests WHERE requester_email=?", (ADDRESS.lower(),))
    env = Env(
        config=service.config,
        rules=service.env.rules,
        store=service.store,
        templates=service.env.templates,
        actor="anna",
    )
    triage.link_sender(env, first, "Stad Gent", add_domain=False)  # she is a roster contact
    out = tmp_path / "her.zip"
    cli(path, "privacy", "export", ADDRESS.upper(), "--out", str(out))
    assert out.stat().st_mode & 0o777 == 0o600
    with zipfile.ZipFile(out) as zf:
        person = json.loads(zf.read("person.json"))
        received = sorted(n for n in zf.namelist() if n.startswith("mail/received/"))
        sent = sorted(n for n in zf.namelist() if n.startswith("mail/sent/"))
        emls = [zf.read(n) for n in received]
    assert person["address"] == ADDRESS.lower() and person["names"] == [NAME]
    assert len(person["requests"]) == 3 and len(received) == 3
    for n in (1, 2, 3):
        assert sum(f"<ob-{n}@gemeinde-bergtal.example>".encode() in e for e in emls) == 1
    assert len(sent) == 3 == len(smtp.to(ADDRESS.lower()))  # her three acknowledgements
    assert all(r["explanation"]["classification"] for r in person["requests"])
    assert {e["kind"] for e in person["events"]} >= {"stored", "decided", "reply_queued", "reply_sent"}
    # her roster entry, without the organisation's other contacts
    assert person["roster"] == [
        {
            "organisation": "Stad Gent",
            "country": "BE",
            "membership": "participant",
            "contact_email": ADDRESS.lower(),
        }
    ]
    assert "lotte.verbeke" not in json.dumps(person)
    (event,) = service.store.event_rows("e.kind='privacy_exported'")
    assert event["actor"] == "dpo" and event["detail"]["requests"] == 3


def test_erase_leaves_no_trace_in_the_file_and_keeps_the_counts(stored, dovecot, smtp):
    # After erasure: address and name nowhere in the SQLite file or its log; others
    # untouched; counts unchanged; her mail gone from the server; the erasure audited.
    service, path, user = stored
    store = service.store
    env = Env(
        config=service.config,
        rules=service.env.rules,
        store=store,
        templates=service.env.templates,
        actor="anna",
    )
    mine = [r for r in queries.list_requests(store) if r["sender_email"].lower() == ADDRESS.lower()]
    assert len(mine) == 3
    triage.add_note(env, mine[0]["id"], f"Phoned {NAME}: she will send the form")
    triage.close(env, mine[1]["id"], note=f"answered {NAME} by phone")
    # she is a contact of a member organisation too
    triage.link_sender(env, mine[2]["id"], "Stad Gent", add_domain=False)
    before = queries.list_requests(store)
    others = {r["id"]: r for r in before if r["sender_email"].lower() != ADDRESS.lower()}
    other_raw = {
        m["id"]: store.raw_of(m["id"])
        for m in store.query(
            "SELECT id FROM messages WHERE request_id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(others)),),
        )
    }
    before_bytes = database_bytes(service)
    assert all(
        n.encode() in before_bytes
        for n in (NAME, ADDRESS, "Br=C3=BCnnhuber", "Life Cycle Costing group? Could")
    )

    dry = cli(path, "privacy", "erase", ADDRESS, "--dry-run", "--roster")
    assert "3 request(s)" in dry and "dry run" in dry
    assert ADDRESS.encode() in database_bytes(service)  # a dry run changes nothing
    out = cli(path, "privacy", "erase", ADDRESS, "--roster", "--imap", "--yes")
    assert "3 mail(s) deleted on the server" in out

    data = database_bytes(service)
    for needle in (
        ADDRESS,
        ADDRESS.lower(),
        NAME,
        "Brünnhuber",
        "Br\\u00fcnnhuber",  # as JSON may escape it
        "Br=C3=BCnnhuber",  # as a mail header or quoted-printable body carries it
        "Bruennhuber",
        "ob-1@gemeinde-bergtal",
        "Life Cycle Costing group? Could",
    ):
        assert needle.encode() not in data, needle
        assert needle.encode("utf-16-le") not in data, needle
    after = queries.list_requests(store)
    assert len(after) == len(before)
    assert Counter((r["group"], r["status"]) for r in after) == Counter(
        (r["group"], r["status"]) for r in before
    )
    assert {r["id"]: r for r in after if r["id"] in others} == others
    assert {pk: store.raw_of(pk) for pk in other_raw} == other_raw
    pseudonymised = [r for r in after if r["id"] not in others]
    (pseudonym,) = {r["requester_email"] for r in pseudonymised}
    assert pseudonym.startswith("erased-") and pseudonym.endswith("@erased.invalid")
    assert all(r["subject"] is None and r["acknowledged"] for r in pseudonymised)
    (erasure,) = store.query("SELECT * FROM erasures")
    assert erasure["actor"] == "dpo" and json.loads(erasure["counts"])["requests"] == 3
    (event,) = store.event_rows("e.kind='privacy_erased'")
    assert event["detail"]["pseudonym"] == erasure["pseudonym"] == pseudonym.split("@")[0]
    notes = store.event_rows("e.kind IN ('note', 'closed')")
    assert notes and all(e["detail"]["note"] == "[erased]" for e in notes)
    assert "gemeinde-bergtal" not in json.dumps(store.event_rows("1"))
    # the server holds the other people's mail only
    client = dovecot.client(user)
    client.select_folder("INBOX")
    left = client.fetch(client.search(["ALL"]), ["BODY.PEEK[HEADER.FIELDS (FROM)]"])
    client.logout()
    assert len(left) == len(OTHERS)
    assert not any(b"Bruennhuber" in v[b"BODY[HEADER.FIELDS (FROM)]"] for v in left.values())
    # erased means found no more; erasing again finds nothing
    assert privacy.find(store, ADDRESS).empty
    # the service goes on: a new cycle neither re-fetches nor answers anything
    assert service.run_cycle().processed == 0


def test_acknowledgements_carry_the_privacy_line_in_the_senders_language(stored, smtp):
    # Every ack that went out over SMTP ends with the privacy line in its own language,
    # linking the configured notice (hers in English, Capannori's in Italian).
    service, _, _ = stored
    acks = [r.message for r in smtp.received if r.message["Auto-Submitted"] == "auto-replied"]
    assert len(acks) >= 4
    for ack in acks:
        body = ack.get_body(("plain",)).get_content()
        line = service.env.templates.privacy_line(
            ack["Content-Language"], {"privacy_notice_url": "https://procuraplus.example/privacy"}
        )
        assert body.replace("\r\n", "\n").endswith(line), ack["Content-Language"]
    assert {"en", "it"} <= {a["Content-Language"] for a in acks}


def test_same_person_gets_the_same_pseudonym(stored, monkeypatch):
    # HMAC under the configured key: stable per address, different per address and key.
    service, _, _ = stored
    config = service.config
    first = privacy.pseudonym_for(config, ADDRESS)
    assert first == privacy.pseudonym_for(config, "  " + ADDRESS.lower())
    assert first != privacy.pseudonym_for(config, "someone.else@example.org")
    monkeypatch.setenv(KEY_ENV, "z" * 40)
    assert privacy.pseudonym_for(config, ADDRESS) != first


def test_erase_without_a_key_is_one_clear_line(tmp_path, smtp):
    # No pseudonym key configured: the command says what to set and changes nothing.
    path = write_config(
        tmp_path, imap_port=1, smtp_port=smtp.port, inboxes=[{"name": "general", "username": "u"}]
    )
    result = CliRunner().invoke(main, ["--config", str(path), "privacy", "erase", ADDRESS, "--yes"])
    assert result.exit_code == 1
    assert "pseudonym_key_file" in result.output and "Traceback" not in result.output


def test_imap_erase_finds_moved_mail_by_exact_message_id(tmp_path, dovecot, smtp, users, monkeypatch):
    # With on_handled = "move" her mail is in the move_to folder; --imap deletes it there,
    # and a mail whose Message-ID merely contains hers (IMAP matches substrings) stays.
    monkeypatch.setenv(KEY_ENV, "m" * 40)
    (user,) = users("mover")
    other = HER_MAILS[1].replace(
        b"From: " + FROM.encode(),
        b"From: Someone Else <someone@else.example>",
    )
    other = other.replace(b"<ob-2@", b"<xob-1@").replace(NAME.encode(), b"Someone Else")
    dovecot.append(user, [HER_MAILS[0], other])
    path = write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=smtp.port,
        inboxes=[{"name": "general", "username": user, "on_handled": "move", "move_to": "Done"}],
        extra=f'[privacy]\npseudonym_key_env = "{KEY_ENV}"\n',
    )
    service = Service(load_config(path))
    assert service.run_cycle().filed == 2
    result = privacy.erase(service.store, service.config, ADDRESS, actor="dpo", imap=True)
    service.close()
    assert result.imap_deleted == 1
    client = dovecot.client(user)
    client.select_folder("Done")
    left = client.fetch(client.search(["ALL"]), ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    client.logout()
    assert [v[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].strip() for v in left.values()] == [
        b"Message-ID: <xob-1@gemeinde-bergtal.example>"
    ]
