"""The desk's queue (issue 21): search kept in step by the store, sorting, filters, names,
times in the configured zone, and the request page's traps fixed."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake import triage
from intake.config import ConfigError, load_config
from intake.queries_queue import BY_MESSAGE, SORTS, Clock, QueueQuery, match_expression, queue_page
from intake.store import Store
from intake.web import create_app
from tests.conftest import write_config
from tests.webfixtures import csrf_of, login, populated

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)  # a Friday
CLOCK = Clock(now=NOW, zone=ZoneInfo("Europe/Brussels"), overdue_days=3)


@pytest.fixture
def world(tmp_path, smtp):
    config, service = populated(tmp_path, smtp.port)
    yield config, service
    service.close()


def page(store: Store, **asked) -> list:  # noqa: ANN003
    return queue_page(store, QueueQuery(**asked), clock=CLOCK, page_size=100, account="anna").rows


def ids(store: Store, **asked) -> set[int]:  # noqa: ANN003
    return {r.id for r in page(store, **asked)}


def body_word(store: Store, request_id: int) -> str:
    """A word only this request's body has (not its sender, not another request)."""
    row = store.one(
        "SELECT m.body_text, r.requester_email, r.requester_name FROM requests r"
        " JOIN messages m ON m.id = r.first_message WHERE r.id = ?",
        (request_id,),
    )
    sender = f"{row['requester_email']} {row['requester_name']}".lower()
    return next(
        w
        for w in re.findall(r"[A-Za-z]{8,}", row["body_text"])
        if w.lower() not in sender and not ids(store, scope="all", search=w) - {request_id}
    )


def test_search_finds_words_and_follows_every_write(world):
    # A word of a body, a sender, an organisation (accents folded) are found; when a body,
    # organisation or message changes, the index follows in the same transaction.
    _, service = world
    store, env = service.store, service.env
    word = body_word(store, 3)
    assert ids(store, scope="all", search=word) == {3}
    assert ids(store, scope="all", search="kadri.tamm@tartu.ee") == {3}
    assert 7 in ids(store, scope="all", search="citta torino")  # Città di Torino
    with store.transaction():
        store.update(
            "messages", store.one("SELECT first_message FROM requests WHERE id=3")[0], {"body_text": "x"}
        )
    assert ids(store, scope="all", search=word) == set()
    triage.link_sender(env, 2, "Stad Gent", add_domain=False)
    assert 2 in ids(store, scope="all", search="gent")
    word = body_word(store, 2)
    with store.transaction():  # the message leaves the request: its words leave the request's document
        store.conn.execute("UPDATE messages SET request_id = NULL WHERE request_id = 2")
    assert ids(store, scope="all", search=word) == set()
    whole = ids(store, scope="all", search="procurement")
    assert whole and ids(store, scope="all", search="procure*") >= whole  # a trailing *: words starting so


def test_migration_indexes_the_requests_stored_before_it(world):
    # Migration 0013 fills the index from the requests already in the database.
    _, service = world
    store = service.store
    before = {w: ids(store, scope="all", search=w) for w in ("helsinki", "gent", "question", "lcc")}
    with store.transaction():
        for kind, name in store.query(
            "SELECT type, name FROM sqlite_master WHERE (name LIKE 'request_search%' AND type != 'table')"
            " OR name IN ('requests_queue', 'requests_first_message', 'messages_received',"
            " 'messages_subject_sort', 'messages_sender_sort')"
        ):
            store.conn.execute(f"DROP {kind} {name}")
        store.conn.execute("DROP TABLE request_search")
        store.conn.execute("DELETE FROM _migrations WHERE name = '0013_search.sql'")
    assert store.migrate() == ["0013_search.sql"]
    assert {w: ids(store, scope="all", search=w) for w in before} == before
    assert all(before.values())


