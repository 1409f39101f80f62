"""Attachments: attached messages are kept as they were received, headers included."""

from __future__ import annotations

import email
import email.policy

from intake.attachments import attachment_bytes, attachment_parts, describe_attachments
from intake.stages.parse import parse_bytes

INNER = (
    b"Received: from mx.city.example by relay.example with ESMTP id 1;\r\n"
    b"\tWed, 25 Nov 2026 10:00:00 +0100\r\n"
    b"From: =?iso-8859-1?Q?J=F6rg?= <joerg@stadt.example>\r\n"
    b"Subject: a subject folded\r\n over two lines\r\n"
    b"X-Long: " + b"x" * 180 + b"\r\n"
    b"X-Raw-8bit: Gr\xfc\xdfe\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Wir m\xc3\xb6chten teilnehmen.\r\n"
)


def forward_of(inner: bytes) -> bytes:
    return (
        b"From: Colleague <colleague@stadt.example>\r\nTo: procurement@iclei.org\r\n"
        b"Subject: Fwd: membership\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n"
        b"--b\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--b--\r\n"
    )


def test_an_attached_message_keeps_its_headers_as_received():
    msg = email.message_from_bytes(forward_of(INNER), policy=email.policy.compat32)
    [part] = attachment_parts(msg)
    data = attachment_bytes(part)
    # the same lines (line ends made uniform), not refolded, 8-bit bytes intact
    assert data == INNER.replace(b"\r\n", b"\n")


def test_the_listing_and_the_forwarded_writer_come_from_the_attached_message():
    found, froms = describe_attachments(
        email.message_from_bytes(forward_of(INNER), policy=email.policy.compat32)
    )
    assert [(a.content_type, a.size) for a in found] == [
        ("message/rfc822", len(INNER.replace(b"\r\n", b"\n")))
    ]
    assert len(froms) == 1 and "joerg@stadt.example" in str(froms[0])
    mail = parse_bytes(forward_of(INNER))
    assert mail.forwarded_from == ("Jörg", "joerg@stadt.example")
