"""Deliveries: where each stored message came from, and whether it was filed away there.
See docs/design.md, "Persistence"."""

from __future__ import annotations

from intake.store import Store


def unfiled_of(store: Store, message_pk: int, inbox: str) -> list[int]:
    """The ids of the message's deliveries to `inbox` not yet filed away."""
    return [
        r[0]
        for r in store.query(
            "SELECT id FROM deliveries WHERE message_pk=? AND inbox=? AND filed_at IS NULL",
            (message_pk, inbox),
        )
    ]
