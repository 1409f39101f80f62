"""Read models for the CLI and the web UI: requests as stable JSON-ready dicts.

Field names here are an interface: operators' scripts read them. Add fields;
never rename or remove one.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any

from intake.store import Store

_FROM = "FROM requests r JOIN messages m ON m.id = r.first_message"
_TRIAGE = "r.status IN ('triage', 'shunted')"
_TRIAGE_ORDER = "COALESCE(m.internal_date, m.stored_at), r.id"  # oldest first
_IDS = "(SELECT value FROM json_each(?))"

# Every request column but the large ones (explanation, auth_evidence), which only the
# detail view reads: a list of 50,000 requests must not drag 150 MB of JSON along.
_REQUEST_COLUMNS = (
    "r.id",
    "r.first_message",
    "r.created_at",
    "r.status",
    "r.token",
    "r.requester_email",
    "r.requester_name",
    "r.forwarded_by",
    "r.group_id",
    "r.intent",
    "r.language",
    "r.language_detected",
    "r.language_confidence",
    "r.confidence",
    "r.runner_up",
    "r.organisation",
    "r.membership",
    "r.is_member",
    "r.member_match",
    "r.authenticated",
    "r.triage_reason",
    "r.linked_request",
    "r.assigned_to",
    "r.updated_at",
    "m.message_id",
    "m.sender_email",
    "m.sender_name",
    "m.subject",
    "m.internal_date",
    "m.date AS mail_date",
    "m.stored_at",
    "m.screening",
    "m.status AS message_status",
    "m.status_reason",
    "m.size",
    "(SELECT p.status FROM participants p WHERE p.request_id = r.id"
    " ORDER BY p.id DESC LIMIT 1) AS participant_status",
    "(CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.message_pk = r.first_message"
    " AND d.inbox = 'form') THEN 'form' ELSE 'email' END) AS channel",
)
# what a sender writes (or what is made from it): cut in SQL for a page, so that a
# 20 MB subject is never read into the desk
_SENDER_TEXT = {
    "r.requester_email",
    "r.requester_name",
    "r.forwarded_by",
    "r.group_id",
    "r.runner_up",
    "r.triage_reason",
    "m.message_id",
    "m.sender_email",
    "m.sender_name",
    "m.subject",
    "m.status_reason",
}
LIST_TEXT = 300  # characters of a subject, name or reason in the desk's lists
DETAIL_TEXT = 2000  # ... on a request's page
BODY_TEXT = 200_000  # characters of a mail body on a request's page
MAX_SHOWN = 200  # messages, replies and events on one request's page


def request_sql(cut: int | None = None) -> str:
    """SELECT of a request's list fields; with `cut`, sender-written text cut to that length."""
    columns = [
        f"substr({c}, 1, {int(cut)}) AS {c.split('.')[1]}" if cut and c in _SENDER_TEXT else c
        for c in _REQUEST_COLUMNS
    ]
    return f"SELECT {', '.join(columns)} {_FROM}"


REQUEST_SQL = request_sql()


def _outbox(store: Store, request_id: int) -> list[Any]:
    return store.query(
        "SELECT id, kind, template, language, recipient, status, attempts,"
        " last_error, created_at, sent_at, message_id, redacted FROM outbox"
        " WHERE request_id=? ORDER BY id",
        (request_id,),
    )


def _by_request(store: Store, sql: str, ids: list[int]) -> dict[int, list[Any]]:
    """Rows of `sql` (first column: request id) for many requests in one query."""
    found: dict[int, list[Any]] = {}
    for row in store.query(sql, (json.dumps(ids),)):
        found.setdefault(row[0], []).append(row)
    return found


def summaries(store: Store, rows: list[Any]) -> list[dict[str, Any]]:
    """summarize() for many requests with three queries in all, not three per request."""
    ids = [row["id"] for row in rows]
    outgoing = _by_request(
        store,
        f"SELECT request_id, kind, recipient, status FROM outbox WHERE request_id IN {_IDS} ORDER BY id",
        ids,
    )
    messages = _by_request(
        store,
        f"SELECT request_id, substr(message_id, 1, 998) FROM messages WHERE request_id IN {_IDS} ORDER BY id",
        ids,
    )
    inboxes = _by_request(
        store,
        "SELECT m.request_id, d.inbox FROM deliveries d JOIN messages m"
        f" ON m.id = d.message_pk WHERE m.request_id IN {_IDS} ORDER BY d.id",
        ids,
    )
    return [
        _summary(row, outgoing.get(row["id"], []), messages.get(row["id"], []), inboxes.get(row["id"], []))
        for row in rows
    ]


def summarize(store: Store, row: Any) -> dict[str, Any]:
    return summaries(store, [row])[0]


