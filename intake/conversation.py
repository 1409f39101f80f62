"""A request's conversation: every mail in and every mail out, in time order.

Mail out is shown as its recipient saw it, decoded from the message the outbox stored
(the bytes that went to the relay): To, Subject, Date and the text. Those messages are
our own (intake/compose.py builds them): the text is their first part, and a forward's
attachment is the original mail, which is never parsed here (a hostile mail can take the
parser minutes; the desk reads only the first RAW_PREFIX bytes and the part headers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.policy import default as default_policy
from typing import cast

from intake import queries_conversation as q
from intake.store import Store

LABELS = {
    "ack": "Acknowledgement",
    "forward": "Forward",
    "staff_notice": "Notice to staff",
    q.REPLY_KIND: "Reply",
}
IN_LABELS = {"request": "Mail in", "followup": "Follow-up", "machine": "Automatic mail (not answered)"}


@dataclass(frozen=True)
class Attachment:
    filename: str
    detail: str = ""  # type and size, when known
    message_pk: int | None = None  # a mail in's attachment can be downloaded
    index: int = 0


@dataclass(frozen=True)
class Entry:
    direction: str  # "in" or "out"
    when: datetime | None
    label: str
    sender: str
    recipient: str
    subject: str
    body: str
    status: str | None = None  # mail out: queued, sending, sent, failed, uncertain, suppressed
    note: str | None = None  # why it failed, why it is uncertain, why its content is gone
    author: str | None = None  # mail out written by a person
    attachments: list[Attachment] = field(default_factory=list)
    request_id: int | None = None  # a linked machine mail's own request
    reference: str = ""  # mail out: "#12 ack_received (de)", for `intake outbox` commands


@dataclass(frozen=True)
class Conversation:
    entries: list[Entry]
    left_out: int  # mails beyond what one page shows


@dataclass(frozen=True)
class Outgoing:
    to: str
    subject: str
    date: datetime | None
    body: str
    attachments: list[str]
    complete: bool  # False: only the start of the message was read


def parse_when(stamp: str | None) -> datetime | None:
    """An ISO 8601 stamp from the database as an aware UTC datetime (None if unreadable)."""
    if not stamp:
        return None
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def decode_outgoing(raw: bytes, *, complete: bool = True) -> Outgoing:
    """To, Subject, Date, the text and the attachment names of a mail intake built."""
    head = BytesHeaderParser(policy=default_policy).parsebytes(raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n")
    headers = cast(EmailMessage, head)
    date_header = headers.get("Date")
    when = getattr(date_header, "datetime", None) if date_header is not None else None
    body, names = "", []
    if headers.get_content_maintype() != "multipart":
        message = cast(EmailMessage, BytesParser(policy=default_policy).parsebytes(raw))
        body = _text_of(message)
    else:
        boundary = headers.get_boundary() or ""
        chunks = raw.split(b"\r\n--" + boundary.encode("ascii", "replace"))[1:] if boundary else []
        for number, chunk in enumerate(chunks):
            if chunk.startswith(b"--"):
                break  # the closing delimiter
            part = chunk.partition(b"\r\n")[2]
            if number == 0:  # compose.build: the text comes first
                body = _text_of(cast(EmailMessage, BytesParser(policy=default_policy).parsebytes(part)))
                continue
            part_head = BytesHeaderParser(policy=default_policy).parsebytes(
                part.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
            )
            names.append(cast(EmailMessage, part_head).get_filename() or "(attachment without a name)")
    return Outgoing(
        to=str(headers.get("To", "")),
        subject=str(headers.get("Subject", "")),
        date=when,
        body=body[: q.BODY_TEXT],
        attachments=names,
        complete=complete,
    )


def _text_of(part: EmailMessage) -> str:
    if part.get_content_maintype() != "text":
        return ""
    try:
        text = str(part.get_content())
    except (LookupError, ValueError):  # an unknown charset: the bytes, decoded leniently
        payload = part.get_payload(decode=True)
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return text.replace("\r\n", "\n")


def of_request(store: Store, request_id: int) -> Conversation:
    incoming, left_in = q.mail_in(store, request_id)
    outgoing, left_out = q.mail_out(store, request_id)
    entries = [_entry_in(m, request_id) for m in incoming] + [_entry_out(o) for o in outgoing]
    oldest = datetime.min.replace(tzinfo=UTC)
    entries.sort(key=lambda e: e.when or oldest)
    return Conversation(entries=entries, left_out=left_in + left_out)


def _entry_in(m: q.MailIn, request_id: int) -> Entry:
    if m.redacted:
        body = f"(content removed: {m.redacted})"
    else:
        body = m.body_text or "(no text)"
    sender = f"{m.sender_name} <{m.sender_email}>" if m.sender_name else (m.sender_email or "")
    label = IN_LABELS.get(m.role or "", "Mail in")
    if m.request_id != request_id:
        label = f"{IN_LABELS['machine']}: {m.screening or 'machine'}"
    return Entry(
        direction="in",
        when=parse_when(m.when),
        label=label,
        sender=sender,
        recipient="",
        subject=m.subject or "",
        body=body,
        note=m.status_reason,
        attachments=[
            Attachment(
                filename=str(a.get("filename") or f"attachment-{i}"),
                detail=f"{a.get('content_type', '')}, {a.get('size', '?')} bytes",
                message_pk=m.id,
                index=i,
            )
            for i, a in enumerate(m.attachments)
        ],
        request_id=m.request_id if m.request_id != request_id else None,
    )


def _entry_out(o: q.MailOut) -> Entry:
    label = LABELS.get(o.kind, o.kind.replace("_", " ").capitalize())
    if o.kind == "forward":
        label = "Forward to the facilitator"
    if o.redacted or not o.raw_start:
        return Entry(
            direction="out",
            when=parse_when(o.sent_at or o.created_at),
            label=label,
            sender="intake",
            recipient=o.recipient,
            subject="",
            body=f"(content removed: {o.redacted or 'not kept'})",
            status=o.status,
            note=o.last_error,
            author=o.author,
            reference=_reference(o),
        )
    seen = decode_outgoing(o.raw_start, complete=o.raw_size <= len(o.raw_start))
    attachments = [Attachment(filename=name) for name in seen.attachments]
    if not seen.complete:
        attachments.append(
            Attachment(filename=f"(the mail is {o.raw_size:,} bytes; only its start is read here)")
        )
    return Entry(
        direction="out",
        when=parse_when(o.sent_at) or seen.date or parse_when(o.created_at),
        label=label,
        sender="intake",
        recipient=seen.to or o.recipient,
        subject=seen.subject,
        body=seen.body or "(no text)",
        status=o.status,
        note=o.last_error,
        author=o.author,
        attachments=attachments,
        reference=_reference(o),
    )


def _reference(o: q.MailOut) -> str:
    return f"#{o.id} {o.template}" + (f" ({o.language})" if o.language else "")
