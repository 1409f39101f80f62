"""WAL checkpoints off the service's thread during a backlog, and back to SQLite's own after."""

from __future__ import annotations

import threading
import time

from intake import prepare
from intake.store import Store
from intake.wal_checkpoint import AUTOMATIC_PAGES, Checkpointer
from tests.conftest import service_with_stored
from tests.mailgen import generate


def autocheckpoint(store: Store) -> int:
    return store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]


def test_the_thread_checkpoints_what_the_service_writes_and_stops_cleanly(tmp_path):
    store = Store(tmp_path / "intake.sqlite3")
    store.migrate()
    checkpointer = Checkpointer.start_for(store)
    assert checkpointer is not None
    assert autocheckpoint(store) == AUTOMATIC_PAGES  # the service's own, rarely
    with store.transaction():
        for i in range(300):
            store.event("test", detail="x" * 2000, n=i)
    deadline = time.monotonic() + 5
    while checkpointer.checkpoints < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    # everything committed before the thread's last round is already in the database file
    busy, logged, copied = store.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0 and logged > 0 and copied == logged
    checkpointer.stop()
    assert autocheckpoint(store) == 1000
    assert not any(t.name == "wal-checkpoint" for t in threading.enumerate())
    store.close()


def test_nothing_to_do_for_a_database_in_memory():
    store = Store(":memory:")
    assert Checkpointer.start_for(store) is None
    store.close()


def test_the_workers_all_exist_after_the_first_task(tmp_path):
    # The checkpointer starts after the first task because the pool forks every worker
    # then (a fork while the thread is inside SQLite could hang a worker): checked here,
    # so that a Python whose pool forks later is noticed.
    service = service_with_stored(tmp_path, generate(3, 4))
    with prepare.Preparer(service.config, 2) as preparer:
        preparer.add(service.store.pending_messages()[:1])
        assert len(preparer._pool._processes) == 2
        while preparer.next_chunk(block=True) is not None:
            pass
    service.close()