HOSTILE = [
    '"',
    "*",
    "-",
    "AND",
    "OR",
    "NOT",
    "a AND",
    "NEAR(a b)",
    "subject:x",
    "^x",
    "(",
    ")",
    '"open',
    "* *",
    "-x",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_search_syntax_typed_by_staff_never_raises(world, text):
    # Quotes, stars, minus signs and FTS5 operators are searched for as words.
    _, service = world
    page(service.store, scope="all", search=text)
    assert match_expression(text) is None or match_expression(text).startswith('"')


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=40))
def test_any_search_text_is_a_valid_match(tmp_path, text):
    # Whatever is typed, the MATCH expression is valid FTS5 syntax.
    store = Store(tmp_path / "fts.sqlite3")
    store.migrate()
    expression = match_expression(text)
    if expression is not None:
        store.query("SELECT rowid FROM request_search WHERE request_search MATCH ?", (expression,))
    store.close()


def shown(row, key: str):  # noqa: ANN001, ANN201
    """The value a column shows, as it should sort."""
    value = {
        "token": row.id,
        "received": row.received_at,
        "sender": (row.sender_name or row.sender_email or "").lower() or None,
        "subject": (row.subject or "").lower() or None,
        "organisation": (row.organisation or "").lower() or None,
        "group": row.group_name.lower() or None,
        "language": row.language_name.lower() or None,
        "assignee": row.assigned_to,
        "reason": row.reason,
    }[key]
    return value


def test_every_column_sorts_both_ways(world):
    # Each sort key orders the rows by the value shown, either way; empty values last (a
    # message's received time, subject and sender: as SQLite orders them, empty first).
    _, service = world
    store = service.store
    triage.assign(service.env, 2, "anna")
    triage.assign(service.env, 5, "philipp")
    for key in SORTS:
        for descending in (False, True):
            rows = page(store, scope="all", sort=key, descending=descending)
            values = [shown(r, key) for r in rows]
            filled = [v for v in values if v is not None]
            empty = [None] * (len(values) - len(filled))
            if key in BY_MESSAGE and not descending:  # in the order of the message's index
                assert values == empty + filled, key
            else:
                assert values == filled + empty, key
            assert filled == sorted(filled, reverse=descending), (key, descending)
    assert [r.id for r in page(store, scope="all", sort="assignee")][:2] == [2, 5]


def test_filters(world):
    # mine, unassigned, overdue, group (a proposed topic by id or new:<topic>), reason, language.
    _, service = world
    store = service.store
    triage.assign(service.env, 2, "anna")
    triage.assign(service.env, 3, "philipp")
    waiting = ids(store)
    assert waiting == {2, 3, 5, 6, 7, 9}
    assert ids(store, mine=True) == {2}
    assert ids(store, unassigned=True) == waiting - {2, 3}
    with store.transaction():  # received Monday 30 Nov (4 working days by Friday) and Tuesday (3)
        store.conn.execute("UPDATE messages SET internal_date = '2026-11-30T09:00:00Z'")
        store.conn.execute(
            "UPDATE messages SET internal_date = '2026-12-01T09:00:00Z' WHERE request_id IN (2, 3)"
        )
    assert ids(store, overdue=True) == waiting - {2, 3}
    assert ids(store, scope="all", overdue=True) == waiting - {2, 3}  # only what waits for a person
    rows = {r.id: r for r in page(store)}
    assert rows[5].waiting_days == 4 and rows[5].overdue
    assert rows[2].waiting_days == 3 and not rows[2].overdue
    assert ids(store, group="circular") == ids(store, group="new:circular") == {6}
    assert ids(store, scope="all", group="lcc") == {3, 4, 5}
    assert ids(store, reason="low confidence") == {5, 7}
    assert ids(store, scope="all", language="fi") == {1}
    assert ids(store, scope="all", language="fi", search="helsinki") == {1}
    assert ids(store, scope="all", language="en", search="helsinki") == {5}


def test_names_not_ids(world):
    # Groups show their (short) names, proposed topics readably; languages their names.
    _, service = world
    found = queue_page(
        service.store,
        QueueQuery(scope="all"),
        clock=CLOCK,
        page_size=100,
        account="anna",
        short_names={"srpp-ict": "SRPP ICT"},
    )
    rows = {r.id: r for r in found.rows}
    assert rows[6].group_name == "Circular (proposed)"
    assert rows[2].group_name == "SRPP ICT"
    assert rows[3].group_name == "Life Cycle Costing (LCC)"
    assert rows[8].group_name == "no group"
    assert rows[1].language_name == "Finnish"


@pytest.fixture
def client(world):
    config, service = world
    app = create_app(config)
    app.config["TESTING"] = True
    with app.test_client() as c:
        login(c)
        yield c, service


