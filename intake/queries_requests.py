"""Requests and their messages as the stages, triage and the CLI look them up.

The desk's and the CLI's JSON read models are in intake/queries.py; this module holds the
small lookups the pipeline makes while deciding. See docs/design.md, "Persistence".
"""

from __future__ import annotations

from typing import TypedDict, cast

from intake.rows import MessageRow, RequestRow
from intake.store import Store


class MessageState(TypedDict):
    status: str
    status_reason: str | None
    request_id: int | None


class RequestGroup(TypedDict):
    """What decides who may see a request: its group and its explanation (a "both" request
    names its two groups there)."""

    group_id: str | None
    explanation: str | None


class LabelledExample(TypedDict):
    """The latest label staff gave a request, with the mail it was about."""

    request_id: int
    group_id: str | None
    intent: str | None
    first_message: int


def request(store: Store, request_id: int | None) -> RequestRow | None:
    row = store.one("SELECT * FROM requests WHERE id=?", (request_id,))
    return None if row is None else cast(RequestRow, dict(row))


def group_of(store: Store, request_id: int) -> RequestGroup | None:
    row = store.one("SELECT group_id, explanation FROM requests WHERE id=?", (request_id,))
    return None if row is None else cast(RequestGroup, dict(row))


def message(store: Store, message_pk: int) -> MessageRow | None:
    row = store.one("SELECT * FROM messages WHERE id=?", (message_pk,))
    return None if row is None else cast(MessageRow, dict(row))


def message_state(store: Store, message_pk: int) -> MessageState | None:
    row = store.one("SELECT status, status_reason, request_id FROM messages WHERE id=?", (message_pk,))
    return None if row is None else cast(MessageState, dict(row))


def shunted_messages(store: Store) -> list[MessageRow]:
    return cast(list[MessageRow], store.dicts("SELECT * FROM messages WHERE status='shunted' ORDER BY id"))


def token(store: Store, request_id: int | None) -> str | None:
    """The request's token (IG-12-5f3a9c01), None for a request made before tokens."""
    row = store.one("SELECT token FROM requests WHERE id=?", (request_id,))
    return None if row is None else row[0]


def by_token(store: Store, token: str) -> int | None:
    """The request whose token this is (in any case)."""
    row = store.one("SELECT id FROM requests WHERE token=? COLLATE NOCASE", (token,))
    return None if row is None else int(row[0])


def by_message_id(store: Store, message_id: str, *, other_than: int) -> int | None:
    """The request of a stored message (other than the one being run) with this Message-ID."""
    row = store.one(
        "SELECT request_id FROM messages WHERE message_id=? AND request_id IS NOT NULL AND id != ?",
        (message_id, other_than),
    )
    return None if row is None else int(row[0])


def senders(store: Store, request_id: int) -> list[str]:
    """Who wrote in the request's conversation (its requests and follow-ups)."""
    return [
        r[0]
        for r in store.query(
            "SELECT sender_email FROM messages WHERE request_id=? AND sender_email IS NOT NULL"
            " AND role IN ('request', 'followup')",
            (request_id,),
        )
    ]


def times_resolved(store: Store, request_id: int) -> int:
    """How often staff decided the request (each decision is a round of mail)."""
    return int(
        store.scalar("SELECT COUNT(*) FROM events WHERE request_id=? AND kind='resolved'", (request_id,))
    )


def has_event(store: Store, request_id: int, *, kind: str, actor: str) -> bool:
    return (
        store.one("SELECT 1 FROM events WHERE request_id=? AND kind=? AND actor=?", (request_id, kind, actor))
        is not None
    )


def labelled_examples(store: Store) -> list[LabelledExample]:
    """Each request staff labelled, with its latest label."""
    rows = store.dicts(
        "SELECT l.request_id, l.group_id, l.intent, r.first_message FROM labelled_examples l"
        " JOIN requests r ON r.id = l.request_id ORDER BY l.id"
    )
    return list(cast(dict[int, LabelledExample], {r["request_id"]: r for r in rows}).values())