def _summary(row: Any, outgoing: list[Any], messages: list[Any], inboxes: list[Any]) -> dict[str, Any]:
    live = ("queued", "sending", "sent")
    acked = any(o["kind"] == "ack" and o["status"] in live for o in outgoing)
    forwarded = [o["recipient"] for o in outgoing if o["kind"] == "forward" and o["status"] in live]
    return {
        "id": row["id"],
        "token": row["token"],
        "message_id": row["message_id"],
        "message_ids": [m[1] for m in messages if m[1]],
        "inbox": list(dict.fromkeys(i[1] for i in inboxes)),
        "received_at": row["internal_date"] or row["mail_date"] or row["stored_at"],
        "sender_email": row["sender_email"],
        "sender_name": row["sender_name"],
        "requester_email": row["requester_email"],
        "forwarded_by": row["forwarded_by"],
        "subject": row["subject"],
        "status": row["status"],
        "screening": row["screening"],
        "group": row["group_id"],
        "intent": row["intent"],
        "language": row["language"],
        "language_detected": row["language_detected"],
        "language_confidence": row["language_confidence"],
        "confidence": row["confidence"],
        "organisation": row["organisation"],
        "is_member": None if row["is_member"] is None else bool(row["is_member"]),
        "member_match": row["member_match"],
        "authenticated": None if row["authenticated"] is None else bool(row["authenticated"]),
        "acknowledged": acked,
        "forwarded_to": forwarded,
        "triage_reason": row["triage_reason"],
        "linked_request": row["linked_request"],
        "assigned_to": row["assigned_to"],
        "updated_at": row["updated_at"],
        "participant_status": row["participant_status"],  # the register (issue 18)
        "channel": row["channel"],  # email, or form: the online form at /interest (issue 22)
    }


def list_requests(
    store: Store, *, status: str | None = None, limit: int | None = None, where: str = "", params: tuple = ()
) -> list[dict[str, Any]]:
    clauses, args = [], list(params)
    if where:
        clauses.append(where)
    if status:
        clauses.append("r.status = ?")
        args.append(status)
    sql = REQUEST_SQL + (" WHERE " + " AND ".join(clauses) if clauses else "") + " ORDER BY r.id"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return summaries(store, store.query(sql, tuple(args)))


def triage_queue(store: Store) -> list[dict[str, Any]]:
    """What needs a person, oldest first."""
    rows = store.query(f"{REQUEST_SQL} WHERE {_TRIAGE} ORDER BY {_TRIAGE_ORDER}")
    return summaries(store, rows)


@functools.lru_cache(maxsize=4096)
def reason_key(reason: str | None) -> str:
    """The kind of a triage reason, without its particulars ("low confidence (0.41)" ->
    "low confidence"): what the desk counts and filters by."""
    if not reason:
        return "none"
    return re.split(r"[:(0-9]", reason, maxsplit=1)[0].strip() or reason


RECEIVED_SQL = "COALESCE(m.internal_date, m.date, m.stored_at)"


@dataclass
class QueuePage:
    rows: list[dict[str, Any]]
    total: int  # after the filters
    counts: dict[str, int] = field(default_factory=dict)  # per reason, before the filters
    page: int = 1  # the page shown (the last one if asked for more)
    pages: int = 1


