"""Counts for `intake status`, /healthz and /metrics (intake/health.py, intake/metrics.py).
See docs/design.md, "Persistence"."""

from __future__ import annotations

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
