"""`intake backup` and `intake restore`: a consistent copy of a live database, and
putting one back.

A plain `cp` of a WAL database can catch the main file and the -wal file at
different moments. SQLite's online backup API copies the pages of one read
snapshot, so the copy is consistent while the service keeps writing (WAL readers do
not block the writer). The copy is written beside its target and renamed into place,
so a full disk or a crash never leaves a half-written backup under the real name.

Restoring replaces the database, so it is refused while a service holds the
database's lock (intake/service_lock.py), and the lock is held during the restore so
no service starts meanwhile. The database it replaces is kept beside it.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from intake import service_lock
from intake.store import StoreError, utcnow


class BackupError(StoreError):
    """A backup or restore that cannot be done; printed as one line."""


@dataclass
class BackupResult:
    path: str
    bytes: int
    messages: int
    migrations: int


def backup(database: Path, target: Path, *, overwrite: bool = False) -> BackupResult:
    """Copy `database` to `target` through the backup API, in one snapshot."""
    if not database.is_file():
        raise BackupError(f"database {database} does not exist; check service.database in the config")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists; choose a new name or pass --overwrite")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(database.resolve().as_uri() + "?mode=ro", uri=True, timeout=30)
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # personal data
        os.close(fd)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)  # pages=-1: every page from one read snapshot
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            result = _describe(copy, target)
        finally:
            copy.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"backup of {database} to {target} failed: {exc}") from None
    finally:
        source.close()
    os.replace(partial, target)
    result.bytes = target.stat().st_size
    return result


def _describe(conn: sqlite3.Connection, path: Path) -> BackupResult:
    """Check a copy is a sound intake database and say what it holds."""
    check = conn.execute("PRAGMA quick_check").fetchone()[0]
    if check != "ok":
        raise BackupError(f"{path} is damaged (quick_check: {check})")
    try:
        migrations = conn.execute("SELECT COUNT(*) FROM _migrations").fetchone()[0]
        messages = conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    except sqlite3.OperationalError:
        raise BackupError(f"{path} is not an intake database (no _migrations or messages table)") from None
    return BackupResult(path=str(path), bytes=0, messages=messages, migrations=migrations)


def inspect(path: Path) -> BackupResult:
    """What a backup file holds, refusing anything that is not a sound intake database."""
    if not path.is_file() or path.stat().st_size == 0:
        raise BackupError(f"backup {path} does not exist or is empty")
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            result = _describe(conn, path)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"backup {path} is not a usable database ({exc})") from None
    result.bytes = path.stat().st_size
    return result


def restore(source: Path, database: Path, *, dry_run: bool = False) -> tuple[BackupResult, Path | None]:
    """Put the backup `source` in place of `database`, with no service running.
    Returns what was restored and where the replaced database was kept (None if there
    was none)."""
    result = inspect(source)
    lock = service_lock.ServiceLock(database, wait_seconds=0)  # refuses, naming the service
    try:
        aside = database.with_name(f"{database.name}.before-restore-{utcnow().replace(':', '')}")
        if dry_run:
            return result, aside if database.exists() else None
        kept: Path | None = None
        if database.exists():
            for suffix in ("", "-wal", "-shm"):
                old = database.with_name(database.name + suffix)
                if old.exists():
                    os.replace(old, aside.with_name(aside.name + suffix))
            kept = aside
        try:
            _copy_into_place(source, database)
        except (sqlite3.Error, OSError) as exc:
            if kept is not None:  # put the replaced database back as it was
                for suffix in ("", "-wal", "-shm"):
                    old = kept.with_name(kept.name + suffix)
                    if old.exists():
                        os.replace(old, database.with_name(database.name + suffix))
            raise BackupError(f"restore of {source} failed ({exc}); the database is as it was") from None
        return result, kept
    finally:
        lock.release()


def _copy_into_place(source: Path, database: Path) -> None:
    """The backup's pages into a new file beside the database, then renamed onto it."""
    partial = database.with_name(database.name + ".restoring")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    try:
        src = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
            src.close()
        os.replace(partial, database)
    finally:
        partial.unlink(missing_ok=True)
