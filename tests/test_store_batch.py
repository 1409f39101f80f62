"""Storing a FETCH batch: the same rows and events as one delivery at a time."""

from __future__ import annotations

from intake.store import Store


def mail(n: int, message_id: str | None = None) -> bytes:
    mid = f"Message-ID: <{message_id or f'm{n}@city.example'}>\r\n" if message_id != "" else ""
    return (f"From: a{n}@city.example\r\nSubject: s{n}\r\n{mid}\r\nbody {n}\r\n").encode()


def test_a_batch_stores_new_mail_once_and_repeats_as_deliveries(tmp_path):
    store = Store(tmp_path / "db.sqlite3")
    store.migrate()
    batch = [
        (1, mail(1), None),
        (2, mail(2), "2026-01-01T00:00:00Z"),
        (3, mail(1), None),  # the same message again, new uid
        (4, mail(4, ""), None),
        (5, mail(4, ""), None),
    ]  # no Message-ID: content key
    with store.transaction():
        result = store.store_batch(inbox="general", folder="INBOX", uidvalidity=7, fetched=batch)
    assert result == [(1, True), (2, True), (1, False), (3, True), (3, False)]
    # a second inbox delivers message 2; a re-fetch of uids 1-2 adds nothing
    with store.transaction():
        again = store.store_batch(inbox="lcc", folder="INBOX", uidvalidity=1, fetched=[(9, mail(2), None)])
        refetch = store.store_batch(inbox="general", folder="INBOX", uidvalidity=7, fetched=batch[:2])
    assert again == [(2, False)] and refetch == [(1, False), (2, False)]

    assert store.one("SELECT COUNT(*) FROM messages")[0] == 3
    assert store.one("SELECT COUNT(*) FROM message_raw")[0] == 3
    assert store.raw_of(2) == mail(2)
    assert store.one("SELECT internal_date FROM messages WHERE id=2")[0] == "2026-01-01T00:00:00Z"
    assert [tuple(r) for r in store.query("SELECT inbox, uid, message_pk FROM deliveries ORDER BY id")] == [
        ("general", 1, 1),
        ("general", 2, 2),
        ("general", 3, 1),
        ("general", 4, 3),
        ("general", 5, 3),
        ("lcc", 9, 2),
    ]
    kinds = [r[0] for r in store.query("SELECT kind FROM events ORDER BY id")]
    assert kinds == ["stored", "stored", "delivered_again", "stored", "delivered_again", "delivered_again"]
    assert store.checkpoint("general", "INBOX")["last_uid"] == 5
    assert store.pending_messages() == [1, 2, 3]


def test_store_delivery_is_one_item_of_a_batch(tmp_path):
    store = Store(tmp_path / "db.sqlite3")
    store.migrate()
    assert store.store_delivery(
        inbox="g", folder="INBOX", uidvalidity=1, uid=3, raw=mail(1), internal_date=None
    ) == (1, True)
    assert store.store_delivery(
        inbox="g", folder="INBOX", uidvalidity=1, uid=3, raw=mail(1), internal_date=None
    ) == (1, False)
    assert store.one("SELECT COUNT(*) FROM deliveries")[0] == 1


def test_nested_transactions_roll_back_alone_at_any_depth(tmp_path):
    # A failing inner block (a message of a commit group) undoes only its own writes.
    import pytest

    store = Store(tmp_path / "db.sqlite3")
    store.migrate()
    with store.transaction():
        store.event("outer")
        with pytest.raises(RuntimeError), store.transaction():
            store.event("inner-1")
            with store.transaction():
                store.event("inner-2")
            raise RuntimeError("boom")
        with store.transaction():
            store.event("kept")
            with pytest.raises(ValueError), store.transaction():
                store.event("inner-3")
                raise ValueError
    assert [r[0] for r in store.query("SELECT kind FROM events ORDER BY id")] == ["outer", "kept"]
    assert not store.conn.in_transaction


def test_utcnow_is_the_stored_stamp_format():
    # Stamps always carry microseconds, so they sort as text, and follow the clock.
    import re
    from datetime import UTC, datetime

    from intake import store

    before = datetime.now(UTC).replace(tzinfo=None)
    stamp = store.utcnow()
    after = datetime.now(UTC).replace(tzinfo=None)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", stamp)
    assert before <= datetime.fromisoformat(stamp[:-1]) <= after
