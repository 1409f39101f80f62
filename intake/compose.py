"""Build outgoing mail: safe headers, threading, loop markers, the original attached.

Nothing a sender wrote can add a header or a recipient to our mail: user text
is flattened to one line of printable characters and length-limited before it
goes near a header, and addresses are validated. Every mail says it is
automatic (RFC 3834 Auto-Submitted) and carries our loop marker.
"""

from __future__ import annotations

import binascii
import email
import re
import string
import uuid
from datetime import UTC, datetime
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import format_datetime, formataddr

from intake.screen_marks import LOOP_HEADER_NAME, own_message_id

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]+")
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


def header_text(value: str | None, limit: int = 200) -> str:
    """One safe line: no CR/LF or control characters, no encoded-word tricks, bounded."""
    text = _CONTROL.sub(" ", value or "")
    text = text.replace("=?", "= ?")  # a literal encoded word must not be decoded as one
    text = re.sub(r"\s+", " ", text).strip()
    return text[:limit].rstrip()


def safe_address(value: str | None) -> str | None:
    if value is None or _CONTROL.search(value):
        return None
    addr = value.strip()
    if not _ADDRESS.fullmatch(addr) or len(addr) > 254:
        return None
    return addr


class _WirePolicy(type(compat32)):  # type: ignore[misc]
    """compat32 with CRLF line ends. A header that is ASCII and already within the line
    limit (including our own encoded words, folded by _header) is written as it is:
    the stock fold sends every header through email.header.Header, which was most of
    the time spent building a mail. Anything else still goes through the stock fold."""

    def fold_binary(self, name: str, value: object) -> bytes:
        if isinstance(value, str) and value.isascii() and _fits(name, value, self.max_line_length):
            return f"{name}: {value}".replace("\r\n", self.linesep).encode("ascii") \
                + self.linesep.encode("ascii")
        return super().fold_binary(name, value)


def _fits(name: str, value: str, limit: int) -> bool:
    lines = value.split("\r\n")
    if len(name) + 2 + len(lines[0]) > limit:
        return False
    for i, line in enumerate(lines):
        if "\r" in line or "\n" in line or len(line) > limit:
            return False
        if i and (not line[:1].isspace() or not line.strip()):
            return False  # a continuation line must start with whitespace and say something
    return True


_WIRE = _WirePolicy(linesep="\r\n")
_Q_SAFE = frozenset(string.ascii_letters + string.digits + "!*+-/")
_WORD_START, _WORD_END = "=?utf-8?q?", "?="


def _header(value: str, name: str) -> str:
    """ASCII stays as it is; anything else becomes RFC 2047 "Q" encoded words, folded so
    that no line passes 76 characters and no character is split between two words."""
    if value.isascii():
        return value
    overhead = len(_WORD_START) + len(_WORD_END)
    room = 76 - len(name) - 2 - overhead  # the first line also holds "Name: "
    words, chunk = [], ""
    for ch in value:
        if ch in _Q_SAFE:
            code = ch
        elif ch == " ":
            code = "_"
        else:
            code = "".join(f"={byte:02X}" for byte in ch.encode("utf-8"))
        if chunk and len(chunk) + len(code) > room:
            words.append(chunk)
            chunk, room = "", 75 - overhead  # continuation lines: " " + word
        chunk += code
    words.append(chunk)
    return "\r\n ".join(_WORD_START + word + _WORD_END for word in words)


def build(*, from_address: str, from_name: str, to: str, subject: str, body: str,
          in_reply_to: str | None, references: list[str], auto_submitted: str,
          language: str, token: str | None, reply_to: str | None = None,
          original: bytes | None = None, when: object | None = None) -> tuple[str, bytes]:
    """Return (message id without <>, the message as bytes with CRLF line ends).

    Built with the standard library's compat32 MIME classes (several times faster than
    EmailMessage); every value reaching a header has gone through header_text or
    safe_address first.
    """
    recipient = safe_address(to)
    sender = safe_address(from_address)
    if recipient is None:
        raise ValueError(f"refusing to send to an invalid address: {to!r}")
    if sender is None:
        raise ValueError(f"invalid from address: {from_address!r}")
    text = _text_part(body)
    msg: Message = text
    if original is not None:
        msg = MIMEMultipart("mixed")
        msg.attach(text)
        msg.attach(_original_part(original))
    domain = sender.rsplit("@", 1)[1]
    message_id = own_message_id(uuid.uuid4().hex, domain)
    name = header_text(from_name, 80)
    msg["From"] = formataddr((name, sender), charset="utf-8") if name else sender
    msg["To"] = recipient
    if reply_to and (safe := safe_address(reply_to)):
        msg["Reply-To"] = safe
    msg["Subject"] = _header(header_text(subject, 250), "Subject")
    msg["Message-ID"] = f"<{message_id}>"
    msg["Date"] = format_datetime(when if isinstance(when, datetime) else datetime.now(UTC))
    parents = [r for r in references if _safe_msgid(r)][-10:]
    if in_reply_to and _safe_msgid(in_reply_to):
        msg["In-Reply-To"] = f"<{in_reply_to}>"
        if in_reply_to not in parents:
            parents.append(in_reply_to)
    if parents:
        msg["References"] = " ".join(f"<{p}>" for p in parents)
    msg["Auto-Submitted"] = auto_submitted
    msg["X-Auto-Response-Suppress"] = "All"
    msg["Precedence"] = "auto_reply" if auto_submitted == "auto-replied" else "bulk"
    msg[LOOP_HEADER_NAME] = header_text(token or "intake", 40)
    msg["Content-Language"] = header_text(language, 10)
    return message_id, msg.as_bytes(policy=_WIRE)


def _text_part(body: str) -> Message:
    """text/plain in UTF-8, quoted-printable. Encoded by binascii (C): the email
    package's own encoder goes character by character in Python, which was most of
    the cost of an acknowledgement in any language but English."""
    part = MIMENonMultipart("text", "plain", charset="utf-8")
    part["Content-Transfer-Encoding"] = "quoted-printable"
    data = body.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    part.set_payload(binascii.b2a_qp(data, istext=True).decode("ascii"))
    return part


def _original_part(original: bytes) -> Message:
    """The original as message/rfc822 (as RFC 2046 wants), or, if it is too broken to
    write out again, as an opaque .eml file so the facilitator still gets it."""
    try:
        inner = email.message_from_bytes(original, policy=compat32)
        inner.as_bytes()  # proves it can be written out again
        part: Message = MIMEMessage(inner)
    except Exception:  # noqa: BLE001 - broken MIME from the outside world
        part = MIMEApplication(original, "octet-stream")
    part.add_header("Content-Disposition", "attachment", filename="original-message.eml")
    return part


def _safe_msgid(value: str) -> bool:
    return bool(re.fullmatch(r"[^<>\s\x00-\x1f]{1,250}", value or ""))
