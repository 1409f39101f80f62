"""Outgoing mail is safe: no header or recipient injection, marked automatic, threaded."""

from __future__ import annotations

import email
from email.policy import default as default_policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.compose import build, header_text, safe_address

HOSTILE = [
    "Hello\r\nBcc: victim@example.org",
    "Hello\nBcc: victim@example.org",
    "Hello\rBcc: victim@example.org",
    "=?utf-8?q?Hi=0D=0ABcc:_victim@example.org?=",
    "Hi\u2028Bcc: victim@example.org",
    "x" * 5000,
    "Hi\x00\x1b[31m",
]


def make(subject: str, name: str = "Procura+", to: str = "member@city.example") -> bytes:
    return build(
        from_address="procurement@iclei.org",
        from_name=name,
        to=to,
        subject=subject,
        body="Body with <script>alert(1)</script>",
        in_reply_to="orig@city.example",
        references=["a@b", "bad\r\nX: y"],
        auto_submitted="auto-replied",
        language="en",
        token="IG-1",
        original=b"From: a@b.c\r\nSubject: x\r\n\r\nhi\r\n",
    )[1]


@pytest.mark.parametrize("value", HOSTILE)
def test_user_text_cannot_add_headers_or_recipients(value):
    # Subjects and names with CR/LF, encoded newlines, separators stay one header.
    raw = make(subject=f"Re: {value}", name=value)
    msg = email.message_from_bytes(raw, policy=default_policy)
    assert msg.get_all("Bcc") is None
    assert msg["To"] == "member@city.example"
    assert len(msg.get_all("Subject")) == 1
    assert len(str(msg["Subject"])) <= 260
    decoded = str(msg["Subject"])
    assert "\n" not in decoded and "\r" not in decoded


def test_headers_mark_mail_automatic_and_threaded():
    # Auto-Submitted, loop marker, our Message-ID, In-Reply-To and References.
    msg = email.message_from_bytes(make("Re: hi"), policy=default_policy)
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Intake-Loop"] == "IG-1"
    assert msg["Message-ID"].endswith(".intake@iclei.org>")
    assert msg["In-Reply-To"].strip() == "<orig@city.example>"
    assert "<a@b>" in msg["References"] and "X: y" not in str(msg)


@pytest.mark.parametrize(
    "address", ["a@b.c\r\nBcc: x@y.z", "a@b.c, x@y.z", "<a@b.c>", "a b@c.d", "", "a@b.c\n"]
)
def test_invalid_recipients_are_refused(address):
    # Only one plain address can be a recipient.
    assert safe_address(address) is None
    with pytest.raises(ValueError):
        make("x", to=address)


def test_header_text_flattens():
    # Control characters and encoded words are neutralised.
    assert header_text("a\r\nb\tc") == "a b c"
    assert "=?" not in header_text("=?utf-8?q?x?=")


def _build_plain(subject: str, body: str, name: str = "Procura+") -> bytes:
    return build(
        from_address="procurement@iclei.org",
        from_name=name,
        to="member@city.example",
        subject=subject,
        body=body,
        in_reply_to="orig@city.example",
        references=["a@b"],
        auto_submitted="auto-replied",
        language="de",
        token="IG-7",
    )[1]


@settings(max_examples=150, deadline=None)
@given(subject=st.text(max_size=300), body=st.text(max_size=2000), name=st.text(max_size=100))
def test_any_text_reads_back_as_written(subject, body, name):
    # Whatever text a template renders, a reader gets the body and the (flattened)
    # subject back, and every header line stays within the SMTP line limit.
    raw = _build_plain(subject, body, name)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 998 for line in head.split(b"\r\n"))
    parsed = email.message_from_bytes(raw, policy=default_policy)
    expected = body.replace("\r\n", "\n").replace("\r", "\n")
    assert parsed.get_content().replace("\r\n", "\n").rstrip("\n") == expected.rstrip("\n")
    assert parsed["Subject"] == header_text(subject, 250)


def test_a_body_line_starting_with_from_survives():
    # A line starting "From " reaches the reader unchanged.
    raw = _build_plain("x", "Hello\nFrom the city of Ghent\nFrom: us")
    parsed = email.message_from_bytes(raw, policy=default_policy)
    assert "\nFrom the city of Ghent\nFrom: us" in parsed.get_content().replace("\r\n", "\n")


def test_long_message_ids_are_folded_and_read_back():
    # Other mailers' ids are long: they go on folded lines of at most 78 characters
    # and a reader still finds them.
    parent = "179565560465.11906.8397768214197222505.bench1.1@comune.torino.example"
    older = [f"{n}.{parent}" for n in range(3)]
    raw = build(
        from_address="procurement@iclei.org",
        from_name="Procura+",
        to="a@city.example",
        subject="Re",
        body="x",
        in_reply_to=parent,
        references=older,
        auto_submitted="auto-replied",
        language="en",
        token="IG-2",
    )[1]
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    msg = email.message_from_bytes(raw, policy=default_policy)
    assert msg["In-Reply-To"].strip() == f"<{parent}>"
    assert msg["References"].split() == [f"<{i}>" for i in [*older, parent]]


def test_original_with_a_huge_header_is_attached_opaque_and_fast():
    # A 4 MB Subject in the original (beyond RFC 5322's 998-octet lines) is attached as an
    # opaque .eml, byte for byte, without the stdlib refolding it (5 s before).
    import time

    original = (
        b"From: a@b.example\r\nSubject: "
        + b"join the ICT group " * (4 * 1024 * 1024 // 19)
        + b"\r\nMessage-ID: <x@y>\r\n\r\nhello\r\n"
    )
    started = time.monotonic()
    raw = build(
        from_address="p@iclei.org",
        from_name="P",
        to="f@iclei.org",
        subject="s",
        body="b",
        in_reply_to=None,
        references=[],
        auto_submitted="auto-generated",
        language="en",
        token="IG-1",
        original=original,
    )[1]
    assert time.monotonic() - started < 1.5
    attached = [
        p
        for p in email.message_from_bytes(raw, policy=default_policy).walk()
        if p.get_filename() == "original-message.eml"
    ]
    assert attached[0].get_content_type() == "application/octet-stream"
    assert attached[0].get_payload(decode=True) == original
