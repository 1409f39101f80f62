"""The desk's queue: one page of requests, filtered, searched, sorted and paged in SQL.

Only the page's rows are read, however many requests the database holds (the benchmark
in bench/desk.py measures it at 100,000). Search uses the FTS5 index of migration 0013,
which triggers keep in step with every write. Sorting and filtering take only the keys
listed here: what a person types never becomes SQL, and search terms are quoted for the
FTS5 MATCH syntax (match_expression).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from intake.language_names import NAMES as LANGUAGE_NAMES
from intake.language_names import language_name
from intake.queries import LIST_TEXT, reason_key
from intake.store import Store
from intake.workdays import local_date, overdue_bound, working_days

WAITING = ("triage", "shunted")  # statuses that wait for a person: their waiting time counts
RECEIVED = "COALESCE(m.internal_date, m.date, m.stored_at)"
_FROM = "FROM requests r JOIN messages m ON m.id = r.first_message"
_WAITING_SQL = "r.status IN ('triage', 'shunted')"
MAX_TERMS = 20  # search words used; more narrow nothing down that these did not

# sort key -> SQL expression (ascending). "group" and "language" sort by the name shown,
# through a CASE built from the names (see _by_name). The first message's received time,
# subject and sender are sorted by walking their indexes (migration 0013): exactly these
# expressions, in index order (a missing subject first when ascending).
SORTS: dict[str, str] = {
    "token": "r.id",
    "received": RECEIVED,
    "sender": "lower(COALESCE(NULLIF(m.sender_name, ''), m.sender_email))",
    "subject": "lower(m.subject)",
    "organisation": "lower(r.organisation)",
    "group": "group",
    "language": "language",
    "assignee": "lower(r.assigned_to)",
    "reason": "r.triage_reason",
}
BY_MESSAGE = {"received", "sender", "subject"}  # sorts on the first message's columns


@dataclass(frozen=True)
class QueueQuery:
    """What the queue page was asked for (its URL's query parameters)."""

    scope: str = "triage"  # triage (waiting for a person) | all
    reason: str = ""  # a reason_key
    group: str = ""  # a group id, new:<topic>, both or none
    intent: str = ""
    language: str = ""
    member: str = ""  # yes | no | ""
    mine: bool = False
    unassigned: bool = False
    overdue: bool = False
    search: str = ""
    sort: str = ""  # a key of SORTS; "": the scope's own order
    descending: bool = False
    page: int = 1


@dataclass(frozen=True)
class QueueRow:
    id: int
    token: str
    status: str
    received_at: str | None  # UTC, as stored
    waiting_days: int | None  # working days, for a request waiting for a person
    overdue: bool
    sender_name: str | None
    sender_email: str | None
    subject: str | None
    organisation: str | None
    is_member: bool | None
    group: str | None
    group_name: str
    intent: str | None
    language: str | None
    language_name: str
    assigned_to: str | None
    reason: str | None


@dataclass
class QueuePage:
    rows: list[QueueRow]
    total: int  # after the filters
    counts: dict[str, int] = field(default_factory=dict)  # waiting requests per reason
    page: int = 1  # the page shown (the last one if asked for more)
    pages: int = 1
    sort: str = ""  # the sort key in effect
    descending: bool = False


@dataclass(frozen=True)
class Clock:
    """Now, the desk's zone and the overdue limit: what waiting times are counted with."""

    now: datetime
    zone: ZoneInfo
    overdue_days: int

    def today(self) -> date:
        return local_date(self.now, self.zone)

    def overdue_before(self) -> str:
        """The UTC stamp before which a waiting request is overdue (local midnight of
        workdays.overdue_bound), in the form the store writes."""
        bound = overdue_bound(self.today(), self.overdue_days)
        midnight = datetime.combine(bound, time(0), tzinfo=self.zone).astimezone(UTC)
        return midnight.strftime("%Y-%m-%dT%H:%M:%SZ")


def match_expression(text: str) -> str | None:
    """Staff's words as an FTS5 MATCH expression that cannot be a syntax error: each word
    a quoted string (a `"` inside doubled), all of them required; a trailing `*` asks
    for words starting so. None when nothing is left to search for."""
    terms = []
    text = "".join(c if c.isprintable() else " " for c in text)  # a NUL would end the string early
    for word in text.split()[:MAX_TERMS]:
        prefix = word.endswith("*")
        word = word.rstrip("*")
        if word:
            terms.append('"' + word.replace('"', '""') + '"' + ("*" if prefix else ""))
    return " ".join(terms) or None


def group_names(store: Store, short: Mapping[str, str] | None = None) -> dict[str, str]:
    """{group value as stored on requests: name to show}: the register's groups by id
    (the rules' short name when given), proposed topics also by their classifier value
    new:<topic>."""
    names: dict[str, str] = {"both": "two groups", "none": "no group"}
    for row in store.query("SELECT id, topic, name, status, source FROM register_groups"):
        name = (short or {}).get(row["id"]) or row["name"]
        if row["source"] == "topic":  # named from its slug: "circular-furniture"
            name = re.sub(r"[-_]+", " ", name).strip().capitalize()
        name += " (proposed)" if row["status"] == "proposed" else ""
        names[row["id"]] = name
        if row["topic"]:
            names["new:" + row["topic"]] = name
    return names


def group_name(value: str | None, names: dict[str, str]) -> str:
    """The name of a request's group; a topic the register does not know yet, readably."""
    if not value:
        return ""
    if value in names:
        return names[value]
    if value.startswith("new:"):
        words = re.sub(r"[-_]+", " ", value[4:]).strip()
        return f"{words.capitalize() or 'Other'} (proposed)"
    return value


def group_choices(store: Store, short: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """(value, name) for the group filter: the groups, then the proposed topics."""
    names = group_names(store, short)
    rows = store.query(
        "SELECT id FROM register_groups WHERE merged_into IS NULL ORDER BY status = 'proposed', lower(name)"
    )
    return [(r["id"], names[r["id"]]) for r in rows] + [
        ("both", "two groups"),
        ("none", "no group"),
    ]


def group_values(store: Store, value: str) -> list[str]:
    """The values a request's group_id has when it is in this group: the id, its topic
    as new:<topic>, and those of topics merged into it."""
    found = {value}
    row = store.one(
        "SELECT id, topic FROM register_groups WHERE id = ? OR 'new:' || topic = ?", (value, value)
    )
    if row is not None:
        found.add(row["id"])
        if row["topic"]:
            found.add("new:" + row["topic"])
        for merged in store.query(
            "SELECT id, topic FROM register_groups WHERE merged_into = ?", (row["id"],)
        ):
            found.add(merged["id"])
            if merged["topic"]:
                found.add("new:" + merged["topic"])
    return sorted(found)


def organisations(store: Store) -> list[str]:
    """The roster's organisations, by name: the choices for linking a sender."""
    return [r[0] for r in store.query("SELECT organisation FROM members ORDER BY organisation")]


def _by_name(column: str, names: dict[str, str]) -> tuple[str, list[str]]:
    """A CASE that turns a stored value into its shown name (lower-cased), to sort by."""
    if not names:
        return column, []
    cases = " ".join("WHEN ? THEN ?" for _ in names)
    params = [p for value, name in names.items() for p in (value, name.lower())]
    return f"(CASE {column} {cases} ELSE {column} END)", params


def queue_page(
    store: Store,
    query: QueueQuery,
    *,
    clock: Clock,
    page_size: int,
    account: str,
    facilitator_group: str | None = None,
    short_names: Mapping[str, str] | None = None,
) -> QueuePage:
    """One page of the queue. scope "triage": what waits for a person, longest waiting
    first; "all": everything, newest first; a facilitator: their group's open and handled
    requests, oldest first. Any column can be the sort instead."""
    store.conn.create_function("reason_key", 1, reason_key, deterministic=True)
    where: list[str] = []
    args: list[Any] = []
    if facilitator_group is not None:
        where.append("r.group_id = ? AND r.status IN ('triage', 'routed', 'resolved')")
        args.append(facilitator_group)
        default_sort, default_desc = "received", False
    elif query.scope == "all":
        default_sort, default_desc = "received", True
    else:
        where.append(_WAITING_SQL)
        default_sort, default_desc = "received", False  # waiting longest first
    counts = {
        row[0]: row[1]
        for row in store.query(
            f"SELECT reason_key(r.triage_reason), COUNT(*) {_source(False, searching=False)}"
            f" WHERE {' AND '.join([*where, _WAITING_SQL])} GROUP BY 1 ORDER BY 2 DESC, 1",
            tuple(args),
        )
    }
    for column, value in (("r.intent", query.intent), ("r.language", query.language)):
        if value:
            where.append(f"COALESCE({column}, '') = ?")
            args.append(value)
    if query.group:
        where.append("r.group_id IN (SELECT value FROM json_each(?))")
        args.append(json.dumps(group_values(store, query.group)))
    if query.reason:
        where.append("reason_key(r.triage_reason) = ?")
        args.append(query.reason)
    if query.member in ("yes", "no"):
        where.append("COALESCE(r.is_member, 0) = ?")
        args.append(1 if query.member == "yes" else 0)
    if query.mine:
        where.append("r.assigned_to = ?")
        args.append(account)
    if query.unassigned:
        where.append("r.assigned_to IS NULL")
    if query.overdue:
        where.append(f"{_WAITING_SQL} AND {RECEIVED} < ?")
        args.append(clock.overdue_before())
    sort = query.sort if query.sort in SORTS else default_sort
    descending = query.descending if query.sort in SORTS else default_desc
    expression = match_expression(query.search) if query.search.strip() else None
    source = _source(query.overdue or sort in BY_MESSAGE, searching=expression is not None)
    if query.search.strip():
        if expression is None:
            where.append("0")  # only stars and spaces: nothing can match
        else:
            where.append("r.id IN (SELECT rowid FROM request_search WHERE request_search MATCH ?)")
            args.append(expression)
    clause = " WHERE " + " AND ".join(where) if where else ""
    counted = _source(query.overdue, searching=expression is not None)
    total = store.query(f"SELECT COUNT(*) {counted}{clause}", tuple(args))[0][0]
    pages = max((total + page_size - 1) // page_size, 1)
    page = min(max(query.page, 1), pages)  # past the end (a filter shrank the list): the last page

    names = group_names(store, short_names)
    order_sql, order_args = _order(sort, descending, names)
    # the page's ids from the narrow indexes of migration 0013, then only those rows
    page_ids = [
        row[0]
        for row in store.query(
            f"SELECT r.id {source}{clause} ORDER BY {order_sql} LIMIT ? OFFSET ?",
            (*args, *order_args, page_size, (page - 1) * page_size),
        )
    ]
    found = store.query(
        f"SELECT r.id, r.token, r.status, {RECEIVED} AS received_at,"
        f" substr(m.sender_name, 1, {LIST_TEXT}) AS sender_name,"
        f" substr(m.sender_email, 1, {LIST_TEXT}) AS sender_email,"
        f" substr(m.subject, 1, {LIST_TEXT}) AS subject,"
        f" substr(r.organisation, 1, {LIST_TEXT}) AS organisation,"
        " r.is_member, r.group_id, r.intent, r.language, r.assigned_to,"
        f" substr(r.triage_reason, 1, {LIST_TEXT}) AS triage_reason"
        f" {_FROM} WHERE r.id IN (SELECT value FROM json_each(?))",
        (json.dumps(page_ids),),
    )
    by_id = {row["id"]: row for row in found}
    rows = [by_id[i] for i in page_ids]
    today, overdue_before = clock.today(), clock.overdue_before()
    return QueuePage(
        rows=[_row(row, names, today, clock.zone, overdue_before) for row in rows],
        total=total,
        counts=counts,
        page=page,
        pages=pages,
        sort=sort,
        descending=descending,
    )


def _source(with_message: bool, *, searching: bool) -> str:
    """FROM for the count and the page's ids: the first message only when it is filtered or
    sorted by. A search matches many requests by id; INDEXED BY has SQLite check them in
    the narrow requests_queue index rather than look each up in the wide table."""
    requests = "requests r INDEXED BY requests_queue" if searching else "requests r"
    return (
        f"FROM {requests} JOIN messages m ON m.id = r.first_message" if with_message else f"FROM {requests}"
    )


def _order(sort: str, descending: bool, names: dict[str, str]) -> tuple[str, list[str]]:
    """ORDER BY for a sort key: empty values last either way, then the request id; a
    sort on the first message in the order of its index."""
    direction = "DESC" if descending else "ASC"
    if sort in BY_MESSAGE:
        return f"{SORTS[sort]} {direction}, m.id {direction}", []
    params: list[str] = []
    expression = SORTS[sort]
    if sort == "group":
        expression, params = _by_name("r.group_id", names)
    elif sort == "language":
        expression, params = _by_name("r.language", {k: v for k, v in LANGUAGE_NAMES.items()})
    return f"({expression}) IS NULL, {expression} {direction}, r.id {direction}", params + params


def _row(row: Any, names: dict[str, str], today: date, zone: ZoneInfo, overdue_before: str) -> QueueRow:
    waiting = None
    received = row["received_at"]
    if row["status"] in WAITING and received:
        try:
            moment = datetime.fromisoformat(received)
        except ValueError:
            moment = None
        if moment is not None:
            waiting = working_days(local_date(moment, zone), today)
    return QueueRow(
        id=row["id"],
        token=row["token"],
        status=row["status"],
        received_at=received,
        waiting_days=waiting,
        overdue=row["status"] in WAITING and bool(received) and received < overdue_before,
        sender_name=row["sender_name"],
        sender_email=row["sender_email"],
        subject=row["subject"],
        organisation=row["organisation"],
        is_member=None if row["is_member"] is None else bool(row["is_member"]),
        group=row["group_id"],
        group_name=group_name(row["group_id"], names),
        intent=row["intent"],
        language=row["language"],
        language_name=language_name(row["language"]),
        assigned_to=row["assigned_to"],
        reason=row["triage_reason"],
    )