def queue_page(
    store: Store,
    *,
    scope: str,
    filters: dict[str, str],
    page: int,
    page_size: int,
    facilitator_group: str | None = None,
    account: str | None = None,
) -> QueuePage:
    """One page of the desk's queue, filtered, counted and paged in SQL: only the page's
    requests are summarized, however many the database holds.

    scope: "triage" (what needs a person, oldest first), "all" (newest first), or a
    facilitator's view (their group's open and handled requests, oldest first).
    """
    store.conn.create_function("reason_key", 1, reason_key, deterministic=True)
    where, args = [], []
    if facilitator_group is not None:
        where.append("r.group_id = ? AND r.status IN ('triage', 'routed', 'resolved')")
        args.append(facilitator_group)
        order = f"{RECEIVED_SQL}, r.id"
    elif scope == "all":
        order = f"{RECEIVED_SQL} DESC, r.id DESC"
    else:
        where.append(_TRIAGE)
        order = _TRIAGE_ORDER
    base = " WHERE " + " AND ".join(where) if where else ""
    counts = {
        row[0]: row[1]
        for row in store.query(
            f"SELECT reason_key(r.triage_reason), COUNT(*) {_FROM}{base} GROUP BY 1 ORDER BY 2 DESC, 1",
            tuple(args),
        )
    }
    for column, key in (("r.group_id", "group"), ("r.intent", "intent"), ("r.language", "language")):
        if filters.get(key):
            where.append(f"COALESCE({column}, '') = ?")
            args.append(filters[key])
    if filters.get("reason"):
        where.append("reason_key(r.triage_reason) = ?")
        args.append(filters["reason"])
    if filters.get("member") in ("yes", "no"):
        where.append("COALESCE(r.is_member, 0) = ?")
        args.append(1 if filters["member"] == "yes" else 0)
    if filters.get("mine"):
        where.append("r.assigned_to IS ?")
        args.append(account)
    clause = " WHERE " + " AND ".join(where) if where else ""
    total = store.one(f"SELECT COUNT(*) {_FROM}{clause}", tuple(args))[0]
    pages = max((total + page_size - 1) // page_size, 1)
    page = min(max(page, 1), pages)  # past the end (a filter shrank the list): the last page
    ids = [
        row[0]
        for row in store.query(
            f"SELECT r.id {_FROM}{clause} ORDER BY {order} LIMIT ? OFFSET ?",
            (*args, page_size, (page - 1) * page_size),
        )
    ]
    by_id = {
        row["id"]: row
        for row in store.query(f"{request_sql(LIST_TEXT)} WHERE r.id IN {_IDS}", (json.dumps(ids),))
    }
    return QueuePage(
        rows=summaries(store, [by_id[i] for i in ids]), total=total, counts=counts, page=page, pages=pages
    )


def request_detail(store: Store, request_id: int, *, bounded: bool = False) -> dict[str, Any] | None:
    """Everything about one request. bounded (the desk): sender-written text cut to
    DETAIL_TEXT (bodies to BODY_TEXT), at most MAX_SHOWN messages, replies and events, each
    list saying how many it left out; the CLI's JSON keeps everything."""
    cut, body = (DETAIL_TEXT, BODY_TEXT) if bounded else (None, None)
    limit = MAX_SHOWN if bounded else -1
    row = store.one(request_sql(cut) + " WHERE r.id = ?", (request_id,))
    if row is None:
        return None
    detail = summarize(store, row)
    large = store.one("SELECT explanation, auth_evidence FROM requests WHERE id=?", (request_id,))
    detail["explanation"] = _cut(json.loads(large["explanation"] or "{}"), cut)
    detail["auth_evidence"] = _cut(large["auth_evidence"], cut)
    detail["messages"] = [
        {
            "id": m["id"],
            "message_id": m["message_id"],
            "role": m["role"],
            "status": m["status"],
            "subject": m["subject"],
            "sender_email": m["sender_email"],
            "date": m["date"],
            "screening": m["screening"],
            "attachments": _cut(json.loads(m["attachments"] or "[]")[: limit if cut else None], cut),
            "body_text": m["body_text"],
            "parse_notes": _cut(json.loads(m["parse_notes"] or "[]"), cut),
            "status_reason": m["status_reason"],
            "redacted": m["redacted"],
        }  # why and when its content was removed (docs/privacy.md)
        for m in store.query(
            f"SELECT {_message_columns(cut, body)} FROM messages WHERE request_id=? ORDER BY id LIMIT ?",
            (request_id, limit),
        )
    ]
    detail["outbox"] = [dict(o) for o in _outbox(store, request_id)][: limit if cut else None]
    detail["linked_machine_mail"] = [
        {"id": r["id"], "screening": r["screening"], "subject": r["subject"]}
        for r in store.query(request_sql(cut) + " WHERE r.linked_request=? LIMIT ?", (request_id, limit))
    ]
    detail["events"] = [
        {
            "at": e["at"],
            "actor": e["actor"],
            "kind": e["kind"],
            "detail": _cut({k: v for k, v in e["detail"].items() if k != "traceback"}, cut),
        }
        for e in store.event_rows(
            "e.request_id=? OR e.message_pk IN (SELECT id FROM messages WHERE request_id=?)",
            (request_id, request_id),
            limit=limit,
        )
    ]
    if bounded:
        detail["not_shown"] = {
            "messages": store.one("SELECT COUNT(*) FROM messages WHERE request_id=?", (request_id,))[0]
            - len(detail["messages"]),
            "events": store.one(
                "SELECT COUNT(*) FROM events WHERE request_id=? OR message_pk IN"
                " (SELECT id FROM messages WHERE request_id=?)",
                (request_id, request_id),
            )[0]
            - len(detail["events"]),
        }
    return detail


def _message_columns(cut: int | None, body: int | None) -> str:
    """A request page's message columns, sender-written text cut in SQL when asked."""

    def text(column: str, limit: int | None) -> str:
        return f"substr({column}, 1, {int(limit)}) AS {column}" if limit else column

    return ", ".join(
        [
            "id",
            "role",
            "status",
            "date",
            "screening",
            "attachments",
            "parse_notes",
            "redacted",
            *(text(c, cut) for c in ("message_id", "subject", "sender_email", "status_reason")),
            text("body_text", body),
        ]
    )


def _cut(value: Any, limit: int | None) -> Any:
    """Strings inside `value` (dicts and lists too) cut to `limit` characters."""
    if limit is None:
        return value
    if isinstance(value, str):
        return value if len(value) <= limit else value[:limit] + " [cut]"
    if isinstance(value, list):
        return [_cut(v, limit) for v in value]
    if isinstance(value, dict):
        return {k: _cut(v, limit) for k, v in value.items()}
    return value
