"""The SQL of a request's conversation and of the replies staff write in the desk.

Reads: the mail in (the request's messages, and machine mail the thread stage linked to
it), the mail out (its outbox rows, with the start of each stored message), who wrote
each staff reply, and the requester's last mail to answer. Writes: one staff reply as an
outbox row whose dedupe key carries the reply form's idempotency key (UNIQUE: a form
submitted twice queues one mail).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from intake.store import Store, utcnow

REPLY_KIND = "reply"  # outbox kind of a reply a person wrote in the desk
RAW_PREFIX = 262_144  # bytes of a stored outgoing mail read for the page: its text comes first
MAX_SHOWN = 200  # mails in and mails out on one page, each
BODY_TEXT = 200_000  # characters of a mail body on the page


@dataclass(frozen=True)
class MailIn:
    id: int
    role: str | None  # request | followup | machine
    sender_email: str | None
    sender_name: str | None
    subject: str | None
    when: str | None  # ISO 8601 UTC: the arrival, else the Date header, else when stored
    body_text: str | None
    attachments: list[dict]
    status: str
    status_reason: str | None
    screening: str | None
    redacted: str | None
    request_id: int  # the request it belongs to (a linked machine mail: its own)


@dataclass(frozen=True)
class MailOut:
    id: int
    kind: str
    template: str
    language: str | None
    recipient: str
    status: str
    last_error: str | None
    created_at: str
    sent_at: str | None
    redacted: str | None
    raw_start: bytes  # the first RAW_PREFIX bytes of the message as built
    raw_size: int
    author: str | None  # the staff member who wrote it (staff replies), else None


@dataclass(frozen=True)
class ReplyTarget:
    """What a reply answers: the request's sender and the last mail they wrote."""

    request_id: int
    token: str
    group_id: str | None
    language: str | None
    requester_email: str | None
    requester_name: str | None
    message_id: str | None  # of the requester's last mail, without <>
    references: list[str]
    subject: str | None
    screening: str | None = None  # of the mail that opened the request: human, bounce, spam ...


def mail_in(store: Store, request_id: int) -> tuple[list[MailIn], int]:
    """The request's messages and the machine mail linked to it, oldest first (at most
    MAX_SHOWN), and how many were left out."""
    where = "request_id=? OR request_id IN (SELECT id FROM requests WHERE linked_request=?)"
    rows = store.query(
        "SELECT id, role, status, screening, redacted, request_id, attachments,"
        " substr(sender_email, 1, 300) AS sender_email, substr(sender_name, 1, 300) AS sender_name,"
        " substr(subject, 1, 2000) AS subject, substr(body_text, 1, ?) AS body_text,"
        " substr(status_reason, 1, 2000) AS status_reason,"
        " COALESCE(internal_date, date, stored_at) AS at"
        f" FROM messages WHERE {where} ORDER BY at, id LIMIT ?",
        (BODY_TEXT, request_id, request_id, MAX_SHOWN),
    )
    total = int(store.scalar(f"SELECT COUNT(*) FROM messages WHERE {where}", (request_id, request_id)))
    found = [
        MailIn(
            id=r["id"],
            role=r["role"],
            sender_email=r["sender_email"],
            sender_name=r["sender_name"],
            subject=r["subject"],
            when=r["at"],
            body_text=r["body_text"],
            attachments=json.loads(r["attachments"] or "[]")[:MAX_SHOWN],
            status=r["status"],
            status_reason=r["status_reason"],
            screening=r["screening"],
            redacted=r["redacted"],
            request_id=r["request_id"],
        )
        for r in rows
    ]
    return found, total - len(found)


