"""Parse stage: raw bytes -> ParsedMail, with mail-parser plus corrections.

mail-parser does the MIME walk (text parts, HTML, attachments). Two of its
known decoding faults are detected and corrected here, and every correction is
noted on the message:
- ISO-2022-JP (and other escape-sequence charsets) bodies come back undecoded;
- headers with RFC 2047 encoded words can lose or keep wrong whitespace, so
  headers are decoded with the standard library's RFC-conformant parser.
A message that cannot be parsed at all is marked unparseable with the reason.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import email.utils
import logging
import re
import signal
import threading
from collections.abc import Iterator
from email.message import Message
from typing import Any

import html2text
import mailparser

from intake.attachments import describe_attachments
from intake.context import Context, Env, ParsedMail
from intake.mail_headers import (
    all_addresses,
    decode_bytes,
    decode_text_header,
    first_address,
    fix_escape_charset,
    header_date,
    message_id_of,
    parsed_date,
    screen_headers,
    single_mailbox,
    squash,
    unfold,
)

# the Context fields this stage uses, and those it produces (see intake/stage_view.py)
READS: tuple[str, ...] = ("raw",)
WRITES: tuple[str, ...] = ("mail", "unparseable")

log = logging.getLogger("intake.parse")

_ESCAPE_CHARSET = re.compile(r"\x1b[\$\(][@A-Z]")
_FWD_SUBJECT = re.compile(r"^\s*(fwd?|tr|wg|vs|vb|rv|i|enc|doorst|pd|fw)\s*:", re.I)


class ParseTimeout(BaseException):
    """Raised by the alarm; a BaseException so that no `except Exception` inside the
    parser can swallow it."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt Python code that runs longer than `seconds` (SIGALRM; only in a
    process's main thread, where the service parses; 0 = no limit)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_signum, _frame):  # noqa: ANN001, ANN202
        raise ParseTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run(ctx: Context, env: Env) -> None:
    """Parse the raw bytes; what cannot be parsed keeps its headers and the reason."""
    limits = env.config.limits
    limit = limits.max_message_bytes
    if len(ctx.raw) > limit:
        reason = f"message too large to parse ({len(ctx.raw)} bytes > limit {limit})"
    else:
        try:
            with time_limit(limits.max_parse_seconds):
                ctx.mail = parse_bytes(ctx.raw)
            return
        except ParseTimeout:
            reason = (
                f"parsing took longer than {limits.max_parse_seconds:g} s"
                " (limits.max_parse_seconds); kept unparsed"
            )
        except Exception as exc:  # noqa: BLE001 - any parser failure is data, not a crash
            reason = f"cannot parse MIME: {exc.__class__.__name__}: {exc}"[:500]
    ctx.unparseable = reason
    ctx.mail = _headers_only(ctx.raw)


def clean_raw(raw: bytes) -> bytes:
    """Normalise what real mail gets wrong before any parser sees it."""
    if b"\x00" in raw:
        raw = raw.replace(b"\x00", b"")
    if b"\r" in raw and b"\n" not in raw:
        raw = raw.replace(b"\r", b"\n")  # classic Mac line ends
    raw = raw.lstrip(b"\r\n\t ")  # blank lines before the headers (seen in exports)
    if raw.startswith(b"From ") and b"\n" in raw:
        first = raw.split(b"\n", 1)[0]
        if b":" not in first.split(b" ", 2)[1]:
            raw = raw.split(b"\n", 1)[1]  # an mbox "From " separator line
    return raw


def parse_bytes(raw: bytes) -> ParsedMail:
    raw = clean_raw(raw)
    notes: list[str] = []
    parsed = mailparser.parse_from_bytes(raw)
    msg = parsed.message  # mail-parser's own stdlib (compat32) tree: parse once, not twice
    if not msg.keys():
        raise ValueError("no headers found")

    subject = decode_text_header(msg.get("Subject", ""))
    mp_subject = (parsed.subject or "").strip()
    if mp_subject and squash(mp_subject) == squash(subject) and mp_subject != subject:
        notes.append("subject: corrected RFC 2047 whitespace that mail-parser got wrong")
    elif mp_subject and mp_subject != subject and squash(mp_subject) != squash(subject):
        notes.append("subject: used the standard library decoding over mail-parser's")

    sender_name, sender_email = first_address(msg.get("From", ""))
    reply_to = first_address(msg.get("Reply-To", ""))[1] or None
    recipients = all_addresses(msg.get_all("To", []) + msg.get_all("Cc", []))

    body, body_notes = _body_text(parsed, msg)
    notes.extend(body_notes)
    attachments, attached = describe_attachments(msg)

    mail = ParsedMail(
        sender_email=sender_email,
        sender_name=sender_name,
        reply_to=reply_to,
        recipients=recipients,
        subject=subject,
        date=parsed_date(parsed) or header_date(msg.get("Date")),
        body_text=body,
        attachments=attachments,
        message_id=message_id_of(msg.get("Message-ID", "")),
        in_reply_to=message_id_of(msg.get("In-Reply-To", "")),
        references=re.findall(r"<([^<>\s]+)>", str(msg.get("References", ""))),
        auth_results=[unfold(str(v)) for v in msg.get_all("Authentication-Results", [])],
        headers=screen_headers(msg),
        content_types=[p.get_content_type() for p in msg.walk()],
        notes=notes,
        auth_results_hops=auth_results_hops(msg),
        single_mailbox=single_mailbox(msg.get_all("From", [])),
    )
    mail.forwarded_from = _forwarded_writer(mail, attached)
    return mail


