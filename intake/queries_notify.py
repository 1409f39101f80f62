"""The SQL behind staff notices and the daily digest (intake/desk_notify.py): waiting
requests as typed rows, and the records that make each notice go out once."""

from __future__ import annotations

from dataclasses import dataclass

from intake.queries_queue import RECEIVED
from intake.store import Store, utcnow


@dataclass(frozen=True)
class WaitingRequest:
    """A request in the triage queue, with what a notice says about it."""

    id: int
    token: str
    status: str  # triage | shunted
    group_id: str | None
    explanation: str | None  # for a "both" request: which two groups (web/access.groups_of)
    intent: str | None
    language: str | None
    organisation: str | None
    triage_reason: str | None
    requester_email: str | None
    requester_name: str | None
    subject: str | None
    assigned_to: str | None
    created_at: str  # when intake stored it (UTC)
    waiting_since: str  # when it reached the mail server (else its Date, else when stored), UTC


_WAITING_SQL = (
    "SELECT r.id, COALESCE(r.token, 'IG-' || r.id) AS token, r.status, r.group_id, r.explanation,"
    " r.intent, r.language, r.organisation, substr(r.triage_reason, 1, 300) AS triage_reason,"
    " r.requester_email, substr(r.requester_name, 1, 200) AS requester_name,"
    " substr(m.subject, 1, 200) AS subject, r.assigned_to, r.created_at,"
    f" {RECEIVED} AS waiting_since"  # as the queue's waiting column counts
    " FROM requests r JOIN messages m ON m.id = r.first_message"
)


def _waiting(row: object) -> WaitingRequest:
    return WaitingRequest(**{k: row[k] for k in WaitingRequest.__dataclass_fields__})  # type: ignore[index]


def waiting_requests(store: Store) -> list[WaitingRequest]:
    """Every request waiting in the triage queue (triage or shunted), oldest first."""
    rows = store.query(f"{_WAITING_SQL} WHERE r.status IN ('triage', 'shunted') ORDER BY waiting_since, r.id")
    return [_waiting(r) for r in rows]


def unannounced_requests(store: Store, since: str) -> list[WaitingRequest]:
    """Triage requests stored after `since` whose immediate notices are not yet queued."""
    rows = store.query(
        f"{_WAITING_SQL} WHERE r.status IN ('triage', 'shunted') AND r.created_at >= ?"
        " AND NOT EXISTS (SELECT 1 FROM desk_notices n WHERE n.request_id = r.id) ORDER BY r.id",
        (since,),
    )
    return [_waiting(r) for r in rows]


def record_announced(store: Store, request_id: int, recipients: int) -> None:
    """The request's immediate notices are queued (call in the transaction that queued them)."""
    store.conn.execute(
        "INSERT INTO desk_notices (request_id, recipients, created_at) VALUES (?, ?, ?)",
        (request_id, recipients, utcnow()),
    )


def has_staff_notice(store: Store, request_id: int, recipient: str) -> bool:
    """Whether the pipeline already told this address about the request (the notice of a
    proposal or facilitation offer, templates/mail/en/staff_notice.txt.j2)."""
    return (
        store.one(
            "SELECT 1 FROM outbox WHERE request_id=? AND kind='staff_notice' AND lower(recipient)=?",
            (request_id, recipient.lower()),
        )
        is not None
    )


@dataclass(frozen=True)
class DigestRecord:
    recipient: str
    day: str
    outbox_id: int | None
    new_items: int
    overdue_items: int
    created_at: str


def digest_sent(store: Store, recipient: str, day: str) -> bool:
    """Whether this recipient's digest of this (local) day is already recorded."""
    return (
        store.one("SELECT 1 FROM desk_digests WHERE recipient=? AND day=?", (recipient.lower(), day))
        is not None
    )


def last_digest(store: Store, recipient: str) -> DigestRecord | None:
    """The recipient's latest digest: its time bounds what counts as new in the next one."""
    row = store.one(
        "SELECT recipient, day, outbox_id, new_items, overdue_items, created_at FROM desk_digests"
        " WHERE recipient=? ORDER BY day DESC LIMIT 1",
        (recipient.lower(),),
    )
    return None if row is None else DigestRecord(**dict(row))


def record_digest(
    store: Store,
    recipient: str,
    day: str,
    outbox_id: int | None,
    new_items: int,
    overdue_items: int,
    at: str,
) -> None:
    """Record the day's digest for the recipient (in the transaction that queued it); `at`,
    the time it was made, is where the next digest's "new" begins."""
    store.conn.execute(
        "INSERT INTO desk_digests (recipient, day, outbox_id, new_items, overdue_items, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (recipient.lower(), day, outbox_id, new_items, overdue_items, at),
    )
