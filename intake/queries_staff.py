"""The SQL behind desk accounts: their administration (intake/staff_admin.py) as typed rows
without password hashes, and logins and web sessions (intake/accounts.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict, cast

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


# -- logins and web sessions (intake/accounts.py) ------------------------------------------


class Credentials(TypedDict):
    """An account as a login checks it: with its password hash (None: no password set)."""

    id: int
    name: str
    role: str
    group_id: str | None
    password_hash: str | None


_CREDENTIALS_SQL = "SELECT s.id, s.name, s.role, s.group_id, s.password_hash FROM staff s"


def name_taken(store: Store, name: str) -> bool:
    return store.one("SELECT 1 FROM staff WHERE name=?", (name,)) is not None


def enabled_by_name(store: Store, name: str) -> Credentials | None:
    row = store.one(f"{_CREDENTIALS_SQL} WHERE s.name=? AND s.disabled=0", (name,))
    return None if row is None else cast(Credentials, dict(row))


def enabled_by_id(store: Store, account_id: int) -> Credentials | None:
    row = store.one(f"{_CREDENTIALS_SQL} WHERE s.id=? AND s.disabled=0", (account_id,))
    return None if row is None else cast(Credentials, dict(row))


def enabled_accounts(store: Store) -> list[Credentials]:
    """Every account that is not disabled, by name."""
    return cast(list[Credentials], store.dicts(f"{_CREDENTIALS_SQL} WHERE s.disabled=0 ORDER BY s.name"))


def set_password_hash_by_name(store: Store, name: str, password_hash: str) -> None:
    store.conn.execute("UPDATE staff SET password_hash=? WHERE name=?", (password_hash, name))


def session_owner(store: Store, id_hash: str, now: str) -> Credentials | None:
    """The enabled account of a session that has not expired at `now`."""
    row = store.one(
        f"{_CREDENTIALS_SQL} JOIN web_sessions w ON s.id = w.account_id"
        " WHERE w.id_hash=? AND w.expires_at >= ? AND s.disabled=0",
        (id_hash, now),
    )
    return None if row is None else cast(Credentials, dict(row))


def delete_expired_sessions(store: Store, now: str) -> None:
    store.conn.execute("DELETE FROM web_sessions WHERE expires_at < ?", (now,))


def delete_session(store: Store, id_hash: str) -> None:
    store.conn.execute("DELETE FROM web_sessions WHERE id_hash=?", (id_hash,))


def end_sessions_named(store: Store, name: str) -> int:
    """End every web session of the account with this name; returns how many there were."""
    return store.conn.execute(
        "DELETE FROM web_sessions WHERE account_id IN (SELECT id FROM staff WHERE name=?)", (name,)
    ).rowcount
