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
        if isinstance(value, str) and _as_is(name, value):
            return f"{name}: {value}".replace("\r\n", self.linesep).encode("ascii") \
                + self.linesep.encode("ascii")
        return super().fold_binary(name, value)


def _as_is(name: str, value: str) -> bool:
    """Whether a header can be written exactly as given: ASCII, already folded, every
    line within the wire limit."""
    return value.isascii() and _fits(name, value, _LINE_LIMIT)


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
_LINE_LIMIT = _WIRE.max_line_length
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
    domain = sender.rsplit("@", 1)[1]
    message_id = own_message_id(uuid.uuid4().hex, domain)
    name = header_text(from_name, 80)
    headers = [("From", formataddr((name, sender), charset="utf-8") if name else sender),
               ("To", recipient)]
    if reply_to and (safe := safe_address(reply_to)):
        headers.append(("Reply-To", safe))
    headers += [("Subject", _header(header_text(subject, 250), "Subject")),
                ("Message-ID", f"<{message_id}>"),
                ("Date", format_datetime(when if isinstance(when, datetime) else datetime.now(UTC)))]
    parents = [r for r in references if _safe_msgid(r)][-10:]
    if in_reply_to and _safe_msgid(in_reply_to):
        headers.append(("In-Reply-To", _fold_ids("In-Reply-To", [in_reply_to])))
        if in_reply_to not in parents:
            parents.append(in_reply_to)
    if parents:
        headers.append(("References", _fold_ids("References", parents)))
    headers += [("Auto-Submitted", auto_submitted), ("X-Auto-Response-Suppress", "All"),
                ("Precedence", "auto_reply" if auto_submitted == "auto-replied" else "bulk"),
                (LOOP_HEADER_NAME, header_text(token or "intake", 40)),
                ("Content-Language", header_text(language, 10))]
    if original is None and all(_as_is(k, v) for k, v in headers):
        return message_id, _plain_bytes(headers, body)
    msg: Message = _text_part(body)
    if original is not None:
        msg = MIMEMultipart("mixed")
        msg.attach(_text_part(body))
        msg.attach(_original_part(original))
    for key, value in headers:
        msg[key] = value
    return message_id, msg.as_bytes(policy=_WIRE)


def _fold_ids(name: str, ids: list[str]) -> str:
    """Message ids joined by folding white space, so that lines stay within 78
    characters (ids are long: another mailer's id rarely fits after "In-Reply-To: ")."""
    out, width = "", len(name) + 2
    for ident in ids:
        token, sep = f"<{ident}>", " " if out else ""
        if width + len(sep) + len(token) > 78:
            out, width, sep = out + "\r\n ", 1, ""
        out += sep + token
        width += len(sep) + len(token)
    return out


_PLAIN_HEAD = ('Content-Type: text/plain; charset="utf-8"\r\nMIME-Version: 1.0\r\n'
               "Content-Transfer-Encoding: quoted-printable\r\n")


def _plain_bytes(headers: list[tuple[str, str]], body: str) -> bytes:
    """A text-only mail written directly: the same bytes the email package's generator
    writes for it (headers checked ASCII and within the line limit by the caller),
    without its per-header and per-line Python work."""
    head = _PLAIN_HEAD + "".join(f"{k}: {v}\r\n" for k, v in headers)
    return (head + "\r\n").encode("ascii") + _qp(body).replace(b"\n", b"\r\n")


def _qp(body: str) -> bytes:
    """The body as quoted-printable UTF-8 with \\n line ends. A line starting "From "
    gets its F encoded (=46), so no mailbox on the way mangles it to ">From "."""
    data = body.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    encoded = binascii.b2a_qp(data, istext=True)
    if encoded.startswith(b"From ") or b"\nFrom " in encoded:
        encoded = re.sub(rb"(?m)^From ", b"=46rom ", encoded)
    return encoded


def _text_part(body: str) -> Message:
    """text/plain in UTF-8, quoted-printable. Encoded by binascii (C): the email
    package's own encoder goes character by character in Python, which was most of
    the cost of an acknowledgement in any language but English."""
    part = MIMENonMultipart("text", "plain", charset="utf-8")
    part["Content-Transfer-Encoding"] = "quoted-printable"
    part.set_payload(_qp(body).decode("ascii"))
    return part


def _original_part(original: bytes) -> Message:
    """The original as message/rfc822 (as RFC 2046 wants), or, if it is too broken to
    write out again, as an opaque .eml file so the facilitator still gets it. A header
    line beyond RFC 5322's 998 octets (a 20 MB subject) also goes opaque: the stdlib
    would spend a second a megabyte refolding it, twice."""
    head = re.split(rb"\r?\n\r?\n", original, maxsplit=1)[0]
    try:
        if max(map(len, head.splitlines()), default=0) > 998:
            raise ValueError("a header line longer than 998 octets")
        inner = email.message_from_bytes(original, policy=compat32)
        inner.as_bytes()  # proves it can be written out again
        part: Message = MIMEMessage(inner)
    except Exception:  # noqa: BLE001 - broken MIME from the outside world
        part = MIMEApplication(original, "octet-stream")
    part.add_header("Content-Disposition", "attachment", filename="original-message.eml")
    return part


def _safe_msgid(value: str) -> bool:
    return bool(re.fullmatch(r"[^<>\s\x00-\x1f]{1,250}", value or ""))
