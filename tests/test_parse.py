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


@pytest.mark.parametrize("raw, expected", [
    ("=?utf-8?q?Caf=C3=A9?= au lait", "Café au lait"),
    ("Re: =?utf-8?q?M=C3=BCnchen?= meeting", "Re: München meeting"),
    ("=?utf-8?q?Teil_1?= =?utf-8?q?_Teil_2?=", "Teil 1 Teil 2"),
    ("=?iso-8859-1?q?Gr=FC=DFe?=\r\n aus Wien", "Grüße aus Wien"),
    ("=?utf-8?b?w4lsw6lnYW50?= text", "Élégant text"),
    ("plain and =?bogus-charset?q?x?= ok", "plain and =?bogus-charset?q?x?= ok"),
])
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
        "Förslag_intressegrupp_utsläppsfria_byggarbetsplatser.docx"]


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


@pytest.mark.parametrize("header, expected", [
    ("Wed, 20 Sep 1995 00:19:00 (EDT) -0400", "1995-09-20T04:19:00Z"),  # comment, then offset
    ("Tue, 3 Mar 2026 10:15:00 +0100", "2026-03-03T09:15:00Z"),
    ("Tue, 3 Mar 2026 10:15:00", "2026-03-03T10:15:00Z"),  # no zone: taken as UTC
    ("not a date", None),
])
def test_date_is_stored_in_utc(header, expected):
    raw = f"From: a@b.example\r\nDate: {header}\r\nSubject: x\r\n\r\nhi\r\n".encode()
    assert parse_bytes(raw).date == expected


def test_an_encoded_comma_in_a_name_does_not_split_the_address():
    # "Kröger, Sabine" sent as one encoded word: the name is kept whole, the address found.
    raw = (b"From: =?iso-8859-1?Q?Kr=F6ger=2C_Sabine?= <sabine.kroeger@heidelberg.example>\r\n"
           b"Subject: x\r\n\r\nhi\r\n")
    mail = parse_bytes(raw)
    assert (mail.sender_name, mail.sender_email) == ("Kröger, Sabine",
                                                     "sabine.kroeger@heidelberg.example")
    # a broken mailer that encodes the address itself is still understood
    raw = b"From: =?utf-8?q?Anna_<anna@city.example>?=\r\nSubject: x\r\n\r\nhi\r\n"
    assert parse_bytes(raw).sender_email == "anna@city.example"


def test_the_lean_parser_reads_every_mail_as_the_stock_one(monkeypatch):
    # parse_bytes skips mail-parser's summary dicts; on every corpus file and hostile
    # generated mail the result is identical to the stock parser's.
    import dataclasses

    import mailparser

    from intake.stages import parse
    from tests.mailgen import generate

    raws = [p.read_bytes() for p in corpus_files()]
    raws += [p.read_bytes() for p in sorted(REALWORLD.rglob("*")) if p.is_file()][:200]
    raws += generate(60, 13)

    def outcome(raw):
        try:
            return dataclasses.asdict(parse.parse_bytes(raw))
        except Exception as exc:  # noqa: BLE001
            return repr(exc)

    lean = [outcome(r) for r in raws]
    monkeypatch.setattr(parse, "_PARSER", mailparser.MailParser)
    assert [outcome(r) for r in raws] == lean