def test_queue_page_sorts_and_marks_the_sorted_column(client):
    # Header links sort on the server and carry aria-sort; unknown keys fall back quietly.
    c, _ = client
    html = c.get("/queue?scope=all&sort=subject&dir=asc").get_data(as_text=True)
    assert re.search(r'<th scope="col" aria-sort="ascending"><a href="\?[^"]*sort=subject&amp;dir=desc', html)
    assert html.count("aria-sort=") == 1
    default = c.get("/queue").get_data(as_text=True)
    assert 'aria-sort="ascending"><a href="?sort=received&amp;dir=desc"' in default  # longest waiting first
    assert c.get("/queue?sort=1;DROP&dir=sideways&page=x").status_code == 200
    hostile = c.get("/queue?q=%22AND%20*%20-%20NEAR(&overdue=1&unassigned=1")
    assert hostile.status_code == 200 and "Nothing found" in hostile.get_data(as_text=True)


def test_times_in_the_configured_zone_without_microseconds(client):
    # The request page and the queue show Brussels time to the minute (events to the second).
    c, service = client
    html = visible(c.get("/requests/1").get_data(as_text=True))
    assert "2024-01-15 08:20" in html and "07:20" not in html  # Date: 07:20:18 UTC
    assert not re.search(r"\d\d:\d\d:\d\d\.\d", html) and "T07" not in html
    queue = visible(c.get("/queue?scope=all").get_data(as_text=True))
    assert "2024-01-15 08:20" in queue
    assert not re.search(r"\d\d:\d\d:\d\d\.\d", queue)


def visible(html: str) -> str:
    """The page's text, without tags and their attributes."""
    return re.sub(r"<[^>]*>", " ", html)


def test_sender_link_needs_an_explicit_organisation(client):
    # "Sender belongs to" starts empty and required; a link without an organisation is refused.
    c, service = client
    html = c.get("/requests/2").get_data(as_text=True)
    assert re.search(r'<select name="organisation" required[^>]*><option value="">choose', html)
    before = service.store.query("SELECT organisation, domains, contact_emails FROM members ORDER BY id")
    answer = c.post(
        "/requests/2/link", data={"organisation": "", "csrf_token": csrf_of(html)}, follow_redirects=True
    )
    assert "Choose the organisation" in answer.get_data(as_text=True)
    after = service.store.query("SELECT organisation, domains, contact_emails FROM members ORDER BY id")
    assert [tuple(r) for r in after] == [tuple(r) for r in before]
    assert not service.store.query("SELECT 1 FROM events WHERE kind = 'sender_linked'")


def test_the_three_notes_are_named_apart(client):
    # Decision, closing and internal notes have their own labels and help texts.
    c, _ = client
    html = c.get("/requests/2").get_data(as_text=True)
    for label, hint in (
        ("Decision note", "decision-note-hint"),
        ("Closing note", "closing-note-hint"),
        ("Internal note", "internal-note-hint"),
    ):
        assert f"{label} <" in html and f'aria-describedby="{hint}"' in html and f'id="{hint}"' in html
    assert not re.search(r"<label>Note\b", html)


def test_timezone_and_overdue_days_are_checked(tmp_path):
    # An unknown zone or a zero overdue limit is one line naming the key; defaults otherwise.
    path = write_config(tmp_path, imap_port=1, smtp_port=1, inboxes=[{"name": "g", "username": "u"}])
    config = load_config(path)
    assert config.web.timezone == "Europe/Brussels" and config.desk.overdue_days == 3
    for extra, key in (
        ('[web]\ntimezone = "Europe/Atlantis"\n', "web.timezone"),
        ('[web]\ntimezone = "../../etc/passwd"\n', "web.timezone"),
        ("[desk]\noverdue_days = 0\n", "desk.overdue_days"),
        ("[desk]\noverdue = 3\n", "desk.overdue"),
    ):
        path = write_config(
            tmp_path, imap_port=1, smtp_port=1, inboxes=[{"name": "g", "username": "u"}], extra=extra
        )
        with pytest.raises(ConfigError) as caught:
            load_config(path)
        assert key in str(caught.value) and "\n" not in str(caught.value)
