"""What personal data intake holds about an address, and its removal: export, erasure
(intake/privacy.py, intake/privacy_imap.py) and retention (intake/retention.py). See
docs/design.md, "Persistence"."""

from __future__ import annotations

import json
from typing import Any, TypedDict, cast

from intake.store import Store

_IDS = "(SELECT value FROM json_each(?))"  # `column IN` a JSON list of ids
EXPORTED_TABLES = frozenset({"requests", "messages", "outbox", "members"})


class MessageToErase(TypedDict):
    message_key: str
    sender_email: str | None
    sender_name: str | None
    status: str
    status_reason: str | None


class OutboxToErase(TypedDict):
    recipient: str
    rate_mailbox: str | None
    dedupe_key: str | None
    last_error: str | None
    status: str


class PersonalEvent(TypedDict):
    id: int
    request_id: int | None
    message_pk: int | None
    data: str  # JSON: the event's personal details


class Delivery(TypedDict):
    inbox: str
    folder: str
    uidvalidity: int
    uid: int
    message_id: str | None


def _ids(store: Store, sql: str, params: tuple[Any, ...]) -> list[int]:
    return [r[0] for r in store.query(sql, params)]


# -- finding -------------------------------------------------------------------------------------


def requests_from(store: Store, address: str) -> list[int]:
    return _ids(store, "SELECT id FROM requests WHERE lower(requester_email)=? ORDER BY id", (address,))


def requests_linked_to(store: Store, request_ids: list[int]) -> list[int]:
    """Requests (bounces, auto-replies) linked to these."""
    return _ids(
        store,
        f"SELECT id FROM requests WHERE linked_request IN {_IDS} ORDER BY id",
        (json.dumps(request_ids),),
    )


def requests_forwarded_by(store: Store, address: str, *, besides: list[int]) -> list[int]:
    return _ids(
        store,
        f"SELECT id FROM requests WHERE lower(forwarded_by)=? AND id NOT IN {_IDS} ORDER BY id",
        (address, json.dumps(besides)),
    )


def messages_of(store: Store, address: str, *, request_ids: list[int], also: list[int]) -> list[int]:
    """Messages of these requests, from the address or answering to it, and `also`."""
    return _ids(
        store,
        f"SELECT id FROM messages WHERE request_id IN {_IDS}"
        f" OR lower(sender_email)=? OR lower(reply_to)=? OR id IN {_IDS} ORDER BY id",
        (json.dumps(request_ids), address, address, json.dumps(also)),
    )


def outbox_of(store: Store, address: str, *, request_ids: list[int]) -> list[int]:
    return _ids(
        store,
        f"SELECT id FROM outbox WHERE request_id IN {_IDS} OR lower(recipient)=? ORDER BY id",
        (json.dumps(request_ids), address),
    )


def events_of(store: Store, address: str, *, request_ids: list[int], message_pks: list[int]) -> list[int]:
    """Events about these requests or messages, or whose personal details name the address."""
    return _ids(
        store,
        "SELECT e.id FROM events e LEFT JOIN event_personal p"
        f" ON p.event_id=e.id WHERE e.request_id IN {_IDS} OR e.message_pk IN"
        f" {_IDS} OR instr(lower(p.data), ?) ORDER BY e.id",
        (json.dumps(request_ids), json.dumps(message_pks), address),
    )


def mentioned_in(store: Store, address: str, *, besides: list[int]) -> list[int]:
    """Others' messages that copy the address (To, Cc, Reply-To)."""
    return _ids(
        store,
        f"SELECT id FROM messages WHERE id NOT IN {_IDS} AND"
        " (instr(lower(recipients), ?) OR lower(reply_to)=?) ORDER BY id",
        (json.dumps(besides), json.dumps(address), address),
    )


def names_of(store: Store, address: str) -> list[str]:
    """The names the address wrote under (as requester or sender)."""
    return [
        r[0]
        for r in store.query(
            "SELECT requester_name FROM requests WHERE lower(requester_email)=?"
            " UNION SELECT sender_name FROM messages WHERE lower(sender_email)=?",
            (address, address),
        )
        if r[0]
    ]


