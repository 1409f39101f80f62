"""Counts for `intake status`, /healthz and /metrics (intake/health.py, intake/metrics.py).
See docs/design.md, "Persistence"."""

from __future__ import annotations

from typing import cast

from intake.rows import CheckpointRow
from intake.store import Store


def ping(store: Store) -> None:
    """A read of intake's own table: raises when the database is unreachable or not ours."""
    store.scalar("SELECT COUNT(*) FROM _migrations")


def messages(store: Store, status: str | None = None) -> int:
    """Messages stored (with this status, if given)."""
    if status is None:
        return int(store.scalar("SELECT COUNT(*) FROM messages"))
    return int(store.scalar("SELECT COUNT(*) FROM messages WHERE status=?", (status,)))


def requests(store: Store) -> int:
    return int(store.scalar("SELECT COUNT(*) FROM requests"))


def triage_size(store: Store) -> int:
    """Requests waiting for a person (triage, shunted)."""
    return int(store.scalar("SELECT COUNT(*) FROM requests WHERE status IN ('triage','shunted')"))


def outbox_count(store: Store, *statuses: str) -> int:
    """Outgoing mails in any of these states."""
    marks = ",".join("?" * len(statuses))
    return int(store.scalar(f"SELECT COUNT(*) FROM outbox WHERE status IN ({marks})", statuses))


def oldest_triage_received(store: Store) -> str | None:
    """When the longest-waiting request in triage was received (its first mail's arrival)."""
    value = store.scalar(
        "SELECT MIN(COALESCE(m.internal_date, r.created_at)) FROM requests r"
        " JOIN messages m ON m.id=r.first_message WHERE r.status='triage'"
    )
    return None if value is None else str(value)


def arrivals(store: Store) -> list[tuple[str | None, str | None]]:
    """(group, received) of every request that was not ignored: the overview's weekly chart."""
    return [
        (row["group_id"], row["at"])
        for row in store.query(
            "SELECT r.group_id, COALESCE(m.internal_date, r.created_at) AS at"
            " FROM requests r JOIN messages m ON m.id = r.first_message"
            " WHERE r.status != 'ignored'"
        )
    ]


def checkpoints(store: Store) -> list[CheckpointRow]:
    """Every inbox's and folder's checkpoint: how far intake has read, how the last poll went."""
    return cast(list[CheckpointRow], store.dicts("SELECT * FROM checkpoints ORDER BY inbox"))
