"""Account administration from the desk (admins only; docs/desk.md): add staff and
facilitators, disable and enable them, reset passwords, set roles.

Every change is an event naming the admin (who), the account and the change (what), with
its time (when). Two rules keep the desk administrable: an admin cannot disable their own
account, and the last enabled admin can be neither disabled nor given another role.
Disabling an account or resetting its password ends its sessions at once.

A password reset sets a temporary password made by intake (shown once to the admin, who
passes it on by another channel), never one the admin types; stored hashes are never shown.
"""

from __future__ import annotations

import secrets

from intake import accounts, queries_staff
from intake.accounts import ROLES, Account, AccountError
from intake.queries_staff import StaffRow
from intake.rulebook import Rulebook
from intake.store import Store

TEMPORARY_WORDS = 4  # 4 x 5 characters from a 32-letter alphabet: 100 bits
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # nothing that reads as another letter


def temporary_password() -> str:
    """A random password that can be read out on the phone: xkq4m-7hp2a-..."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(TEMPORARY_WORDS))


def _target(store: Store, account_id: int) -> StaffRow:
    row = queries_staff.staff_row(store, account_id)
    if row is None:
        raise AccountError(f"no account {account_id}")
    return row


def _check_group(rules: Rulebook, role: str, group: str | None) -> str | None:
    if role not in ROLES:
        raise AccountError(f"role must be one of: {', '.join(ROLES)}")
    if role != "facilitator":
        return None
    if not group:
        raise AccountError("a facilitator needs the group they facilitate")
    found = rules.group(group)
    if found is None:
        raise AccountError(f"unknown group {group!r}")
    return found.id


def add_account(
    store: Store, rules: Rulebook, admin: Account, name: str, role: str, group: str | None
) -> tuple[Account, str]:
    """A new account with a temporary password; returns it and the password (shown once)."""
    password = temporary_password()
    account = accounts.add(
        store, name.strip(), role, _check_group(rules, role, group), password, actor=admin.name
    )
    return account, password


def set_disabled(store: Store, admin: Account, account_id: int, disabled: bool) -> StaffRow:
    """Disable (its sessions end at once; it cannot log in) or enable an account."""
    target = _target(store, account_id)
    if disabled and target.id == admin.id:
        raise AccountError("you cannot disable your own account; ask another admin")
    if target.disabled == disabled:
        return target
    with store.transaction():
        if disabled and target.role == "admin" and queries_staff.enabled_admins(store) <= 1:
            raise AccountError(f"{target.name} is the last admin; make another admin first")
        queries_staff.set_disabled(store, account_id, disabled)
        ended = queries_staff.end_sessions(store, account_id) if disabled else 0
        store.event(
            "staff_disabled" if disabled else "staff_enabled",
            actor=admin.name,
            name=target.name,
            sessions_ended=ended,
        )
    return _target(store, account_id)


def set_role(
    store: Store, rules: Rulebook, admin: Account, account_id: int, role: str, group: str | None
) -> StaffRow:
    """Give an account a role (and a facilitator their group)."""
    target = _target(store, account_id)
    group_id = _check_group(rules, role, group)
    if (target.role, target.group_id) == (role, group_id):
        return target
    with store.transaction():
        if (
            target.role == "admin"
            and role != "admin"
            and not target.disabled
            and queries_staff.enabled_admins(store) <= 1
        ):
            raise AccountError(f"{target.name} is the last admin; make another admin first")
        queries_staff.set_role(store, account_id, role, group_id)
        store.event(
            "staff_role_set",
            actor=admin.name,
            name=target.name,
            role=role,
            group=group_id,
            previous_role=target.role,
            previous_group=target.group_id,
        )
    return _target(store, account_id)


def reset_password(store: Store, admin: Account, account_id: int) -> str:
    """A new temporary password for the account (its sessions end); returned once."""
    target = _target(store, account_id)
    password = temporary_password()
    with store.transaction():
        queries_staff.set_password_hash(store, account_id, accounts.hash_password(password))
        ended = queries_staff.end_sessions(store, account_id)
        store.event("staff_password_reset", actor=admin.name, name=target.name, sessions_ended=ended)
    return password


def change_own_password(store: Store, account: Account, current: str, new: str, repeated: str) -> None:
    """Anyone's own password, after the current one (how a temporary password is replaced).
    Every session of the account ends; the caller starts a fresh one."""
    if accounts.authenticate(store, account.name, current) is None:
        raise AccountError("the current password is wrong")
    if new != repeated:
        raise AccountError("the two new passwords differ")
    if new == current:
        raise AccountError("the new password is the current one")
    accounts.set_password(store, account.name, new, actor=account.name)
