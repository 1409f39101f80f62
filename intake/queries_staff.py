"""The SQL behind the desk's account administration (intake/staff_admin.py): accounts as
typed rows, without their password hashes."""

from __future__ import annotations

from dataclasses import dataclass

from intake.store import Store


@dataclass(frozen=True)
class StaffRow:
    """An account as an admin sees it: never its password hash, only whether it has one."""

    id: int
    name: str
    role: str
    group_id: str | None
    disabled: bool
    has_password: bool
    created_at: str
    last_login: str | None


_STAFF_SQL = (
    "SELECT s.id, s.name, s.role, s.group_id, s.disabled, s.password_hash IS NOT NULL AS has_password,"
    " s.created_at, (SELECT MAX(e.at) FROM events e WHERE e.kind='login' AND e.actor=s.name) AS last_login"
    " FROM staff s"
)


def _row(row: object) -> StaffRow:
    values = dict(row)  # type: ignore[call-overload]
    values["disabled"] = bool(values["disabled"])
    values["has_password"] = bool(values["has_password"])
    return StaffRow(**values)


def staff_rows(store: Store) -> list[StaffRow]:
    return [_row(r) for r in store.query(f"{_STAFF_SQL} ORDER BY s.name")]


def staff_row(store: Store, account_id: int) -> StaffRow | None:
    row = store.one(f"{_STAFF_SQL} WHERE s.id=?", (account_id,))
    return None if row is None else _row(row)


def enabled_admins(store: Store) -> int:
    """How many accounts can still administer the desk."""
    return int(store.one("SELECT COUNT(*) FROM staff WHERE role='admin' AND disabled=0")[0])  # type: ignore[index]


def set_disabled(store: Store, account_id: int, disabled: bool) -> None:
    store.conn.execute("UPDATE staff SET disabled=? WHERE id=?", (int(disabled), account_id))


def set_role(store: Store, account_id: int, role: str, group_id: str | None) -> None:
    store.conn.execute("UPDATE staff SET role=?, group_id=? WHERE id=?", (role, group_id, account_id))


def set_password_hash(store: Store, account_id: int, password_hash: str) -> None:
    store.conn.execute("UPDATE staff SET password_hash=? WHERE id=?", (password_hash, account_id))


def end_sessions(store: Store, account_id: int) -> int:
    """End every web session of the account at once; returns how many there were."""
    return store.conn.execute("DELETE FROM web_sessions WHERE account_id=?", (account_id,)).rowcount


def account_events(store: Store, name: str, limit: int = 50) -> list[dict[str, object]]:
    """The audit trail of an account's administration: who changed what, when (newest first)."""
    rows = store.event_rows(
        "e.kind IN ('staff_added', 'staff_disabled', 'staff_enabled', 'staff_role_set',"
        " 'staff_password_set', 'staff_password_reset') AND json_extract(e.detail, '$.name') = ?",
        (name,),
    )
    return list(reversed(rows))[:limit]