def mail_out(store: Store, request_id: int) -> tuple[list[MailOut], int]:
    """The mail intake sent or will send about the request, oldest first (at most
    MAX_SHOWN), with who wrote each staff reply, and how many were left out."""
    authors = {
        r[0]: r[1]
        for r in store.query(
            "SELECT json_extract(detail, '$.outbox_id'), actor FROM events"
            " WHERE request_id=? AND kind='staff_reply'",
            (request_id,),
        )
    }
    rows = store.query(
        "SELECT id, kind, template, language, recipient, status, last_error, created_at, sent_at,"
        " redacted, substr(raw, 1, ?) AS raw_start, length(raw) AS raw_size"
        " FROM outbox WHERE request_id=? ORDER BY id LIMIT ?",
        (RAW_PREFIX, request_id, MAX_SHOWN),
    )
    total = int(store.scalar("SELECT COUNT(*) FROM outbox WHERE request_id=?", (request_id,)))
    found = [
        MailOut(
            id=r["id"],
            kind=r["kind"],
            template=r["template"],
            language=r["language"],
            recipient=r["recipient"],
            status=r["status"],
            last_error=r["last_error"],
            created_at=r["created_at"],
            sent_at=r["sent_at"],
            redacted=r["redacted"],
            raw_start=bytes(r["raw_start"] or b""),
            raw_size=r["raw_size"] or 0,
            author=authors.get(r["id"]),
        )
        for r in rows
    ]
    return found, total - len(found)


def reply_target(store: Store, request_id: int) -> ReplyTarget | None:
    """The request's sender and their last mail in the conversation (None: no request)."""
    request = store.one(
        "SELECT r.id, r.token, r.group_id, r.language, r.requester_email, r.requester_name, m.screening"
        " FROM requests r LEFT JOIN messages m ON m.id = r.first_message WHERE r.id=?",
        (request_id,),
    )
    if request is None:
        return None
    last = store.one(
        "SELECT substr(message_id, 1, 998) AS message_id, references_, substr(subject, 1, 2000) AS subject"
        " FROM messages WHERE request_id=? AND role IN ('request', 'followup')"
        " ORDER BY COALESCE(internal_date, date, stored_at) DESC, id DESC LIMIT 1",
        (request_id,),
    )
    references: list[str] = []
    if last is not None:
        try:
            loaded = json.loads(last["references_"] or "[]")
            references = [str(r) for r in loaded] if isinstance(loaded, list) else []
        except ValueError:
            references = []
    return ReplyTarget(
        request_id=request["id"],
        token=request["token"] or f"IG-{request['id']}",
        group_id=request["group_id"],
        language=request["language"],
        requester_email=request["requester_email"],
        requester_name=request["requester_name"],
        message_id=last["message_id"] if last else None,
        references=references,
        subject=last["subject"] if last else None,
        screening=request["screening"],
    )


def request_status(store: Store, request_id: int) -> str | None:
    row = store.one("SELECT status FROM requests WHERE id=?", (request_id,))
    return row[0] if row else None


def last_reply_id(store: Store, request_id: int) -> int:
    """The id of the request's latest staff reply (0: none yet)."""
    sql = "SELECT COALESCE(MAX(id), 0) FROM outbox WHERE request_id=? AND kind=?"
    return int(store.scalar(sql, (request_id, REPLY_KIND)))


def reply_by_key(store: Store, dedupe_key: str) -> int | None:
    """The outbox id of the reply queued under this key, if any."""
    row = store.one("SELECT id FROM outbox WHERE dedupe_key=?", (dedupe_key,))
    return row[0] if row else None


def queue_reply(
    store: Store,
    *,
    request_id: int,
    template: str,
    language: str,
    recipient: str,
    message_id: str,
    raw: bytes,
    dedupe_key: str,
) -> int:
    """Queue one staff reply (inside the caller's transaction). The UNIQUE dedupe key
    refuses a second row for the same form: sqlite3.IntegrityError."""
    now = utcnow()
    return store.insert(
        "outbox",
        {
            "request_id": request_id,
            "kind": REPLY_KIND,
            "template": template,
            "language": language,
            "recipient": recipient,
            "message_id": message_id,
            "raw": raw,
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "dedupe_key": dedupe_key,
        },
    )
