"""The roster of member organisations (intake/members.py, the membership stage, triage).
See docs/design.md, "Persistence"."""

from __future__ import annotations

import json
from typing import Any, cast

from intake.rows import MemberRow
from intake.store import Store


def members(store: Store) -> list[MemberRow]:
    """Every member organisation, by name."""
    return cast(list[MemberRow], store.dicts("SELECT * FROM members ORDER BY organisation"))


def member(store: Store, organisation: str) -> MemberRow | None:
    row = store.one("SELECT * FROM members WHERE organisation=?", (organisation,))
    return None if row is None else cast(MemberRow, dict(row))


def set_addresses(
    store: Store, organisation: str, *, domains: list[str], contacts: list[str], at: str
) -> None:
    """An organisation's domains and contact addresses (sorted JSON lists)."""
    store.conn.execute(
        "UPDATE members SET domains=?, contact_emails=?, updated_at=? WHERE organisation=?",
        (json.dumps(sorted(domains)), json.dumps(sorted(contacts)), at, organisation),
    )


def apply_roster(store: Store, *, removed: list[str], upserted: list[dict[str, Any]]) -> None:
    """Removed organisations deleted, the others inserted or updated by name (sqlite-utils
    stores their domain and address lists as JSON); in the caller's transaction."""
    table = store.db.table("members")
    for organisation in removed:
        table.delete_where("organisation = ?", [organisation])
    table.upsert_all(upserted, pk="organisation")


def contacts(store: Store) -> list[tuple[int, str]]:
    """(member id, contact addresses as JSON) of every organisation."""
    return [(r[0], r[1]) for r in store.query("SELECT id, contact_emails FROM members")]


def contacts_of(store: Store, member_id: int) -> str | None:
    """The contact addresses (JSON) of one organisation."""
    row = store.one("SELECT contact_emails FROM members WHERE id=?", (member_id,))
    return None if row is None else row[0]
