"""Parse stage: mail-parser plus our corrections; nothing ever raises out of it."""

from __future__ import annotations

from email.mime.text import MIMEText

import pytest

from intake.mail_headers import decode_text_header
from intake.stages.parse import parse_bytes
from tests.conftest import DEV, REALWORLD, corpus_files


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_every_dev_mail_parses(path):
    # Each corpus mail yields a sender, a one-line subject and some text or attachment.
    mail = parse_bytes(path.read_bytes())
    assert "@" in mail.sender_email
    assert "\n" not in mail.subject and "\r" not in mail.subject
    assert mail.body_text or mail.attachments or mail.subject  # 0021: subject only


def test_iso_2022_jp_body_is_decoded():
    # mail-parser leaves ISO-2022-JP undecoded; we detect the escapes and decode.
    msg = MIMEText("日本語のテキストです。こんにちは", "plain", "iso-2022-jp")
    msg["From"] = "Taro <taro@example.jp>"
    msg["Subject"] = "=?iso-2022-jp?b?GyRCRnxLXDhsGyhC?="
    mail = parse_bytes(msg.as_bytes())
    assert mail.body_text == "日本語のテキストです。こんにちは"
    assert mail.subject == "日本語"
    assert any("ISO-2022" in note for note in mail.notes)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("=?utf-8?q?Caf=C3=A9?= au lait", "Café au lait"),
        ("Re: =?utf-8?q?M=C3=BCnchen?= meeting", "Re: München meeting"),
        ("=?utf-8?q?Teil_1?= =?utf-8?q?_Teil_2?=", "Teil 1 Teil 2"),
        ("=?iso-8859-1?q?Gr=FC=DFe?=\r\n aus Wien", "Grüße aus Wien"),
        ("=?utf-8?b?w4lsw6lnYW50?= text", "Élégant text"),
        ("plain and =?bogus-charset?q?x?= ok", "plain and =?bogus-charset?q?x?= ok"),
    ],
)
def test_rfc2047_whitespace(raw, expected):
    # Space next to plain text stays; space between encoded words goes; junk never raises.
    assert decode_text_header(raw) == expected


def test_folded_subject_is_one_line():
    # A folded subject (0067 in the corpus) is unfolded into one line.
    mail = parse_bytes((DEV / "0067.eml").read_bytes())
    assert mail.subject == "Proposta di un nuovo gruppo di interesse sulla ristorazione scolastica"


def test_html_only_mail_becomes_text_with_alt_text():
    # Without a plain part, HTML is converted to readable text, image alt text included.
    mail = parse_bytes((DEV / "0024.eml").read_bytes())
    assert "<" not in mail.body_text[:200]
    assert any("HTML" in n for n in mail.notes)
    assert len(mail.body_text) > 20


def test_rfc2231_attachment_name():
    # A non-ASCII attachment file name (RFC 2231) is decoded.
    mail = parse_bytes((DEV / "0062.eml").read_bytes())
    assert [a.filename for a in mail.attachments] == [
        "Förslag_intressegrupp_utsläppsfria_byggarbetsplatser.docx"
    ]


def test_forwarded_rfc822_attachment_names_original_writer():
    # A colleague forwarding a message/rfc822: the original writer is found.
    mail = parse_bytes((DEV / "0050.eml").read_bytes())
    assert mail.forwarded_from is not None
    assert mail.forwarded_from[1] != mail.sender_email


def test_inline_outlook_forward_names_original_writer():
    # An inline Outlook forward ("WG:") names the deputy who asked.
    mail = parse_bytes((DEV / "0043.eml").read_bytes())
    assert mail.forwarded_from is not None and mail.forwarded_from[1].endswith("heidelberg.de")


def test_cr_only_and_nul_bytes():
    # Classic-Mac line ends and NUL bytes do not stop parsing.
    raw = b"From: a@b.org\rSubject: Hi\x00 there\r\rBody\x00 text\r"
    mail = parse_bytes(raw)
    assert mail.subject == "Hi there" and mail.body_text == "Body text"


def test_garbage_raises_a_clear_error():
    # Bytes without any header are reported as unparseable by the stage.
    with pytest.raises(ValueError):
        parse_bytes(b"\x00\x01\x02 not a mail")


def test_realworld_corpus_never_crashes():
    # Every real-world fixture parses or is reported, never an unexpected crash.
    files = [p for p in REALWORLD.rglob("*") if p.is_file() and p.name != "labels.csv"]
    assert len(files) > 300
    parsed = 0
    for path in files:
        try:
            parse_bytes(path.read_bytes())
            parsed += 1
        except ValueError:
            pass
    assert parsed >= len(files) - 5


@pytest.mark.parametrize(
    "header, expected",
    [
        ("Wed, 20 Sep 1995 00:19:00 (EDT) -0400", "1995-09-20T04:19:00Z"),  # comment, then offset
        ("Tue, 3 Mar 2026 10:15:00 +0100", "2026-03-03T09:15:00Z"),
        ("Tue, 3 Mar 2026 10:15:00", "2026-03-03T10:15:00Z"),  # no zone: taken as UTC
        ("not a date", None),
    ],
)
def test_date_is_stored_in_utc(header, expected):
    raw = f"From: a@b.example\r\nDate: {header}\r\nSubject: x\r\n\r\nhi\r\n".encode()
    assert parse_bytes(raw).date == expected


def test_an_encoded_comma_in_a_name_does_not_split_the_address():
    # "Kröger, Sabine" sent as one encoded word: the name is kept whole, the address found.
    raw = (
        b"From: =?iso-8859-1?Q?Kr=F6ger=2C_Sabine?= <sabine.kroeger@heidelberg.example>\r\n"
        b"Subject: x\r\n\r\nhi\r\n"
    )
    mail = parse_bytes(raw)
    assert (mail.sender_name, mail.sender_email) == ("Kröger, Sabine", "sabine.kroeger@heidelberg.example")
    # a broken mailer that encodes the address itself is still understood
    raw = b"From: =?utf-8?q?Anna_<anna@city.example>?=\r\nSubject: x\r\n\r\nhi\r\n"
    assert parse_bytes(raw).sender_email == "anna@city.example"


@pytest.mark.parametrize("charset", ["utf-8", "cp1252"])
def test_raw_8bit_headers_are_read_as_text_not_replacement_characters(charset):
    # RFC 6532 allows UTF-8 in headers, and older mailers send Latin-1 unencoded: the
    # parser hands such bytes over as "unknown-8bit", which str() made "J\ufffd\ufffdrg".
    raw = (
        "From: Jörg Müller <joerg@stadt.example>\r\nTo: Zoë <zoe@stadt.example>\r\n"
        "Subject: Grüße aus Köln\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Hallo\r\n"
    ).encode(charset)
    mail = parse_bytes(raw)
    assert (mail.sender_name, mail.sender_email) == ("Jörg Müller", "joerg@stadt.example")
    assert mail.subject == "Grüße aus Köln"
    assert mail.recipients == ["zoe@stadt.example"]
