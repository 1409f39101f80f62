"""Build outgoing mail: safe headers, threading, loop markers, the original attached.

Nothing a sender wrote can add a header or a recipient to our mail: user text
is flattened to one line of printable characters and length-limited before it
goes near a header, and addresses are validated. Every mail says it is
automatic (RFC 3834 Auto-Submitted) and carries our loop marker.
"""

from __future__ import annotations

import email
import re
import uuid
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, compat32
from email.utils import format_datetime

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


def build(
    *,
    from_address: str,
    from_name: str,
    to: str,
    subject: str,
    body: str,
    in_reply_to: str | None,
    references: list[str],
    auto_submitted: str,
    language: str,
    token: str | None,
    reply_to: str | None = None,
    original: bytes | None = None,
    when: object | None = None,
) -> tuple[str, bytes]:
    """Return (message id without <>, the message as bytes with CRLF line ends).

    Built with the standard library's EmailMessage and its SMTP policy (RFC 2047
    encoding and folding are the stdlib's); every value reaching a header has gone
    through header_text or safe_address first.
    """
    recipient = safe_address(to)
    sender = safe_address(from_address)
    if recipient is None:
        raise ValueError(f"refusing to send to an invalid address: {to!r}")
    if sender is None:
        raise ValueError(f"invalid from address: {from_address!r}")
    domain = sender.rsplit("@", 1)[1]
    message_id = own_message_id(uuid.uuid4().hex, domain)
    msg = EmailMessage(policy=SMTP)
    name = header_text(from_name, 80)
    msg["From"] = Address(display_name=name, addr_spec=sender) if name else sender
    msg["To"] = recipient
    if reply_to and (safe := safe_address(reply_to)):
        msg["Reply-To"] = safe
    msg["Subject"] = header_text(subject, 250)
    msg["Message-ID"] = f"<{message_id}>"
    msg["Date"] = format_datetime(when if isinstance(when, datetime) else datetime.now(UTC))
    parents = [r for r in references if _safe_msgid(r)][-10:]
    if in_reply_to and _safe_msgid(in_reply_to):
        msg["In-Reply-To"] = f"<{in_reply_to}>"
        if in_reply_to not in parents:
            parents.append(in_reply_to)
    if parents:
        msg["References"] = " ".join(f"<{ident}>" for ident in parents)
    msg["Auto-Submitted"] = auto_submitted
    msg["X-Auto-Response-Suppress"] = "All"
    msg["Precedence"] = "auto_reply" if auto_submitted == "auto-replied" else "bulk"
    msg[LOOP_HEADER_NAME] = header_text(token or "intake", 40)
    msg.set_content(body.replace("\r\n", "\n").replace("\r", "\n"), cte="quoted-printable")
    if original is not None:
        _attach_original(msg, original)
    # after the content: set_content and add_attachment move Content-* headers to the parts
    msg["Content-Language"] = header_text(language, 10)
    return message_id, msg.as_bytes()


def _attach_original(msg: EmailMessage, original: bytes) -> None:
    """The original as message/rfc822 (as RFC 2046 wants), its headers written as
    received (a parsed header is refolded only when a line is too long). What cannot
    travel that way goes as an opaque .eml file, so the facilitator still gets it: mail
    too broken to write out again, and a line beyond RFC 5322's 998 octets (a 20 MB
    subject, which the stdlib would spend a second a megabyte refolding)."""
    name = "original-message.eml"
    try:
        if max(map(len, original.splitlines()), default=0) > 998:
            raise ValueError("a line longer than 998 octets")
        inner = email.message_from_bytes(original, policy=compat32)
        inner.as_bytes()  # proves it can be written out again
    except Exception:  # noqa: BLE001 - broken MIME from the outside world
        msg.add_attachment(original, maintype="application", subtype="octet-stream", filename=name)
        return
    msg.add_attachment(inner, filename=name)


def _safe_msgid(value: str) -> bool:
    return bool(re.fullmatch(r"[^<>\s\x00-\x1f]{1,250}", value or ""))