@pytest.mark.parametrize("charset", ["utf-8", "cp1252"])
def test_raw_8bit_headers_are_read_as_text_not_replacement_characters(charset):
    # RFC 6532 allows UTF-8 in headers, and older mailers send Latin-1 unencoded: the
    # parser hands such bytes over as "unknown-8bit", which str() made "J\ufffd\ufffdrg".
    raw = ("From: Jörg Müller <joerg@stadt.example>\r\nTo: Zoë <zoe@stadt.example>\r\n"
           "Subject: Grüße aus Köln\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           "Hallo\r\n").encode(charset)
    mail = parse_bytes(raw)
    assert (mail.sender_name, mail.sender_email) == ("Jörg Müller", "joerg@stadt.example")
    assert mail.subject == "Grüße aus Köln"
    assert mail.recipients == ["zoe@stadt.example"]


def test_forwarded_phrase_check_answers_as_lowercasing_the_body_would():
    # parse._says_forwarded looks for "forwarded message" in the UTF-8 bytes lowered as
    # ASCII; that is exact only while no non-ASCII character lowercases to a letter of
    # the phrase. Checked over all of Unicode (so a new Unicode version is noticed), and
    # on texts built to trip it.
    import sys

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from intake.stages.parse import _says_forwarded

    to_ascii = {chr(c) for c in range(128, sys.maxunicode + 1)
                if not 0xD800 <= c < 0xE000 and any(ord(x) < 128 for x in chr(c).lower())}
    assert not set("".join(c.lower() for c in to_ascii)) & set("forwarded message")
    for text in ("---- Forwarded Message ----", "FORWARDED MESSAGE", "Forwarded\u00a0message",
                 "forwarded  message", "Weitergeleitete Nachricht", "ﬀorwarded message",
                 "Forwarded mEssage \udcff", "İ forwarded message K", "forwarde\u0130 message"):
        assert _says_forwarded(text) == ("forwarded message" in text.lower()), text

    @settings(max_examples=300, deadline=None)
    @given(st.text(alphabet=st.sampled_from(list("forwarded messageFORWARDEDMESSAGE İKß\u00a0")),
                   max_size=40))
    def same(text: str) -> None:
        assert _says_forwarded(text) == ("forwarded message" in text.lower())

    same()


def _without_fast_path(value):
    import re

    from intake import mail_headers

    fast = mail_headers._PLAIN_ADDRESS
    mail_headers._PLAIN_ADDRESS = re.compile(r"(?!)")
    try:
        return mail_headers.first_address(value)
    finally:
        mail_headers._PLAIN_ADDRESS = fast


def test_plain_addresses_read_as_the_address_parser_reads_them():
    # first_address answers "Name <addr>" and bare addresses without the address parser;
    # checked against the parser on every corpus header and on generated near-misses.
    import email

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from intake.mail_headers import _PLAIN_ADDRESS, first_address

    values = []
    for path in [*corpus_files(), *sorted(p for p in REALWORLD.rglob("*") if p.is_file())]:
        msg = email.message_from_bytes(path.read_bytes())
        for name in ("From", "Reply-To", "To", "Cc", "Sender"):
            values += msg.get_all(name, [])
    values += ["Ana Gomez <Ana.Gomez@Stad.Gent>", "ana@stad.gent", "<ana@stad.gent>",
               " O'Brien-Smith  <o@x.ie> ", "Ana <ana@stad.gent", "ana@stad.gent>",
               "Ana  Gomez <a@b.eu>", "Ana ana@b.eu", "Ana<ana@b.eu>", "A. Gomez <a@b.eu>",
               "ana@b.eu (Ana)", "Ana <a..b@c.eu>", "Ana <a@b>", "'Ana' <a@b.eu>"]
    fast_used = 0
    for value in values:
        assert first_address(value) == _without_fast_path(value), value
        fast_used += bool(_PLAIN_ADDRESS.fullmatch(str(value)))
    assert fast_used > 50  # the corpus did exercise the fast path

    part = st.sampled_from(["Ana", "Gomez", "O'Brien", "Jean-Luc", "0", "-", "'", " ", "  ",
                            '"', ".", ",", "<", ">", "@", "ana", "x.eu", "b", "\t", "(c)", "é"])

    @settings(max_examples=400, deadline=None)
    @given(st.lists(part, max_size=9).map("".join))
    def same(value: str) -> None:
        assert first_address(value) == _without_fast_path(value)

    same()


def test_recipient_lists_read_as_the_address_parser_reads_them():
    import email
    import email.utils

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from intake.mail_headers import all_addresses, decode_text_header

    def parser(values):
        return [a.lower() for _, a in email.utils.getaddresses(
            [decode_text_header(v) for v in values]) if "@" in a]

    for path in [*corpus_files(), *sorted(p for p in REALWORLD.rglob("*") if p.is_file())]:
        msg = email.message_from_bytes(path.read_bytes())
        values = msg.get_all("To", []) + msg.get_all("Cc", [])
        assert all_addresses(values) == parser(values), path.name

    value = st.sampled_from(["a@b.eu", "Ana <A@B.eu>", "x@y.org, z@w.org", "Bob <b@c.eu>, d@e.eu",
                             "undisclosed-recipients:;", "", "=?utf-8?q?Ana?= <a@b.eu>",
                             "Ana, Bob <ab@c.eu>", "<a@b.eu>", "a@b"])

    @settings(max_examples=200, deadline=None)
    @given(st.lists(value, max_size=4))
    def same(values: list[str]) -> None:
        assert all_addresses(values) == parser(values)

    same()
