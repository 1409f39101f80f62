"""One running service per database: an exclusive lock on a file beside it.

Two services on one database would both fetch, decide and send; worse, one starting
while the other sends would take the other's mail in flight for interrupted. The
lock is flock(2) on `<database>.lock`, held for the life of the service and let go
by the kernel whenever the process ends, even on kill -9: a stale lock cannot stop
a restart (which a PID file could). The file also names the holder, so the refusal
can say which process runs. Staff commands (`intake ...`) do not take it.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from pathlib import Path

from intake.store import StoreError, utcnow


class ServiceLockError(StoreError):
    """Another service holds this database; printed as one line."""


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


class ServiceLock:
    def __init__(self, database: Path, *, wait_seconds: float = 2.0) -> None:
        """Take the lock, waiting up to `wait_seconds` (a service that is stopping, or
        `intake status` looking); then refuse, naming the holder."""
        self.path = lock_path(database)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(self._fd)
                    self._fd = None
                    raise ServiceLockError(
                        f"database {database} is in use by another intake service"
                        f" ({holder(database) or 'unknown process'}); stop that one first,"
                        " or give this one its own database"
                    ) from None
                time.sleep(0.1)
        os.ftruncate(self._fd, 0)
        os.write(self._fd, f"pid {os.getpid()} on {socket.gethostname()} since {utcnow()}\n".encode())

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def holder(database: Path) -> str | None:
    """Who holds the lock ('pid 123 on host since ...'), or None when no service runs.
    A shared lock taken and let go at once: it fails only while a service holds it."""
    path = lock_path(database)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return os.pread(fd, 200, 0).decode(errors="replace").strip() or "a running service"
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
