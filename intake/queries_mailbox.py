"""The mail servers' side: checkpoints per inbox and folder (how far intake has read, how
the last poll went) and deliveries (where each stored message came from, and whether it
was filed away there). Storing the raw bytes with their deliveries stays in
Store.store_batch: "store before acting" is kept in one place. See docs/design.md,
"Persistence"."""

from __future__ import annotations

from typing import TypedDict, cast

from intake.rows import CheckpointRow
from intake.store import Store, utcnow

# handled deliveries not yet filed away (their message went through the stages)
_UNFILED = (
    "FROM deliveries d JOIN messages m ON m.id = d.message_pk"
    " WHERE d.inbox=? AND d.filed_at IS NULL AND m.status != 'stored'"
)


class Unfiled(TypedDict):
    id: int
    uid: int


# -- checkpoints ----------------------------------------------------------------------------------


def checkpoint(store: Store, inbox: str, folder: str) -> CheckpointRow | None:
    row = store.one("SELECT * FROM checkpoints WHERE inbox=? AND folder=?", (inbox, folder))
    return None if row is None else cast(CheckpointRow, dict(row))


def set_checkpoint(
    store: Store, inbox: str, folder: str, uidvalidity: int, last_uid: int, uidnext: int | None = None
) -> None:
    store.conn.execute(
        "INSERT INTO checkpoints (inbox, folder, uidvalidity, last_uid, uidnext)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT(inbox, folder) DO UPDATE SET"
        " uidvalidity=excluded.uidvalidity, last_uid=excluded.last_uid,"
        " uidnext=COALESCE(excluded.uidnext, checkpoints.uidnext)",
        (inbox, folder, uidvalidity, last_uid, uidnext),
    )


def record_poll(store: Store, inbox: str, folder: str, *, error: str | None) -> None:
    """How a poll went (stands alone: in a transaction of its own)."""
    now = utcnow()
    row = checkpoint(store, inbox, folder)
    with store.transaction():
        if row is None:
            store.conn.execute(
                "INSERT INTO checkpoints (inbox, folder, uidvalidity, last_uid) VALUES (?, ?, 0, 0)",
                (inbox, folder),
            )
        if error is None:
            store.conn.execute(
                "UPDATE checkpoints SET last_poll_at=?, last_ok_at=?, last_error=NULL,"
                " failures=0 WHERE inbox=? AND folder=?",
                (now, now, inbox, folder),
            )
        else:
            store.conn.execute(
                "UPDATE checkpoints SET last_poll_at=?, last_error=?, failures=failures+1"
                " WHERE inbox=? AND folder=?",
                (now, error, inbox, folder),
            )


# -- filing away ------------------------------------------------------------------------------------


def unfiled_deliveries(
    store: Store, inbox: str, folder: str, uidvalidity: int, limit: int = 500
) -> list[Unfiled]:
    """Deliveries whose message is fully handled but not yet flagged/moved on the
    server, lowest UIDs first, `limit` at a time."""
    return cast(
        list[Unfiled],
        store.dicts(
            f"SELECT d.id, d.uid {_UNFILED} AND d.folder=? AND d.uidvalidity=? ORDER BY d.uid LIMIT ?",
            (inbox, folder, uidvalidity, limit),
        ),
    )


def has_unfiled(store: Store, inbox: str) -> bool:
    """Whether filing away needs a connection to this inbox at all."""
    return store.one(f"SELECT 1 {_UNFILED} LIMIT 1", (inbox,)) is not None


def unfiled_of(store: Store, message_pk: int, inbox: str) -> list[int]:
    """The ids of the message's deliveries to `inbox` not yet filed away."""
    return [
        r[0]
        for r in store.query(
            "SELECT id FROM deliveries WHERE message_pk=? AND inbox=? AND filed_at IS NULL",
            (message_pk, inbox),
        )
    ]


def mark_filed(store: Store, delivery_ids: list[int], action: str) -> None:
    """These deliveries were flagged or moved on the server (stands alone: in a transaction
    of its own, a savepoint inside the caller's)."""
    now = utcnow()
    with store.transaction():
        store.conn.executemany(
            "UPDATE deliveries SET filed_at=?, file_action=? WHERE id=?",
            [(now, action, i) for i in delivery_ids],
        )


def mark_handled_before(store: Store, message_pks: list[int], mark: str) -> None:
    """These new messages already carried our handled flag on the server: intake
    handled them once before (the database that knew it was lost or restored from an
    older backup), so nothing is sent about them again. Inside the caller's storing
    transaction, before any stage runs."""
    store.conn.executemany(
        "UPDATE messages SET handled_mark=? WHERE id=? AND status='stored'",
        [(mark, pk) for pk in message_pks],
    )
