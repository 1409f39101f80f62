"""The outbox table: outgoing mail, its sending states, its rate limits and its removal.

Statements for intake/outbox.py (the sender), stages/respond.py (queueing and rate
limits), `intake outbox` and retention. See docs/design.md, "Persistence".
"""

from __future__ import annotations

import json
from typing import Any, TypedDict, cast

from intake.store import Store, utcnow


class OutboxRow(TypedDict):
    """What `intake outbox list` shows of one row."""

    id: int
    request_id: int | None
    kind: str
    template: str
    language: str | None
    recipient: str
    status: str
    attempts: int
    last_error: str | None
    created_at: str
    sent_at: str | None


class Sending(TypedDict):
    """A row the sender works on (raw is only read for the rows due)."""

    id: int
    request_id: int | None
    kind: str
    recipient: str


class Due(Sending):
    raw: bytes
    attempts: int


class SentCopy(TypedDict):
    id: int
    kind: str
    recipient: str
    raw: bytes


class RetryState(TypedDict):
    status: str
    redacted: str | None


# +kind: walk the few rows after the id, not every acknowledgement through the kind index
ACKS_AFTER_SQL = "SELECT COUNT(*) FROM outbox WHERE id>? AND +kind='ack'"


def move(store: Store, row_id: int, expected: str, values: dict[str, Any]) -> bool:
    """Compare and set: change the row only if its status is still `expected`. Column
    names come from our code, never from input."""
    columns = ", ".join(f'"{name}"=?' for name in values)
    cursor = store.conn.execute(
        f"UPDATE outbox SET {columns} WHERE id=? AND status=?",  # noqa: S608 - our column names
        (*values.values(), row_id, expected),
    )
    return cursor.rowcount == 1


def sending(store: Store) -> list[Sending]:
    """Rows left `sending` (by a process that stopped, when read at start)."""
    return cast(
        list[Sending],
        store.dicts("SELECT id, request_id, recipient, kind FROM outbox WHERE status='sending'"),
    )


def due(store: Store, limit: int) -> list[Due]:
    """Queued rows whose next attempt is due, oldest first."""
    return cast(
        list[Due],
        store.dicts(
            "SELECT id, request_id, kind, recipient, raw, attempts FROM outbox WHERE status='queued'"
            " AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT ?",
            (utcnow(), limit),
        ),
    )


def status_of(store: Store, row_id: int) -> str | None:
    row = store.one("SELECT status FROM outbox WHERE id=?", (row_id,))
    return None if row is None else str(row[0])


def sent_copies(store: Store) -> list[SentCopy]:
    return cast(
        list[SentCopy], store.dicts("SELECT id, kind, recipient, raw FROM outbox WHERE status='sent'")
    )


def rows(store: Store, status: str | None = None) -> list[OutboxRow]:
    """Every row (or those with `status`), in order, without the mail itself."""
    sql = (
        "SELECT id, request_id, kind, template, language, recipient, status, attempts,"
        " last_error, created_at, sent_at FROM outbox"
    )
    params: tuple[str, ...] = ()
    if status:
        sql += " WHERE status=?"
        params = (status,)
    return cast(list[OutboxRow], store.dicts(sql + " ORDER BY id", params))


def retry_state(store: Store, row_id: int) -> RetryState | None:
    row = store.one("SELECT status, redacted FROM outbox WHERE id=?", (row_id,))
    return None if row is None else cast(RetryState, dict(row))


def queue_again(store: Store, row_id: int, expected: str) -> bool:
    """A failed or uncertain row queued again, if its status is still `expected`."""
    return move(store, row_id, expected, {"status": "queued", "attempts": 0, "next_attempt_at": utcnow()})


def has_dedupe_key(store: Store, key: str) -> bool:
    """Whether a mail with this key was queued already (each is queued once)."""
    return store.one("SELECT 1 FROM outbox WHERE dedupe_key=?", (key,)) is not None


