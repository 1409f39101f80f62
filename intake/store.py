"""SQLite access through sqlite-utils: the only module that writes SQL.

Why one module: every invariant ("store before acting", "one transaction per
message", "events are append-only") is easiest to check when all writes live
in one file.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import secrets
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from intake.message_key import message_key
from intake.paths import default_dir

MIGRATIONS_DIR = default_dir("migrations")
_EVENT_SQL = "INSERT INTO events (at, actor, kind, message_pk, request_id, detail) VALUES (?, ?, ?, ?, ?, ?)"
# Event details that may name or describe a person: kept in event_personal beside the
# append-only events row, so that an erasure can replace them (docs/privacy.md). The
# same list is in db/migrations/0009_privacy.sql.
PERSONAL_KEYS = frozenset(
    {
        "recipient",
        "note",
        "added",
        "reason",
        "would_have_been",
        "triage_reason",
        "traceback",
        "evidence",
        "sender",
        "email",
    }
)


def utcnow() -> str:
    """Now in UTC as stored everywhere: 2026-11-26T01:02:03.456789Z (always microseconds,
    so stamps sort as text)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class StoreError(Exception):
    """The database cannot be opened or written; printed as one line."""


class DatabaseUnusable(StoreError):
    """The file itself is wrong (empty, not intake's, damaged): restarting cannot help,
    a person restores a backup or points the config at the right file."""


RESTORE_HINT = "stop the service and restore the last good backup (see docs/reliability.md)"


def is_damage(exc: sqlite3.DatabaseError) -> bool:
    """Whether SQLite says the file itself is bad (corrupt, or not a database), as
    opposed to a lock, a full disk or a constraint."""
    return getattr(exc, "sqlite_errorname", "").startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB"))


def unusable(path: Path, exc: sqlite3.DatabaseError) -> DatabaseUnusable:
    """One line for an error SQLite raised about the file itself."""
    return DatabaseUnusable(f"database {path} is damaged or not a database ({exc}); {RESTORE_HINT}")