def auth_results_hops(msg: Message) -> list[int]:
    """For each Authentication-Results header, top to bottom, the number of Received
    headers above it: which hop's server added it (intake/trust.py)."""
    hops, received = [], 0
    for name in msg.keys():
        key = name.lower()
        if key == "received":
            received += 1
        elif key == "authentication-results":
            hops.append(received)
    return hops


def _headers_only(raw: bytes) -> ParsedMail:
    """The most we can say about a message we will not parse: its headers."""
    try:
        msg = email.message_from_bytes(clean_raw(raw[: 256 * 1024]), policy=email.policy.compat32)
    except Exception:  # noqa: BLE001
        msg = Message()
    name, addr = first_address(msg.get("From", "")) if msg.keys() else ("", "")
    return ParsedMail(
        sender_email=addr,
        sender_name=name,
        reply_to=None,
        recipients=[],
        subject=decode_text_header(msg.get("Subject", "")) if msg.keys() else "",
        date=header_date(msg.get("Date")),
        body_text="",
        attachments=[],
        message_id=message_id_of(msg.get("Message-ID", "")),
        in_reply_to=None,
        references=[],
        auth_results=[],
        headers=screen_headers(msg) if msg.keys() else {},
        content_types=[],
    )


def _html_to_text(html: str) -> str:
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = False
    converter.images_to_alt = True
    converter.ignore_links = True
    converter.ignore_emphasis = True
    converter.ignore_tables = True
    try:
        return converter.handle(html).strip()
    except Exception:  # noqa: BLE001 - html2text on hostile markup
        return re.sub(r"<[^>]+>", " ", html)


def _body_text(parsed: Any, msg: Message) -> tuple[str, list[str]]:
    notes: list[str] = []
    plain = [p for p in (parsed.text_plain or []) if p and p.strip()]
    if plain:
        text = "\n\n".join(plain)
    else:
        html = "\n".join(parsed.text_html or [])
        text = _html_to_text(html) if html.strip() else ""
        if text:
            notes.append("body: converted from HTML (no plain-text part)")
    if _ESCAPE_CHARSET.search(text):
        fixed = fix_escape_charset(text)
        if fixed != text:
            notes.append("body: decoded ISO-2022 text that mail-parser left encoded")
            text = fixed
    if not text.strip() and not msg.is_multipart():
        payload = msg.get_payload(decode=True) or b""
        charset = msg.get_content_charset() or "utf-8"
        text = decode_bytes(payload, charset)
        if msg.get_content_type() == "text/html":
            text = _html_to_text(text)
        if text.strip():
            notes.append("body: decoded by the fallback decoder")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.strip(), notes


def _forwarded_writer(mail: ParsedMail, attached_froms: list[Any]) -> tuple[str, str] | None:
    """When a colleague forwards somebody's mail, find the original writer: the From of
    an attached message, else a "From:" line of an inline forward."""
    if attached_froms:
        name, addr = first_address(attached_froms[0])
        if addr and addr != mail.sender_email:
            return name, addr
    if mail.in_reply_to:  # a reply quoting the earlier mail ("VS:" is a reply in Finnish)
        return None
    if not _FWD_SUBJECT.match(mail.subject) and "forwarded message" not in mail.body_text.lower():
        return None
    block = re.search(
        r"^[ >]*(?:From|Von|De|Da|Van|Från|Fra|Od|Lähettäjä|Afzender|Remitente)\s*:\s*(.+)$",
        mail.body_text,
        re.M | re.I,
    )
    if not block:
        return None
    name, addr = first_address(block.group(1).replace("[mailto:", "<").replace("]", ">"))
    if addr and addr != mail.sender_email:
        return name, addr
    return None