def unread_messages(store: Store) -> list[tuple[int, int | None]]:
    """(message, request) of mail whose fields were never parsed (not processed yet,
    shunted, unparseable): only its raw bytes can say whose it is."""
    return [
        (r[0], r[1])
        for r in store.query(
            "SELECT id, request_id FROM messages WHERE status IN ('stored', 'shunted', 'unparseable')"
            " OR sender_email IS NULL"
        )
    ]


def rows_of(store: Store, table: str, ids: list[int]) -> list[dict[str, Any]]:
    """Whole rows of one of EXPORTED_TABLES, for an export."""
    if table not in EXPORTED_TABLES:
        raise ValueError(f"not an exported table: {table!r}")
    return store.dicts(f'SELECT * FROM "{table}" WHERE id IN {_IDS} ORDER BY id', (json.dumps(ids),))


# -- erasing -------------------------------------------------------------------------------------


def message_to_erase(store: Store, message_pk: int) -> MessageToErase:
    row = store.row(
        "SELECT message_key, sender_email, sender_name, status, status_reason FROM messages WHERE id=?",
        (message_pk,),
    )
    return cast(MessageToErase, dict(row))


def outbox_to_erase(store: Store, outbox_id: int) -> OutboxToErase:
    row = store.row(
        "SELECT recipient, rate_mailbox, dedupe_key, last_error, status FROM outbox WHERE id=?", (outbox_id,)
    )
    return cast(OutboxToErase, dict(row))


def remove_raw(store: Store, message_pks: list[int]) -> None:
    """The raw bytes of these messages, gone."""
    store.conn.execute(f"DELETE FROM message_raw WHERE message_pk IN {_IDS}", (json.dumps(message_pks),))


def personal_events(store: Store, event_ids: list[int]) -> list[PersonalEvent]:
    """Those of these events that have personal details."""
    return cast(
        list[PersonalEvent],
        store.dicts(
            "SELECT e.id, e.request_id, e.message_pk, p.data FROM events e"
            f" JOIN event_personal p ON p.event_id=e.id WHERE e.id IN {_IDS}",
            (json.dumps(event_ids),),
        ),
    )


def replace_personal(store: Store, event_id: int, data: dict[str, Any]) -> None:
    """An event's personal details replaced (the events row itself is append-only)."""
    store.conn.execute(
        "UPDATE event_personal SET data=? WHERE event_id=?", (json.dumps(data, ensure_ascii=False), event_id)
    )


def deliveries_of(store: Store, message_pks: list[int]) -> list[Delivery]:
    """Where these messages were delivered on the mail servers."""
    return cast(
        list[Delivery],
        store.dicts(
            "SELECT d.inbox, d.folder, d.uidvalidity, d.uid, m.message_id FROM deliveries d"
            f" JOIN messages m ON m.id = d.message_pk WHERE d.message_pk IN {_IDS}",
            (json.dumps(message_pks),),
        ),
    )


# -- retention -----------------------------------------------------------------------------------


def machine_mail_before(store: Store, before: str) -> list[int]:
    """Machine mail (bounces, auto-replies ...) stored before `before`, content still kept."""
    return _ids(
        store,
        "SELECT id FROM messages WHERE role='machine' AND redacted IS NULL AND stored_at < ?",
        (before,),
    )


def finished_mail_before(store: Store, statuses: tuple[str, ...], before: str) -> list[int]:
    """Messages of requests in one of `statuses`, last changed before `before`, content still kept."""
    return _ids(
        store,
        "SELECT m.id FROM messages m JOIN requests r ON r.id = m.request_id"
        f" WHERE m.redacted IS NULL AND r.status IN {_IDS}"
        " AND COALESCE(r.updated_at, r.created_at) < ?",
        (json.dumps(statuses), before),
    )


def remove_content(store: Store, message_pks: list[int], mark: str) -> None:
    """These messages' raw bytes, body and attachment list removed; `redacted` says why."""
    remove_raw(store, message_pks)
    store.conn.execute(
        f"UPDATE messages SET body_text=NULL, attachments='[]', redacted=? WHERE id IN {_IDS}",
        (mark, json.dumps(message_pks)),
    )


def events(store: Store, event_ids: list[int]) -> list[dict[str, Any]]:
    """These events with their details (personal ones merged back), oldest first."""
    return store.event_rows(f"e.id IN {_IDS}", (json.dumps(event_ids),))