class Store:
    """A handle on the intake database. Cheap to open; one per process or thread."""

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 30_000) -> None:
        self.path = Path(path)
        if self.path.is_file() and self.path.stat().st_size == 0:
            # SQLite would take it for a new database and intake would handle every mail on
            # the server again; a fresh database is a missing file, never an empty one
            raise DatabaseUnusable(
                f"database {self.path} is an empty file (0 bytes), as a failed restore leaves;"
                f" restore the backup, or delete the file to start a new database"
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # one thread at a time uses a Store; it may be handed to a service thread
            conn = sqlite3.connect(str(self.path), timeout=busy_timeout_ms / 1000, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from None
        self.db = sqlite_utils.Database(conn)
        self.conn = conn
        self.conn.row_factory = sqlite3.Row
        self.conn.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        try:
            self._check_ours()  # before WAL mode is set: a wrong file is left untouched
            self.conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            conn.close()
            raise  # locked: the caller's usual handling
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise unusable(self.path, exc) from None
        except DatabaseUnusable:
            conn.close()
            raise
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        # removed content (retention, erasure) is overwritten with zeros, not left in
        # free pages of the file (docs/privacy.md)
        self.conn.execute("PRAGMA secure_delete=ON")
        self._memo: dict[str, Any] = {}
        self._depth = 0

    def close(self) -> None:
        self.conn.close()

    # -- transactions and migrations -------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Store]:
        """BEGIN IMMEDIATE so two writers queue on the busy timeout instead of failing."""
        if self.conn.in_transaction:
            with self._savepoint():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._memo.clear()
        try:
            yield self
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    @contextlib.contextmanager
    def _savepoint(self) -> Iterator[None]:
        """A nested transaction, named by its depth."""
        self._depth += 1
        try:
            name = f"intake_{self._depth}"
            self.conn.execute(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                if self.conn.in_transaction:  # an error may have ended the whole transaction
                    self.conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                    self.conn.execute(f"RELEASE SAVEPOINT {name}")
                raise
            self.conn.execute(f"RELEASE SAVEPOINT {name}")
        finally:
            self._depth -= 1

    def per_transaction(self, key: str, compute: Callable[[], Any]) -> Any:
        """A value computed once per write transaction: inside BEGIN IMMEDIATE nobody
        else writes, so it only changes by what this transaction itself writes."""
        if not self.conn.in_transaction:
            return compute()
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def quick_check(self) -> str | None:
        """SQLite's PRAGMA quick_check (reads every page and b-tree once, without the
        slower index-content checks of integrity_check): None when the file is sound, else
        what is wrong, in one line."""
        try:
            found = [r[0] for r in self.conn.execute("PRAGMA quick_check(5)")]
        except sqlite3.OperationalError:
            raise
        except sqlite3.DatabaseError as exc:
            return str(exc)
        if found == ["ok"]:
            return None
        return " ".join(" ".join(found).split())[:300]  # one line, whatever SQLite wrote

    def check_sound(self) -> None:
        """Raise DatabaseUnusable when quick_check finds damage."""
        problem = self.quick_check()
        if problem:
            raise DatabaseUnusable(
                f"database {self.path} is damaged (quick_check: {problem}); {RESTORE_HINT}"
            )

    def _check_ours(self) -> None:
        """A database with tables but no record of intake's migrations is someone else's
        (a wrong path in the config): refused rather than migrated into."""
        has_record = self.one("SELECT 1 FROM sqlite_master WHERE name='_migrations'")
        others = self.one("SELECT COUNT(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")[0]
        if not has_record and others:
            raise DatabaseUnusable(
                f"database {self.path} is not an intake database (it has"
                f" {others} tables of something else); check service.database"
                f" in the config"
            )

    def migrate(self) -> list[str]:
        """Apply db/migrations/*.sql in order, each once, recording it."""
        self.conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
        done = {r[0] for r in self.conn.execute("SELECT name FROM _migrations")}
        applied = []
        for script in sorted(MIGRATIONS_DIR.glob("*.sql")):
            if script.name in done:
                continue
            with self.transaction():
                for statement in _split_sql(script.read_text(encoding="utf-8")):
                    self.conn.execute(statement)
                self.conn.execute(
                    "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                    (script.name, utcnow()),
                )
            applied.append(script.name)
        return applied

    def compact(self, *, vacuum: bool) -> bool:
        """After content was removed: rebuild the file (VACUUM, if asked) and copy the
        write-ahead log into it and empty it (checkpoint TRUNCATE), so that removed data
        is in neither file. False when another connection's open read kept the log from
        being emptied (run again when it is idle)."""
        if vacuum:
            self.conn.execute("VACUUM")
        busy, _, _ = self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return busy == 0

    # -- generic helpers --------------------------------------------------------------

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        return list(self.conn.execute(sql, params))

    def one(self, sql: str, params: tuple | dict = ()) -> sqlite3.Row | None:
        return self.conn.execute(sql, params).fetchone()

    def update(self, table: str, pk: int, values: dict[str, Any]) -> None:
        """UPDATE by primary key. Table and column names come from our code, never input."""
        self.conn.execute(_update_sql(table, tuple(values)), (*values.values(), pk))

    def insert(self, table: str, values: dict[str, Any]) -> int:
        cursor = self.conn.execute(_insert_sql(table, tuple(values)), tuple(values.values()))
        return int(cursor.lastrowid)

    def insert_request(self, values: dict[str, Any]) -> int:
        """A new request row with its token (IG-<id>-<random>) written at once. Inside the
        write transaction nobody else inserts, so the next id is known before the INSERT.
        The random part keeps a token from being guessed from its neighbour's."""
        request_id = self._next_id("requests")
        token = f"IG-{request_id}-{secrets.token_hex(4)}"
        return self.insert("requests", {"id": request_id, "token": token, **values})

    def _next_id(self, table: str) -> int:
        """The id the next row of `table` gets. Only inside a write transaction, where
        nobody else inserts."""
        return self.one(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {_ident(table)}")[0]

    def event(
        self,
        kind: str,
        /,
        *,
        actor: str = "service",
        message_pk: int | None = None,
        request_id: int | None = None,
        **detail: Any,
    ) -> None:
        """Append to the audit trail. Callers pass facts, never secrets or bodies. Details
        under PERSONAL_KEYS go to event_personal (see there); read both with event_rows."""
        personal = {k: detail.pop(k) for k in list(detail) if k in PERSONAL_KEYS}
        cursor = self.conn.execute(
            _EVENT_SQL,
            (
                utcnow(),
                actor,
                kind,
                message_pk,
                request_id,
                json.dumps(detail, default=str, ensure_ascii=False),
            ),
        )
        if personal:
            self.conn.execute(
                "INSERT INTO event_personal (event_id, data) VALUES (?, ?)",
                (cursor.lastrowid, json.dumps(personal, default=str, ensure_ascii=False)),
            )

    def event_rows(self, where: str, params: tuple = (), *, limit: int = -1) -> list[dict[str, Any]]:
        """Events matching `where` (SQL on events e), oldest first (at most `limit`; -1: all),
        each with its detail and its personal details merged back into one dict."""
        rows = self.query(
            "SELECT e.*, p.data AS personal FROM events e LEFT JOIN"
            f" event_personal p ON p.event_id = e.id WHERE {where} ORDER BY e.id"
            " LIMIT ?",
            (*params, limit),
        )
        found = []
        for row in rows:
            detail = json.loads(row["detail"] or "{}")
            detail.update(json.loads(row["personal"] or "{}"))
            found.append(
                {
                    "id": row["id"],
                    "at": row["at"],
                    "actor": row["actor"],
                    "kind": row["kind"],
                    "message_pk": row["message_pk"],
                    "request_id": row["request_id"],
                    "detail": detail,
                }
            )
        return found

    # -- checkpoints and deliveries ---------------------------------------------------

    def checkpoint(self, inbox: str, folder: str) -> sqlite3.Row | None:
        return self.one("SELECT * FROM checkpoints WHERE inbox=? AND folder=?", (inbox, folder))

    def set_checkpoint(
        self, inbox: str, folder: str, uidvalidity: int, last_uid: int, uidnext: int | None = None
    ) -> None:
        self.conn.execute(
            "INSERT INTO checkpoints (inbox, folder, uidvalidity, last_uid, uidnext)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT(inbox, folder) DO UPDATE SET"
            " uidvalidity=excluded.uidvalidity, last_uid=excluded.last_uid,"
            " uidnext=COALESCE(excluded.uidnext, checkpoints.uidnext)",
            (inbox, folder, uidvalidity, last_uid, uidnext),
        )

    def record_poll(self, inbox: str, folder: str, *, error: str | None) -> None:
        now = utcnow()
        row = self.checkpoint(inbox, folder)
        with self.transaction():
            if row is None:
                self.conn.execute(
                    "INSERT INTO checkpoints (inbox, folder, uidvalidity, last_uid) VALUES (?, ?, 0, 0)",
                    (inbox, folder),
                )
            if error is None:
                self.conn.execute(
                    "UPDATE checkpoints SET last_poll_at=?, last_ok_at=?, last_error=NULL,"
                    " failures=0 WHERE inbox=? AND folder=?",
                    (now, now, inbox, folder),
                )
            else:
                self.conn.execute(
                    "UPDATE checkpoints SET last_poll_at=?, last_error=?, failures=failures+1"
                    " WHERE inbox=? AND folder=?",
                    (now, error, inbox, folder),
                )

    def store_delivery(
        self, *, inbox: str, folder: str, uidvalidity: int, uid: int, raw: bytes, internal_date: str | None
    ) -> tuple[int, bool]:
        """Store one delivery (see store_batch) in a transaction of its own."""
        with self.transaction():
            return self.store_batch(
                inbox=inbox, folder=folder, uidvalidity=uidvalidity, fetched=[(uid, raw, internal_date)]
            )[0]

    def store_batch(
        self, *, inbox: str, folder: str, uidvalidity: int, fetched: list[tuple[int, bytes, str | None]]
    ) -> list[tuple[int, bool]]:
        """Store raw bytes and deliveries of (uid, raw, internal date), and advance the
        checkpoint; the caller's transaction makes it atomic.

        Returns (message pk, whether the message was new) per item. A message seen
        again (other inbox, a re-scan after UIDVALIDITY changed, twice in one batch)
        adds only a delivery row; a delivery already stored adds nothing. Each table is
        written with one statement for the whole batch: a FETCH batch of 500 is 500
        rows of four tables, not 3,500 statements.
        """
        if not fetched:
            return []
        uids = [uid for uid, _, _ in fetched]
        known = dict(
            self.conn.execute(
                "SELECT uid, message_pk FROM deliveries WHERE inbox=? AND folder=? AND"
                " uidvalidity=? AND uid BETWEEN ? AND ?",
                (inbox, folder, uidvalidity, min(uids), max(uids)),
            ).fetchall()
        )
        keyed = {uid: message_key(raw) for uid, raw, _ in fetched if uid not in known}
        pks = self._message_pks([key for key, _ in keyed.values()])
        next_pk = self._next_id("messages")
        now = utcnow()
        messages, raws, deliveries, events, result = [], [], [], [], []
        for uid, raw, internal_date in fetched:
            if uid in known:
                result.append((known[uid], False))
                continue
            key, message_id = keyed[uid]
            is_new = key not in pks
            if is_new:
                pks[key] = pk = next_pk
                next_pk += 1
                messages.append(
                    (pk, key, message_id, len(raw), hashlib.sha256(raw).hexdigest(), now, internal_date)
                )
                raws.append((pk, raw))
            pk = pks[key]
            known[uid] = pk  # the same uid twice in one batch is one delivery
            deliveries.append((pk, inbox, folder, uidvalidity, uid, now))
            detail = {"inbox": inbox, "folder": folder, "uidvalidity": uidvalidity, "uid": uid}
            events.append(
                (
                    now,
                    "service",
                    "stored" if is_new else "delivered_again",
                    pk,
                    None,
                    json.dumps(detail, ensure_ascii=False),
                )
            )
            result.append((pk, is_new))
        self.conn.executemany(
            "INSERT INTO messages (id, message_key, message_id, size, sha256, stored_at,"
            " internal_date, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'stored')",
            messages,
        )
        self.conn.executemany("INSERT INTO message_raw (message_pk, raw) VALUES (?, ?)", raws)
        self.conn.executemany(
            "INSERT INTO deliveries (message_pk, inbox, folder, uidvalidity, uid, fetched_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            deliveries,
        )
        self.conn.executemany(_EVENT_SQL, events)
        self._advance(inbox, folder, uidvalidity, max(uids))
        return result

    def _message_pks(self, keys: list[str]) -> dict[str, int]:
        """{message key: pk} for the keys already stored."""
        found: dict[str, int] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):
            part = unique[start : start + 500]
            found.update(
                self.conn.execute(
                    f"SELECT message_key, id FROM messages WHERE message_key IN"
                    f" ({', '.join('?' * len(part))})",
                    part,
                ).fetchall()
            )
        return found

    def _advance(self, inbox: str, folder: str, uidvalidity: int, uid: int) -> None:
        self.conn.execute(
            "INSERT INTO checkpoints (inbox, folder, uidvalidity, last_uid) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(inbox, folder) DO UPDATE SET uidvalidity=excluded.uidvalidity,"
            " last_uid=MAX(CASE WHEN checkpoints.uidvalidity=excluded.uidvalidity"
            " THEN checkpoints.last_uid ELSE 0 END, excluded.last_uid)",
            (inbox, folder, uidvalidity, uid),
        )

    _UNFILED = (
        "FROM deliveries d JOIN messages m ON m.id = d.message_pk"
        " WHERE d.inbox=? AND d.filed_at IS NULL AND m.status != 'stored'"
    )

    def unfiled_deliveries(
        self, inbox: str, folder: str, uidvalidity: int, limit: int = 500
    ) -> list[sqlite3.Row]:
        """Deliveries whose message is fully handled but not yet flagged/moved on the
        server, lowest UIDs first, `limit` at a time."""
        return self.query(
            f"SELECT d.id, d.uid {self._UNFILED} AND d.folder=? AND d.uidvalidity=? ORDER BY d.uid LIMIT ?",
            (inbox, folder, uidvalidity, limit),
        )

    def has_unfiled(self, inbox: str) -> bool:
        """Whether filing away needs a connection to this inbox at all."""
        return self.one(f"SELECT 1 {self._UNFILED} LIMIT 1", (inbox,)) is not None

    def mark_filed(self, delivery_ids: list[int], action: str) -> None:
        now = utcnow()
        with self.transaction():
            self.conn.executemany(
                "UPDATE deliveries SET filed_at=?, file_action=? WHERE id=?",
                [(now, action, i) for i in delivery_ids],
            )

    def mark_handled_before(self, message_pks: list[int], mark: str) -> None:
        """These new messages already carried our handled flag on the server: intake
        handled them once before (the database that knew it was lost or restored from an
        older backup), so nothing is sent about them again. Inside the caller's storing
        transaction, before any stage runs."""
        self.conn.executemany(
            "UPDATE messages SET handled_mark=? WHERE id=? AND status='stored'",
            [(mark, pk) for pk in message_pks],
        )

    def pending_messages(self) -> list[int]:
        return [r[0] for r in self.query("SELECT id FROM messages WHERE status='stored' ORDER BY id")]

    def message_to_run(self, message_pk: int) -> sqlite3.Row | None:
        """What running a stored message through the stages starts from (raw is None
        if its bytes were lost: running it then fails, and it is shunted, not skipped)."""
        return self.one(
            "SELECT m.id, r.raw, m.internal_date, m.handled_mark, m.request_id,"
            " m.role, m.status"
            " FROM messages m LEFT JOIN message_raw r ON r.message_pk = m.id"
            " WHERE m.id=?",
            (message_pk,),
        )

    def raw_of(self, message_pk: int) -> bytes | None:
        row = self.one("SELECT raw FROM message_raw WHERE message_pk=?", (message_pk,))
        return bytes(row[0]) if row else None

    def inboxes_of(self, message_pk: int) -> list[str]:
        return [
            r[0]
            for r in self.query(
                "SELECT DISTINCT inbox FROM deliveries WHERE message_pk=? ORDER BY id", (message_pk,)
            )
        ]


@functools.lru_cache(maxsize=256)
def _update_sql(table: str, columns: tuple[str, ...]) -> str:
    assignments = ", ".join(f"{_ident(c)}=?" for c in columns)
    return f"UPDATE {_ident(table)} SET {assignments} WHERE id=?"


@functools.lru_cache(maxsize=256)
def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    names = ", ".join(_ident(c) for c in columns)
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {_ident(table)} ({names}) VALUES ({marks})"


def _ident(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not an identifier: {name!r}")
    return f'"{name}"'


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements, buffer = [], []
    for line in script.splitlines():
        if line.strip().startswith("--") and not buffer:
            continue
        buffer.append(line)
        joined = "\n".join(buffer).strip()
        if joined.endswith(";") and sqlite3.complete_statement(joined):
            statements.append(joined)
            buffer = []
    tail = "\n".join(buffer).strip()
    if tail:
        statements.append(tail)
    return statements
