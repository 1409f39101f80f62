"""The `intake` command: requests, queue, members, shunted (real SQLite, no IMAP needed)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from intake import pipeline
from intake.cli import main
from tests.conftest import DEV, REQUEST_FIELDS, ROSTER, service_with_stored


@pytest.fixture
def setup(tmp_path, smtp):
    names = ["0002.eml", "0014.eml", "0025.eml", "0044.eml", "0033.eml"]
    raws = [(DEV / name).read_bytes() for name in names]
    service = service_with_stored(tmp_path, raws, smtp_port=smtp.port, roster=True)
    path = tmp_path / "intake.toml"
    pipeline.process_pending(service.env)
    runner = CliRunner()

    def run(*args: str, code: int = 0):
        result = runner.invoke(main, ["--config", str(path), "--actor", "anna", *args])
        assert result.exit_code == code, result.output
        return result.output

    yield run, service, smtp
    service.close()


def test_requests_list_json(setup):
    # `requests list --json` is a JSON array with the documented fields.
    run, service, _ = setup
    rows = json.loads(run("requests", "list", "--json"))
    assert len(rows) == 5
    first = rows[0]
    assert set(REQUEST_FIELDS) <= set(first)
    assert first["inbox"] == ["general"]
    assert first["sender_email"] == "ville.koskinen@hel.fi"
    # the detected language and its confidence are stored beside the language answered in
    assert (first["language"], first["language_detected"]) == ("fi", "fi")
    assert 0.7 <= first["language_confidence"] <= 1.0


def test_requests_list_table_and_show(setup):
    # The human-readable list and one request's detail with its audit trail.
    run, service, _ = setup
    out = run("requests", "list")
    assert "ville.koskinen@hel.fi" in out
    detail = run("requests", "show", "1")
    assert "Audit trail" in detail and "decided" in detail
    assert json.loads(run("requests", "show", "1", "--json"))["explanation"]["classification"]
    assert "no request 99" in run("requests", "show", "99", code=1)


def test_queue_list_resolve_close_with_actor(setup):
    # Staff work the queue; each action is an event naming the actor.
    run, service, smtp = setup
    queue = json.loads(run("queue", "list", "--json"))
    reasons = {r["id"]: r["triage_reason"] for r in queue}
    assert reasons and all(reasons.values())
    nonmember = next(r for r in queue if r["triage_reason"] == "non-member")
    out = run(
        "queue",
        "resolve",
        str(nonmember["id"]),
        "--group",
        "lcc",
        "--intent",
        "question",
        "--note",
        "asked about fees",
        "--dry-run",
    )
    assert "would" in out
    assert service.store.one("SELECT status FROM requests WHERE id=?", (nonmember["id"],))[0] == "triage"
    run("queue", "resolve", str(nonmember["id"]), "--group", "lcc", "--intent", "question", "--send")
    row = service.store.one("SELECT * FROM requests WHERE id=?", (nonmember["id"],))
    assert (row["group_id"], row["intent"], row["status"]) == ("lcc", "question", "resolved")
    event = service.store.one("SELECT actor, detail FROM events WHERE kind='resolved'")
    assert event["actor"] == "anna"
    queued = service.store.query(
        "SELECT * FROM outbox WHERE request_id=? AND dedupe_key LIKE '%:r1:%'", (nonmember["id"],)
    )
    assert len(queued) == 1 and queued[0]["template"] == "ack_received"
    other = next(r for r in queue if r["id"] != nonmember["id"])
    run("queue", "close", str(other["id"]), "--note", "done")
    assert service.store.one("SELECT actor FROM events WHERE kind='closed'")[0] == "anna"
    run("queue", "close", str(other["id"]), code=1)
    run("queue", "reopen", str(other["id"]))
    remaining = {r["id"] for r in json.loads(run("queue", "list", "--json"))}
    assert nonmember["id"] not in remaining and other["id"] in remaining
    assert "unknown group" in run("queue", "resolve", "1", "--group", "x", "--intent", "join", code=1)


def test_resolve_member_join_forwards_once(setup):
    # Resolving a member's request as a join forwards it; resolving again adds a new round.
    run, service, smtp = setup
    unsub = next(r for r in json.loads(run("queue", "list", "--json")) if r["intent"] == "unsubscribe")
    run("queue", "resolve", str(unsub["id"]), "--group", "srpp-ict", "--intent", "join", "--send")
    rows = service.store.query(
        "SELECT kind FROM outbox WHERE request_id=? AND dedupe_key LIKE '%:r1:%' ORDER BY kind",
        (unsub["id"],),
    )
    assert [r["kind"] for r in rows] == ["ack", "forward"]
    service.run_cycle()
    assert any("Join request" in r.message["Subject"] for r in smtp.received)


def test_members_import_and_list(setup, tmp_path):
    # Import prints counts; a bad file is one line with the line number, exit 1.
    run, service, _ = setup
    assert "0 added, 0 changed, 0 removed" in run("members", "import", str(ROSTER))
    bad = tmp_path / "bad.csv"
    bad.write_text("organisation,country,membership,domains,contact_emails\nX,DE,nope,x.de,\n")
    out = run("members", "import", str(bad), code=1)
    assert "line 2" in out and "Traceback" not in out
    assert "Stadt Heidelberg" in run("members", "list", "--search", "heidelberg")


def test_shunted_list_and_replay(setup, monkeypatch):
    # A crashing stage shunts the message; after the fix, replay brings it back once.
    run, service, _ = setup
    from intake.stages import classify

    def broken(ctx, env):
        if ctx.is_human:  # machine mail skips classification, so it is unaffected
            raise RuntimeError("injected failure")

    monkeypatch.setattr(classify, "run", broken)
    service.store.store_delivery(
        inbox="general",
        folder="INBOX",
        uidvalidity=1,
        uid=99,
        raw=(DEV / "0003.eml").read_bytes(),
        internal_date=None,
    )
    service.store.store_delivery(
        inbox="general",
        folder="INBOX",
        uidvalidity=1,
        uid=100,
        raw=(DEV / "0044.eml").read_bytes().replace(b"Message-ID: <", b"Message-ID: <x"),
        internal_date=None,
    )
    pipeline.process_pending(service.env)
    shunted = json.loads(run("shunted", "list", "--json"))
    assert len(shunted) == 1 and "injected failure" in shunted[0]["reason"]
    (trace,) = service.store.event_rows("e.kind='shunted'")
    assert "RuntimeError" in trace["detail"]["traceback"]
    assert any(r["triage_reason"].startswith("shunted") for r in json.loads(run("queue", "list", "--json")))
    monkeypatch.undo()
    out = run("shunted", "replay", str(shunted[0]["message"]))
    assert "replayed" in out
    assert json.loads(run("shunted", "list", "--json")) == []
    row = service.store.one("SELECT * FROM requests WHERE id=?", (shunted[0]["request_id"],))
    assert row["intent"] == "join" and row["status"] == "routed"


def test_status_exit_code(setup):
    # `intake status` exits 1 when something needs a person (here: the unreachable inbox).
    run, service, _ = setup
    service.run_cycle()
    out = run("status", "--json", code=1)
    assert json.loads(out)["problems"]


def test_config_option_may_follow_the_command(setup, tmp_path):
    # `intake requests list --config FILE` works like `intake --config FILE requests list`.
    run, service, _ = setup
    from intake.cli import hoist_global_options

    assert hoist_global_options(["web", "--config", "x.toml", "--port", "1"]) == [
        "--config",
        "x.toml",
        "web",
        "--port",
        "1",
    ]
    assert hoist_global_options(["queue", "list", "--actor=bob"]) == ["--actor=bob", "queue", "list"]
    config = str(service.config.path)
    result = CliRunner().invoke(main, ["requests", "list", "--json", "--config", config])
    assert result.exit_code == 0 and len(json.loads(result.output)) == 5


def test_migrations_are_recorded_and_idempotent(setup):
    # Every migration is applied once, in order, and recorded; running again changes nothing.
    run, service, _ = setup
    names = [r[0] for r in service.store.query("SELECT name FROM _migrations ORDER BY name")]
    assert names == sorted(names) and names[0].startswith("0001") and len(names) >= 3
    assert service.store.migrate() == []
    plan = service.store.query("EXPLAIN QUERY PLAN SELECT * FROM outbox WHERE request_id=1")
    assert "outbox_request" in " ".join(str(tuple(r)) for r in plan)
    # the per-message part of the hourly limit reads only the newest rows, by rowid
    from intake.queries_outbox import ACKS_AFTER_SQL

    plan = service.store.query("EXPLAIN QUERY PLAN " + ACKS_AFTER_SQL, (1,))
    assert "PRIMARY KEY" in " ".join(str(tuple(r)) for r in plan)
    # the per-sender and per-organisation counts read only an index, never the outbox's rows
    # (whose stored mail comes before their status): a busy organisation's count stays cheap
    from intake import queries_outbox

    for key in ({"mailbox": "a@stad.gent"}, {"organisation": "org:Stad Gent"}):
        sql: list[str] = []
        service.store.conn.set_trace_callback(sql.append)
        queries_outbox.acks_since(service.store, since="2026-01-01", cap=20, **key)
        service.store.conn.set_trace_callback(None)
        query = next(s for s in sql if "COUNT" in s)
        plan = " ".join(str(tuple(r)) for r in service.store.query("EXPLAIN QUERY PLAN " + query))
        assert "COVERING INDEX outbox_rate_" in plan, plan
    # and they stop counting at the limit
    from intake.stages.respond import _rate_windows

    day, _hour = _rate_windows()
    with service.store.transaction():
        for n in range(5):
            service.store.conn.execute(
                "INSERT INTO outbox (kind, template, recipient, message_id, raw, created_at,"
                " rate_organisation) VALUES ('ack', 't', 'a@stad.gent', ?, x'00', ?, 'org:Stad Gent')",
                (f"cap-{n}@test", "9999-01-01T00:00:00"),  # inside any window
            )
    assert queries_outbox.acks_since(service.store, since=day, cap=3, organisation="org:Stad Gent") == 3
    assert queries_outbox.acks_since(service.store, since=day, cap=20, organisation="org:Stad Gent") == 5


def test_raw_bytes_move_out_of_messages_on_upgrade(tmp_path, monkeypatch):
    # A database made before 0005 keeps every stored message's bytes after the upgrade,
    # and the pipeline reads them from the new table.
    import shutil

    from intake import store as store_module
    from intake.store import Store

    old = tmp_path / "old-migrations"
    old.mkdir()
    for script in sorted(store_module.MIGRATIONS_DIR.glob("*.sql")):
        if script.name < "0005":
            shutil.copy(script, old / script.name)
    monkeypatch.setattr(store_module, "MIGRATIONS_DIR", old)
    db = Store(tmp_path / "intake.sqlite3")
    db.migrate()
    raw = (DEV / "0003.eml").read_bytes()
    with db.transaction():
        db.insert(
            "messages",
            {
                "message_key": "mid:x@y",
                "raw": raw,
                "size": len(raw),
                "sha256": "0",
                "stored_at": "2026-01-01T00:00:00Z",
            },
        )
    db.close()
    monkeypatch.undo()
    db = Store(tmp_path / "intake.sqlite3")
    assert "0005_raw_apart.sql" in db.migrate()
    columns = [r[1] for r in db.query("PRAGMA table_info(messages)")]
    assert "raw" not in columns
    assert db.raw_of(1) == raw


def test_listing_many_requests_costs_a_fixed_number_of_queries(setup):
    # A list of requests is read with a handful of queries, whatever its length, and
    # each entry says the same as the request's own summary.
    from intake import queries

    _, service, _ = setup
    store = service.store
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        listed = queries.list_requests(store)
    finally:
        store.conn.set_trace_callback(None)
    assert len(listed) == 5 and len(statements) <= 4
    for entry in listed:
        row = store.one(queries.REQUEST_SQL + " WHERE r.id = ?", (entry["id"],))
        assert queries.summarize(store, row) == entry
    acked = [e for e in listed if e["acknowledged"]]
    assert acked and all(e["inbox"] == ["general"] and e["message_ids"] for e in acked)


def test_desk_queue_pages_in_sql_as_filtering_everything_would(setup):
    # The desk's queue page (filtered, counted and paged by SQL) lists exactly what
    # filtering and sorting every request by hand gives, page by page.
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from intake import queries
    from intake.queries_queue import Clock, QueueQuery, queue_page

    clock = Clock(now=datetime.now(UTC), zone=ZoneInfo("Europe/Brussels"), overdue_days=3)

    _, service, _ = setup
    store = service.store
    store.conn.execute("UPDATE requests SET assigned_to='anna' WHERE id IN (1, 3)")
    everything = queries.list_requests(store)

    def by_hand(scope, f):
        rows = [r for r in everything if scope == "all" or r["status"] in ("triage", "shunted")]
        counts: dict[str, int] = {}
        for r in rows:
            if r["status"] not in ("triage", "shunted"):
                continue  # counted: what waits for a person
            counts[queries.reason_key(r["triage_reason"])] = (
                counts.get(queries.reason_key(r["triage_reason"]), 0) + 1
            )
        rows = [
            r
            for r in rows
            if (not f.get("group") or (r["group"] or "") == f["group"])
            and (not f.get("intent") or (r["intent"] or "") == f["intent"])
            and (not f.get("member") or bool(r["is_member"]) == (f["member"] == "yes"))
            and (not f.get("reason") or queries.reason_key(r["triage_reason"]) == f["reason"])
            and (not f.get("mine") or r["assigned_to"] == "anna")
        ]
        return {r["id"] for r in rows}, counts

    reasons = {queries.reason_key(r["triage_reason"]) for r in everything}
    combos = [
        {},
        {"member": "yes"},
        {"member": "no"},
        {"mine": True},
        {"group": "lcc"},
        {"intent": "join", "member": "yes"},
    ] + [{"reason": k} for k in reasons]
    for scope in ("triage", "all"):
        for f in combos:
            expected, counts = by_hand(scope, f)
            got, total = set(), None
            for page in (1, 2, 3, 4):
                found = queue_page(
                    store, QueueQuery(scope=scope, page=page, **f), clock=clock, page_size=2, account="anna"
                )
                total = found.total
                got |= {r.id for r in found.rows}
                assert found.counts == counts
            assert got == expected and total == len(expected), (scope, f)
    newest_first = queue_page(store, QueueQuery(scope="all"), clock=clock, page_size=5, account="anna")
    received = [r.received_at for r in newest_first.rows]
    assert received == sorted(received, reverse=True)
    # a page past the end (a filter shrank the list) shows the last page
    last = queue_page(store, QueueQuery(scope="all", page=3), clock=clock, page_size=2, account="anna")
    beyond = queue_page(store, QueueQuery(scope="all", page=999), clock=clock, page_size=2, account="anna")
    assert beyond.page == last.page == last.pages == 3
    assert [r.id for r in beyond.rows] == [r.id for r in last.rows]


def test_crash_late_in_one_message_leaves_its_group_whole(setup, monkeypatch):
    # Three messages in one commit group; the middle one crashes in its last stage, after
    # its request row was written. Only it is rolled back (then shunted); the others keep
    # their decisions and queued mail.
    _, service, _ = setup
    from intake.stages import respond

    store = service.store
    raws = [
        (DEV / name).read_bytes().replace(b"Message-ID: <", b"Message-ID: <grp" + bytes([48 + i]))
        for i, name in enumerate(["0002.eml", "0003.eml", "0014.eml"])
    ]
    pks = [
        store.store_delivery(
            inbox="general", folder="INBOX", uidvalidity=1, uid=200 + i, raw=raw, internal_date=None
        )[0]
        for i, raw in enumerate(raws)
    ]
    real = respond.run

    def crash_on_middle(ctx, env):
        real(ctx, env)
        if ctx.message_pk == pks[1]:
            raise RuntimeError("injected late failure")

    monkeypatch.setattr(respond, "run", crash_on_middle)
    requests_before = store.one("SELECT COUNT(*) FROM requests")[0]
    assert pipeline.process_pending(service.env) == 3
    status = {pk: store.one("SELECT status FROM messages WHERE id=?", (pk,))[0] for pk in pks}
    assert status == {pks[0]: "processed", pks[1]: "shunted", pks[2]: "processed"}
    middle = store.one("SELECT request_id FROM messages WHERE id=?", (pks[1],))[0]
    assert store.one("SELECT status FROM requests WHERE id=?", (middle,))[0] == "shunted"
    assert store.one("SELECT COUNT(*) FROM outbox WHERE request_id=?", (middle,))[0] == 0
    assert store.one("SELECT COUNT(*) FROM requests")[0] == requests_before + 3
    for pk in (pks[0], pks[2]):
        request_id = store.one("SELECT request_id FROM messages WHERE id=?", (pk,))[0]
        assert store.one("SELECT COUNT(*) FROM outbox WHERE request_id=?", (request_id,))[0] >= 1


@pytest.mark.parametrize("spin", ["python-loop", "regex-backtracking"])
def test_message_that_makes_the_parser_spin_is_kept_and_triaged(setup, monkeypatch, spin):
    # A message whose parsing never ends is stopped after limits.max_parse_seconds, kept
    # unparsed and triaged with the reason; the rest of the backlog goes on. That holds for a loop in Python
    # and for a catastrophically backtracking regex inside the C regex engine (which
    # checks for signals while it matches).
    import re
    from dataclasses import replace

    from intake.stages import parse
    from tests.mailgen import generate

    _, service, _ = setup
    real = parse.parse_bytes

    def spinning(raw: bytes):
        while b"spin-forever" in raw:
            if spin == "regex-backtracking":  # 2^60 steps: would run for centuries
                re.match(r"(a+)+$", "a" * 60 + "b")
        return real(raw)

    monkeypatch.setattr(parse, "parse_bytes", spinning)
    env = replace(
        service.env,
        config=replace(service.config, limits=replace(service.config.limits, max_parse_seconds=0.3)),
    )
    raws = generate(70, 21)
    raws.insert(
        10,
        (DEV / "0002.eml")
        .read_bytes()
        .replace(b"Message-ID: <", b"X-Test: spin-forever\r\nMessage-ID: <spin"),
    )
    for uid, raw in enumerate(raws, 300):
        service.store.store_delivery(
            inbox="general", folder="INBOX", uidvalidity=1, uid=uid, raw=raw, internal_date=None
        )
    assert pipeline.process_pending(env) == len(raws)
    stuck = service.store.query(
        "SELECT status, status_reason, request_id FROM messages WHERE status_reason LIKE '%longer than%'"
    )
    assert len(stuck) == 1 and stuck[0]["status"] == "unparseable"
    assert "0.3 s" in stuck[0]["status_reason"]
    status = service.store.one("SELECT status FROM requests WHERE id=?", (stuck[0]["request_id"],))[0]
    assert status == "triage"
    assert service.store.one("SELECT COUNT(*) FROM messages WHERE status='stored'")[0] == 0
