"""SQLite's WAL checkpoints moved off the service's thread while a backlog is worked.

In WAL mode SQLite copies the log back into the database file every 1,000 pages, inside
the COMMIT that crosses the line: the committing thread waits for thousands of page
writes and two fsyncs. During a large import that was an eighth of the service
thread's time (a 4,000-message backlog: 30 of 152 commits took 11-53 ms, 0.8 s in all),
and every message passes through that thread. `Checkpointer` runs the same checkpoint
(PASSIVE: it never blocks a writer or a reader) on its own connection in a thread ten
times a second, and lets the service's connection checkpoint by itself only every 4,000
pages: by then the thread has copied nearly everything, so that commit is short, and
it is still the service's own checkpoint that lets SQLite start the log from the
beginning again (a checkpoint by another connection never can while the service keeps
writing, so without it the log would grow by the whole import). Measured: commits
0.8 -> 0.3 s for that backlog, the log stays under 20 MB, about 6 % more messages a
second (four interleaved pairs). When the backlog is done, SQLite's own setting is back.

Forking the parse workers while this thread is inside SQLite could leave a worker with a
mutex nobody will release, so it is started only after the workers exist (the pool forks
all of them at its first task, tests/test_wal_checkpoint.py checks that) and a backlog
starts none afterwards.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

from intake.store import Store

log = logging.getLogger("intake.wal")

AUTOMATIC_PAGES = 4000
INTERVAL_SECONDS = 0.1  # 1,000 pages fill up in about a quarter of a second at full speed


class Checkpointer:
    """A thread with its own connection that checkpoints the store's WAL until stopped."""

    def __init__(self, store: Store, interval: float = INTERVAL_SECONDS) -> None:
        self._store = store
        self._interval = interval
        self._stopping = threading.Event()
        self._conn = sqlite3.connect(str(store.path), check_same_thread=False, timeout=5)
        self._automatic = store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self.checkpoints = 0

    @classmethod
    def start_for(cls, store: Store) -> Checkpointer | None:
        """A running checkpointer for this store, or None where there is nothing to do
        (not a WAL database file: in memory, or another journal mode)."""
        try:
            mode = store.conn.execute("PRAGMA journal_mode").fetchone()[0]
        except sqlite3.Error:
            return None
        if str(mode).lower() != "wal" or not store.path.is_file():
            return None
        checkpointer = cls(store)
        store.conn.execute(f"PRAGMA wal_autocheckpoint={AUTOMATIC_PAGES}")
        checkpointer._thread.start()
        return checkpointer

    def _run(self) -> None:
        warned = False
        while not self._stopping.wait(self._interval):
            try:
                self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                self.checkpoints += 1
            except sqlite3.Error as exc:  # the service's own commits report a sick disk
                if not warned:
                    log.warning("background WAL checkpoint failed (%s); retrying", exc)
                    warned = True

    def stop(self) -> None:
        """Stop the thread; the service's connection checkpoints by itself again."""
        self._stopping.set()
        self._thread.join()
        self._conn.close()
        self._store.conn.execute(f"PRAGMA wal_autocheckpoint={int(self._automatic)}")
