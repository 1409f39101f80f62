"""Attachments of a parsed message: which parts they are, their bytes, their listing.

Used by the parse stage (names, types and sizes stored with the message) and by the
desk (downloads by index, so both must find the same parts in the same order).
"""

from __future__ import annotations

from email.message import Message
from email.policy import compat32
from typing import Any

from intake.context import Attachment
from intake.mail_headers import decode_text_header

# compat32 without a line limit writes each header as it was received (no refolding)
_AS_RECEIVED = compat32.clone(max_line_length=0)


def attachment_parts(msg: Message) -> list[Message]:
    """The parts a person would call attachments, in order (the web UI downloads by index)."""
    parts = []
    for part in msg.walk():
        if part.get_content_type() == "message/rfc822":
            parts.append(part)
            continue
        if part.is_multipart():
            continue
        disposition = part.get("Content-Disposition")
        if disposition is None and "name" not in str(part.get("Content-Type", "")).lower():
            continue  # get_filename() reads only these two headers: no name anywhere
        if part.get_filename() or "attachment" in str(disposition or "").lower():
            parts.append(part)
    return parts


def _attached_message(part: Message) -> Message | None:
    """The message inside a message/rfc822 part, if the parser found one."""
    inner = part.get_payload()
    return inner[0] if isinstance(inner, list) and inner else None


def attachment_bytes(part: Message) -> bytes:
    if part.get_content_type() == "message/rfc822":
        inner = _attached_message(part)
        if inner is None:
            return b""
        try:
            return inner.as_bytes(policy=_AS_RECEIVED)
        except Exception:  # noqa: BLE001
            return str(inner).encode("utf-8", "replace")
    try:
        return part.get_payload(decode=True) or b""
    except Exception:  # noqa: BLE001
        return b""


def describe_attachments(msg: Message) -> tuple[list[Attachment], list[Any]]:
    """(name, type and size of each attachment, the From header of each attached message:
    a forward's original writer, read from the message already parsed)."""
    found: list[Attachment] = []
    attached: list[Any] = []
    for part in attachment_parts(msg):
        ctype = part.get_content_type()
        data = attachment_bytes(part)
        if ctype == "message/rfc822" and data and (inner := _attached_message(part)) is not None:
            attached.append(inner.get("From", ""))
        filename = part.get_filename()
        name = decode_text_header(filename) if filename else f"message.{ctype.split('/')[-1]}"
        found.append(Attachment(filename=name[:255], content_type=ctype, size=len(data)))
    return found, attached
