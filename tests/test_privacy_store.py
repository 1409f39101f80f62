"""The audit trail's personal side table: written by Store.event, filled by migration 0009."""

from __future__ import annotations

import json
import sqlite3

import pytest

from intake.store import MIGRATIONS_DIR, Store, _split_sql


def test_personal_details_go_beside_the_append_only_event(tmp_path):
    # Store.event keeps addresses and notes out of events.detail; event_rows merges them.
    store = Store(tmp_path / "db.sqlite3")
    store.migrate()
    with store.transaction():
        store.event("reply_queued", request_id=1, kind="ack", recipient="a@b.example", note="hi")
        store.event("filed", inbox="general", count=2)
    detail = [json.loads(r[0]) for r in store.query("SELECT detail FROM events ORDER BY id")]
    assert detail == [{"kind": "ack"}, {"inbox": "general", "count": 2}]
    (personal,) = store.query("SELECT event_id, data FROM event_personal")
    assert json.loads(personal["data"]) == {"recipient": "a@b.example", "note": "hi"}
    rows = store.event_rows("1")
    assert rows[0]["detail"] == {"kind": "ack", "recipient": "a@b.example", "note": "hi"}
    assert rows[1]["detail"] == {"inbox": "general", "count": 2}
    for sql in ("UPDATE events SET detail='{}'", "DELETE FROM events"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"), store.transaction():
            store.conn.execute(sql)
    store.close()


def test_migration_moves_existing_personal_details(tmp_path):
    # A database from before 0009: its events' personal keys move to event_personal, the
    # rest stays, and events is append-only again afterwards.
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    for script in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if script.name >= "0009":
            break
        for statement in _split_sql(script.read_text(encoding="utf-8")):
            conn.execute(statement)
        conn.execute("INSERT INTO _migrations VALUES (?, 'then')", (script.name,))
    old = [
        {"kind": "ack", "recipient": "x@y.example", "template": "ack_join"},
        {"note": "Called Ms X", "previous_status": "triage", "triage_reason": "x@y.example bounced"},
        {"inbox": "general", "uid": 7},
        {"reason": "boom", "traceback": "Traceback ...", "evidence": ["<m@y>"]},
    ]
    conn.executemany(
        "INSERT INTO events (at, actor, kind, detail) VALUES ('t', 'service', 'k', ?)",
        [(json.dumps(d),) for d in old],
    )
    conn.commit()
    conn.close()
    store = Store(path)
    assert store.migrate() == [p.name for p in sorted(MIGRATIONS_DIR.glob("*.sql")) if p.name >= "0009"]
    rows = store.event_rows("1")
    assert [r["detail"] for r in rows] == old  # nothing lost
    kept = [json.loads(r[0]) for r in store.query("SELECT detail FROM events ORDER BY id")]
    assert kept == [
        {"kind": "ack", "template": "ack_join"},
        {"previous_status": "triage"},
        {"inbox": "general", "uid": 7},
        {},
    ]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), store.transaction():
        store.conn.execute("UPDATE events SET kind='x'")
    store.close()