def acks_since(
    store: Store, *, since: str, cap: int, mailbox: str | None = None, organisation: str | None = None
) -> int:
    """Acknowledgements queued or sent since `since` to one mailbox or one organisation,
    counted up to `cap` (the limit: past it the exact number changes nothing). The index
    of migration 0017 answers it without reading the outbox rows."""
    column, value = ("rate_mailbox", mailbox) if mailbox is not None else ("rate_organisation", organisation)
    return int(
        store.scalar(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM outbox WHERE kind='ack' AND {column}=?"
            " AND created_at>=? AND status NOT IN ('suppressed') LIMIT ?)",
            (value, since, cap),
        )
    )


def acks_window(store: Store, *, since: str, cap: int) -> tuple[int, int]:
    """(acknowledgements since `since`, counted up to `cap`; the outbox's highest id)."""
    row = store.row(
        "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM outbox WHERE kind='ack' AND created_at>=?"
        " LIMIT ?)), (SELECT COALESCE(MAX(id), 0) FROM outbox)",
        (since, cap),
    )
    return int(row[0]), int(row[1])


def acks_after(store: Store, last_id: int) -> int:
    """Acknowledgements with an id above `last_id`."""
    return int(store.scalar(ACKS_AFTER_SQL, (last_id,)))


def request_of_message_id(store: Store, message_id: str) -> int | None:
    """The request one of our mails (by its Message-ID) was about."""
    row = store.one("SELECT request_id FROM outbox WHERE message_id=?", (message_id,))
    return None if row is None else row[0]


def recipients_of(store: Store, request_id: int) -> list[str]:
    return [r[0] for r in store.query("SELECT recipient FROM outbox WHERE request_id=?", (request_id,))]


def counts_by_kind_status(store: Store) -> dict[tuple[str, str], int]:
    return {
        (r[0], r[1]): r[2]
        for r in store.query("SELECT kind, status, COUNT(*) FROM outbox GROUP BY kind, status")
    }


def oldest_waiting(store: Store) -> tuple[str | None, int]:
    """(created_at of the oldest queued or sending row, how many there are)."""
    row = store.row("SELECT MIN(created_at), COUNT(*) FROM outbox WHERE status IN ('queued','sending')")
    return row[0], int(row[1])


def count(store: Store, *statuses: str) -> int:
    """Rows with one of these statuses."""
    return int(
        store.scalar(
            "SELECT COUNT(*) FROM outbox WHERE status IN (SELECT value FROM json_each(?))",
            (json.dumps(statuses),),
        )
    )


def retrying(store: Store) -> tuple[int, str | None]:
    """(queued rows that failed before and wait for a retry, the latest such error)."""
    row = store.row(
        "SELECT COUNT(*), MAX(last_error) FROM outbox WHERE status='queued' AND last_error IS NOT NULL"
    )
    return int(row[0]), row[1]


def stuck_sending(store: Store, *, started_before: str | None) -> tuple[int, str | None]:
    """(rows being sent since before `started_before`, or since an unknown time; when the
    oldest of them started). None: every row being sent counts."""
    row = store.row(
        "SELECT COUNT(*), MIN(sending_at) FROM outbox WHERE status='sending'"
        " AND (? OR sending_at IS NULL OR sending_at < ?)",
        (started_before is None, started_before or ""),
    )
    return int(row[0]), row[1]


def expiring(store: Store, before: str) -> list[int]:
    """Sent, failed or suppressed mails created before `before` whose copy is still kept."""
    return [
        r[0]
        for r in store.query(
            "SELECT id FROM outbox WHERE redacted IS NULL AND status IN ('sent', 'failed',"
            " 'suppressed') AND created_at < ?",
            (before,),
        )
    ]


def remove_copies(store: Store, ids: list[int], mark: str) -> None:
    """Empty these rows' mail (raw) and say why (`redacted`)."""
    store.conn.execute(
        "UPDATE outbox SET raw=x'', redacted=? WHERE id IN (SELECT value FROM json_each(?))",
        (mark, json.dumps(ids)),
    )
