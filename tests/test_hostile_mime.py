"""Property-based: hostile MIME never crashes the pipeline or leaks into our replies."""

from __future__ import annotations

import email
from email.policy import default as default_policy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake import pipeline
from intake.config import load_config
from intake.context import Env
from intake.rulebook import load_rules
from intake.store import Store
from intake.templating import Templates
from tests.conftest import write_config

CHARSETS = [
    "utf-8",
    "iso-8859-1",
    "windows-1252",
    "iso-2022-jp",
    "gb18030",
    "x-unknown",
    "utf-16",
    "",
    "koi8-r",
    "utf-7",
]
ENCODINGS = ["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "binary", "bogus", ""]

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)
junk = st.binary(max_size=200)


@st.composite
def header_value(draw) -> bytes:
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return draw(text).encode("utf-8", "replace")
    if kind == 1:
        cs = draw(st.sampled_from(CHARSETS)) or "utf-8"
        return f"=?{cs}?{draw(st.sampled_from('QBqbx'))}?{draw(text)}?=".encode("utf-8", "replace")
    if kind == 2:
        return draw(junk).replace(b"\n", b" ")
    if kind == 3:
        return b"\r\n\tfolded " + draw(text).encode() + b"\r\n Bcc: victim@example.org"
    return b"A" * draw(st.integers(900, 3000))


@st.composite
def part(draw, depth: int = 0) -> bytes:
    ctype = draw(
        st.sampled_from(
            [
                "text/plain",
                "text/html",
                "multipart/mixed",
                "multipart/alternative",
                "message/rfc822",
                "application/octet-stream",
                "multipart/report",
                "image/png",
            ]
        )
    )
    cs = draw(st.sampled_from(CHARSETS))
    cte = draw(st.sampled_from(ENCODINGS))
    head = f'Content-Type: {ctype}; charset="{cs}"'.encode()
    if ctype.startswith("multipart") and depth < 3:
        boundary = draw(st.sampled_from(["b1", "", "==x==", "a" * 80, "b1--"]))
        head += f'; boundary="{boundary}"'.encode()
        children = draw(st.lists(part(depth + 1), max_size=3))
        body = b"".join(b"--" + boundary.encode() + b"\r\n" + c + b"\r\n" for c in children)
        if draw(st.booleans()):
            body += b"--" + boundary.encode() + b"--\r\n"
    else:
        body = draw(st.one_of(junk, text.map(lambda t: t.encode("utf-8", "replace"))))
    if draw(st.booleans()):
        head += (
            b'\r\nContent-Disposition: attachment; filename="'
            + draw(text).encode("utf-8", "replace").replace(b'"', b"")
            + b'"'
        )
    return head + f"\r\nContent-Transfer-Encoding: {cte}\r\n\r\n".encode() + body


@st.composite
def hostile_mail(draw) -> bytes:
    headers = [
        b"From: "
        + draw(header_value())
        + b" <"
        + draw(st.sampled_from([b"a@stad.gent", b"x@y", b"", b"\x00@\xff", b"mailer-daemon@x.org"]))
        + b">",
        b"To: procurement@iclei.org",
        b"Subject: " + draw(header_value()),
        b"Message-ID: <" + draw(st.sampled_from([b"", b"id@x", b"a b c", b"<<>>"])) + b">",
        b"MIME-Version: 1.0",
    ]
    if draw(st.booleans()):
        headers.append(b"Date: " + draw(header_value()))
    if draw(st.booleans()):
        headers.append(b"Reply-To: " + draw(header_value()))
    line_end = draw(st.sampled_from([b"\r\n", b"\n", b"\r"]))
    raw = line_end.join(headers) + line_end + draw(part())
    if draw(st.booleans()):
        raw = raw.replace(b"\r\n", line_end)
    return raw


def make_env(tmp_path) -> Env:
    path = write_config(tmp_path, imap_port=1, smtp_port=1, inboxes=[{"name": "general", "username": "u"}])
    config = load_config(path)
    store = Store(config.database)
    store.migrate()
    return Env(
        config=config,
        rules=load_rules(config.rules_dir),
        store=store,
        templates=Templates(config.templates_dir),
    )


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(raw=hostile_mail())
def test_hostile_mime_is_stored_and_never_crashes(tmp_path_factory, raw):
    # Whatever arrives is stored once, processed or marked unparseable; replies stay clean.
    env = make_env(tmp_path_factory.mktemp("h"))
    pk, _ = env.store.store_delivery(
        inbox="general", folder="INBOX", uidvalidity=1, uid=1, raw=raw, internal_date=None
    )
    pipeline.process(env, pk)
    row = env.store.one("SELECT status, status_reason FROM messages WHERE id=?", (pk,))
    assert row["status"] in ("processed", "unparseable"), row["status_reason"]
    assert env.store.one("SELECT COUNT(*) FROM requests")[0] == 1
    for out in env.store.query("SELECT raw FROM outbox"):
        msg = email.message_from_bytes(out["raw"], policy=default_policy)
        assert msg.get_all("Bcc") is None and len(msg.get_all("To")) == 1
    env.store.close()


def test_a_sender_that_cannot_be_answered_goes_to_triage_not_to_the_shunt(tmp_path):
    # Found by the property test above: "From: @0 <a@stad.gent>" read "@0" as the sender
    # and the acknowledgement crashed the message. The mailbox is found behind the stray
    # "@"; an address nothing can be sent to (here non-ASCII, which our SMTP does not
    # speak) is a request for a person, with the reason, and no mail is queued to it.
    env = make_env(tmp_path)
    body = (
        b"To: procurement@iclei.org\r\nSubject: Join LCC\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        b"We would like to join the Life Cycle Costing interest group.\r\n"
    )
    outcomes = []
    for uid, sender in enumerate([b"@0 <anna@stad.gent>", "j\u00f6rg@stad.gent".encode()], 1):
        pk, _ = env.store.store_delivery(
            inbox="general",
            folder="INBOX",
            uidvalidity=1,
            uid=uid,
            raw=b"From: " + sender + b"\r\nMessage-ID: <m" + str(uid).encode() + b"@x>\r\n" + body,
            internal_date=None,
        )
        ctx = pipeline.process(env, pk)
        assert ctx is not None
        row = env.store.one(
            "SELECT m.status, m.sender_email, r.triage_reason FROM messages m"
            " JOIN requests r ON r.id = m.request_id WHERE m.id=?",
            (pk,),
        )
        outcomes.append((row["status"], row["sender_email"], row["triage_reason"]))
    assert outcomes[0][:2] == ("processed", "anna@stad.gent")
    status, unanswerable, reason = outcomes[1]
    assert status == "processed" and unanswerable.endswith("rg@stad.gent")
    assert reason.startswith("sender address cannot be answered: j")
    recipients = [r[0] for r in env.store.query("SELECT recipient FROM outbox")]
    assert "anna@stad.gent" in recipients and unanswerable not in recipients
    env.store.close()
