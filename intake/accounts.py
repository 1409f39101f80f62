"""Staff and facilitator accounts: scrypt password hashes, roles, login throttling."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from intake import queries_staff
from intake.store import Store, utcnow

ROLES = ("staff", "facilitator", "admin")  # an admin is staff who also manages accounts
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 10


class AccountError(Exception):
    """An account action that cannot be done; one line for the user."""


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    role: str
    group_id: str | None

    @property
    def is_facilitator(self) -> bool:
        return self.role == "facilitator"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        # same work as a real check, so timing does not reveal unknown names
        hashlib.scrypt(b"x", salt=b"0" * 16, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
        return False
    _, n, r, p, salt, digest = stored.split("$")
    computed = hashlib.scrypt(
        password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(computed, base64.b64decode(digest))


def add(
    store: Store, name: str, role: str, group: str | None, password: str | None, *, actor: str = "admin"
) -> Account:
    if role not in ROLES:
        raise AccountError(f"role must be one of: {', '.join(ROLES)}")
    if role == "facilitator" and not group:
        raise AccountError("a facilitator needs --group (the group they facilitate)")
    if not name or not name.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise AccountError("names are letters, digits, '.', '-' and '_'")
    if queries_staff.name_taken(store, name):
        raise AccountError(f"an account named {name!r} exists; use `intake staff passwd {name}`")
    if password is not None:
        _check_strength(password)
    with store.transaction():
        pk = store.insert(
            "staff",
            {
                "name": name,
                "role": role,
                "group_id": group if role == "facilitator" else None,
                "password_hash": hash_password(password) if password else None,
                "created_at": utcnow(),
                "disabled": 0,
            },
        )
        store.event("staff_added", actor=actor, name=name, role=role, group=group)
    return Account(pk, name, role, group if role == "facilitator" else None)


def set_password(store: Store, name: str, password: str, *, actor: str = "admin") -> None:
    if not queries_staff.name_taken(store, name):
        raise AccountError(f"no account named {name!r}; add it with `intake staff add`")
    _check_strength(password)
    with store.transaction():
        queries_staff.set_password_hash_by_name(store, name, hash_password(password))
        ended = end_sessions(store, name)
        store.event("staff_password_set", actor=actor, name=name, sessions_ended=ended)


def _check_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")


def _account(row: queries_staff.Credentials) -> Account:
    return Account(row["id"], row["name"], row["role"], row["group_id"])


def authenticate(store: Store, name: str, password: str) -> Account | None:
    row = queries_staff.enabled_by_name(store, name)
    if not verify_password(password, row["password_hash"] if row else None) or row is None:
        return None
    return _account(row)


def load(store: Store, account_id: int) -> Account | None:
    row = queries_staff.enabled_by_id(store, account_id)
    return None if row is None else _account(row)


# -- web sessions: kept on the server, so that logout and a new password end them ---------


def _id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start_session(store: Store, account: Account, hours: float) -> str:
    """A new session id for the cookie; the database keeps only its hash."""
    session_id = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with store.transaction():
        queries_staff.delete_expired_sessions(store, _stamp(now))
        store.insert(
            "web_sessions",
            {
                "id_hash": _id_hash(session_id),
                "account_id": account.id,
                "created_at": _stamp(now),
                "expires_at": _stamp(now + timedelta(hours=hours)),
            },
        )
        store.event("login", actor=account.name)
    return session_id


def session_account(store: Store, session_id: str | None) -> Account | None:
    """The account of a live session; None if ended, expired, or the account is disabled."""
    if not session_id:
        return None
    row = queries_staff.session_owner(store, _id_hash(session_id), _stamp(datetime.now(UTC)))
    return None if row is None else _account(row)


def end_session(store: Store, session_id: str | None) -> None:
    if session_id:
        with store.transaction():
            queries_staff.delete_session(store, _id_hash(session_id))


def end_sessions(store: Store, name: str) -> int:
    """End every session of an account (password changed, account disabled)."""
    return queries_staff.end_sessions_named(store, name)


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S")


def list_accounts(store: Store) -> list[dict]:
    """The accounts as `intake staff list --json` prints them (its field names are an interface)."""
    return [
        {
            "name": r.name,
            "role": r.role,
            "group": r.group_id,
            "has_password": r.has_password,
            "disabled": r.disabled,
        }
        for r in queries_staff.staff_rows(store)
    ]


class LoginThrottle:
    """Failed logins per (name, address) and per address, in a sliding window.

    At most `limit` failures per name from one address, and `per_address` failures from
    one address across all names (a spray over many names is stopped as well). Memory is
    bounded: entries older than the window are forgotten, and beyond `max_keys` entries
    the least recently failed are dropped first."""

    def __init__(
        self, limit: int = 5, window: float = 900.0, per_address: int = 20, max_keys: int = 10_000
    ) -> None:
        self.limit, self.window, self.per_address = limit, window, per_address
        self.max_keys = max_keys
        self.failures: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()
        self.lock = threading.Lock()

    def _count(self, key: tuple[str, str], now: float) -> int:
        times = self.failures.get(key)
        return sum(1 for t in times if now - t < self.window) if times else 0

    def blocked(self, name: str, address: str) -> bool:
        now = time.monotonic()
        with self.lock:
            return (
                self._count((name.lower(), address), now) >= self.limit
                or self._count(("", address), now) >= self.per_address
            )

    def failed(self, name: str, address: str) -> None:
        now = time.monotonic()
        with self.lock:
            for key, keep in (((name.lower(), address), self.limit), (("", address), self.per_address)):
                times = self.failures.pop(key, None) or deque(maxlen=keep)
                times.append(now)
                self.failures[key] = times  # now the most recent entry
            while self.failures:  # forget the oldest: expired, or beyond max_keys
                oldest = next(iter(self.failures.values()))
                if len(self.failures) <= self.max_keys and now - oldest[-1] < self.window:
                    break
                self.failures.popitem(last=False)

    def succeeded(self, name: str, address: str) -> None:
        with self.lock:
            self.failures.pop((name.lower(), address), None)
