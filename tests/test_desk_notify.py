"""Issue 21, "being told": staff and facilitators hear of new and overdue triage requests,
at once or in a daily digest, with links that open the request in the desk."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from intake import accounts, desk_notify, members, outbox, pipeline
from intake.cli import main
from intake.config import load_config
from intake.queries_notify import WaitingRequest
from intake.service import Service
from intake.store import utcnow
from intake.web import create_app
from tests.conftest import DEV, ROSTER, write_config
from tests.test_web_browser import browser, click_and_load  # noqa: F401  (fixture)
from tests.webfixtures import PASSWORD, XSS_MAIL, hold_as_unsure, login

STAFF = "secretariat@iclei.org"
LCC = "philipp.tepper@iclei.org"  # facilitator of lcc (rules/groups.toml)
ICT = "procurement@iclei.org"  # facilitator of srpp-ict
BASE = "https://desk.example.org"
FILES = ["0002.eml", "0014.eml", "0025.eml", "0029.eml", "0037.eml", "0001.eml", "0018.eml", "0044.eml"]
# Wednesday 2 December 2026, 08:30 in Brussels (CET, UTC+1): the test day
TEST_DAY = datetime(2026, 12, 2, 7, 30, tzinfo=UTC)
RECEIVED = {  # message -> when it reached the server (and intake stored it)
    "old-overdue": "2026-11-23T10:00:00Z",  # Monday a week before: 7 working days
    "overdue": "2026-11-26T10:00:00Z",  # Thursday: Fri, Mon, Tue, Wed = 4 > 3
    "just-in-time": "2026-11-27T10:00:00Z",  # Friday: Mon, Tue, Wed = 3, not overdue
    "new": "2026-12-01T20:00:00Z",  # last evening, after the last digest
}


def build(tmp_path, smtp_port: int, *, notify: str = "digest", base_url: str | None = BASE) -> Service:
    """The desk's corpus requests, stored with the arrival times of RECEIVED: request 5
    (lcc, low confidence) old-overdue, 2 (srpp-ict, non-member) overdue, 3 (lcc, question)
    just in time, and 6 (a proposal), 7 and 9 (srpp-ict) new."""
    web = f'[web]\nbase_url = "{base_url}"\n' if base_url else ""
    path = write_config(
        tmp_path,
        imap_port=1,
        smtp_port=smtp_port,
        inboxes=[{"name": "general", "username": "u"}],
        extra=f'{web}[desk]\nnotify = "{notify}"\noverdue_days = 3\ndigest_time = "08:00"\n',
    )
    service = Service(load_config(path))
    members.import_file(service.store, ROSTER, "test")
    for uid, raw in enumerate([*((DEV / n).read_bytes() for n in FILES), XSS_MAIL.encode()], 1):
        service.store.store_delivery(
            inbox="general", folder="INBOX", uidvalidity=1, uid=uid, raw=raw, internal_date=None
        )
    pipeline.process_pending(service.env)
    hold_as_unsure(service.store, 5, 7)
    outbox.send_due(service.store, service.config.smtp)  # the acknowledgements, out of the way
    when = {5: "old-overdue", 2: "overdue", 3: "just-in-time", 6: "new", 7: "new", 9: "new"}
    with service.store.transaction():  # the arrival times of a test day
        for request_id, kind in when.items():
            stamp = RECEIVED[kind]
            service.store.conn.execute("UPDATE requests SET created_at=? WHERE id=?", (stamp, request_id))
            service.store.conn.execute(
                "UPDATE messages SET internal_date=? WHERE request_id=?", (stamp, request_id)
            )
    assert [
        r[0] for r in service.store.query("SELECT id FROM requests WHERE status='triage' ORDER BY id")
    ] == [
        2,
        3,
        5,
        6,
        7,
        9,
    ]
    return service


def digest_to(smtp, address: str) -> str:
    """The body of the one digest the address received."""
    found = [r for r in smtp.to(address) if r.message["Subject"].startswith("Triage desk")]
    assert len(found) == 1
    return found[0].message.get_content()


def tokens(items: list[desk_notify.Item]) -> list[int]:
    return [i.request_id for i in items]


def test_digest_lists_new_and_overdue_per_recipient(tmp_path, smtp):
    # Staff get every waiting request; each facilitator only their group's; overdue beats new.
    service = build(tmp_path, smtp.port)
    env = service.env
    waiting = desk_notify.queries_notify.waiting_requests(env.store)
    by = {r.address: r for r in desk_notify.recipients(env)}
    assert set(by) == {STAFF, LCC, ICT}
    assert by[LCC].groups == ("lcc",) and by[STAFF].is_staff

    staff = desk_notify.build_digest(env, by[STAFF], TEST_DAY, waiting)
    assert tokens(staff.overdue) == [5, 2]  # oldest first
    assert tokens(staff.new) == [6, 7, 9]
    assert staff.waiting_total == 6  # request 3 waits 3 working days: neither new nor overdue
    assert [i.waiting_days for i in staff.overdue] == [7, 4]
    assert staff.overdue[0].received == "2026-11-23 11:00"  # in Brussels time

    lcc = desk_notify.build_digest(env, by[LCC], TEST_DAY, waiting)
    assert tokens(lcc.overdue) == [5] and lcc.new == [] and lcc.waiting_total == 2

    ict = desk_notify.build_digest(env, by[ICT], TEST_DAY, waiting)
    assert tokens(ict.overdue) == [2] and tokens(ict.new) == [7, 9]  # not the proposal (6)
    assert all(i.link == f"{BASE}/requests/{i.request_id}" for i in [*staff.new, *staff.overdue])
    service.close()


def test_nobody_is_told_about_their_own_request():
    # A notice never goes to the request's sender, even when they are a facilitator.
    request = WaitingRequest(
        id=1,
        token="IG-1",
        status="triage",
        group_id="lcc",
        explanation=None,
        intent="join",
        language="en",
        organisation=None,
        triage_reason="question",
        requester_email="Philipp.Tepper@iclei.org",
        requester_name=None,
        subject="x",
        assigned_to=None,
        created_at="2026-12-01T10:00:00Z",
        waiting_since="2026-12-01T10:00:00Z",
    )
    assert not desk_notify.concerns(desk_notify.Recipient(LCC, ("lcc",)), request)
    assert desk_notify.concerns(desk_notify.Recipient(STAFF), request)
    assert not desk_notify.concerns(desk_notify.Recipient("other@iclei.org", ("srpp-ict",)), request)


def test_digest_waits_for_its_time_and_working_days(tmp_path, smtp):
    # Nothing before desk.digest_time (Brussels) or on a weekend, unless forced (the CLI's --now).
    service = build(tmp_path, smtp.port)
    env = service.env
    assert desk_notify.send_digests(env, now=datetime(2026, 12, 2, 6, 59, tzinfo=UTC)) == []  # 07:59
    saturday = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    assert desk_notify.send_digests(env, now=saturday) == []
    assert env.store.one("SELECT COUNT(*) FROM outbox WHERE template='desk_digest'")[0] == 0
    assert len(desk_notify.send_digests(env, now=saturday, force=True, dry_run=True)) == 3
    assert env.store.one("SELECT COUNT(*) FROM outbox WHERE template='desk_digest'")[0] == 0
    service.close()


def test_digest_goes_once_a_day_across_a_restart(tmp_path, smtp):
    # The test day's digests reach the SMTP server once; a restarted service (and --now) sends
    # nothing more that day; the next working day brings the overdue list again.
    service = build(tmp_path, smtp.port)
    config = service.config
    assert len(desk_notify.send_digests(service.env, now=TEST_DAY)) == 3
    assert outbox.send_due(service.store, config.smtp).sent == 3
    service.close()

    again = Service(config)  # the same SQLite file
    assert desk_notify.send_digests(again.env, now=TEST_DAY.replace(hour=15)) == []
    assert desk_notify.send_digests(again.env, now=TEST_DAY.replace(hour=15), force=True) == []
    assert outbox.send_due(again.store, config.smtp).sent == 0
    digests = [r for r in smtp.received if r.message["Subject"].startswith("Triage desk")]
    assert sorted(a for r in digests for a in r.rcpt_tos) == sorted([STAFF, LCC, ICT])
    message = next(r for r in digests if STAFF in r.rcpt_tos).message
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Subject"] == "Triage desk 2026-12-02: 3 new, 2 overdue"

    thursday = desk_notify.send_digests(again.env, now=TEST_DAY.replace(day=3))
    staff = next(d for d in thursday if d.recipient == STAFF)
    assert staff.new == [] and tokens(staff.overdue) == [5, 2, 3]  # 3 is overdue on Thursday
    assert outbox.send_due(again.store, config.smtp).sent == 3
    again.close()


def test_test_day_digest_links_open_the_request_pages(tmp_path, smtp):
    # The digest mail of a test day lists new and overdue requests; each link, followed after
    # logging in, opens that request's page in the desk (staff and the lcc facilitator).
    service = build(tmp_path, smtp.port)
    accounts.add(service.store, "anna", "staff", None, PASSWORD)
    accounts.add(service.store, "philipp", "facilitator", "lcc", PASSWORD)
    desk_notify.send_digests(service.env, now=TEST_DAY)
    outbox.send_due(service.store, service.config.smtp)
    app = create_app(service.config)
    app.config["TESTING"] = True
    for address, name, expected in ((STAFF, "anna", {2, 5, 6, 7, 9}), (LCC, "philipp", {5})):
        body = digest_to(smtp, address)
        assert "OVERDUE: waiting more than 3 working days" in body
        links = re.findall(r"https?://\S+/requests/\d+", body)
        assert {int(link.rsplit("/", 1)[1]) for link in links} == expected
        client = app.test_client()
        assert login(client, name).status_code == 302
        for link in links:
            assert link.startswith(f"{BASE}/requests/")  # absolute, to the configured desk
            page = client.get(urlsplit(link).path)
            assert page.status_code == 200, link
            token = service.store.one(
                "SELECT token FROM requests WHERE id=?", (int(link.rsplit("/", 1)[1]),)
            )[0]
            assert token in page.get_data(as_text=True)
    staff_body = digest_to(smtp, STAFF)
    assert staff_body.index("OVERDUE") < staff_body.index("NEW since the last digest")
    assert "markus.lehner" not in staff_body  # no sender address in a digest
    service.close()


def test_without_base_url_the_notice_says_so(tmp_path, smtp):
    # No web.base_url: no links, one line saying what to set; `intake config check` warns.
    service = build(tmp_path, smtp.port, base_url=None)
    desk_notify.send_digests(service.env, now=TEST_DAY)
    outbox.send_due(service.store, service.config.smtp)
    body = digest_to(smtp, STAFF)
    assert "/requests/" not in body
    assert body.count(desk_notify.NO_BASE_URL) == 1
    from intake import preflight

    warning = [c for c in preflight.run_checks(service.config) if c.name == "web"]
    assert warning and warning[0].ok and warning[0].warning and "base_url" in warning[0].detail
    assert warning[0].line().startswith("WARN web:")
    service.close()


def test_immediate_notices_once_per_request_and_recipient(tmp_path, smtp):
    # desk.notify = "immediate": a service cycle mails each new triage request at once to staff
    # and to its group's facilitators; the proposal's own staff notice is not doubled; a second
    # cycle sends nothing more.
    service = build(tmp_path, smtp.port, notify="immediate")
    with service.store.transaction():  # arrived just now (announced only within two days)
        service.store.conn.execute("UPDATE requests SET created_at=?", (utcnow(),))
    service.run_cycle()
    notices = [
        r for r in smtp.received if r.message["Subject"] and "Waiting in the desk" in r.message["Subject"]
    ]
    got = sorted(
        (r.rcpt_tos[0], re.search(r"/requests/(\d+)", r.message.get_content()).group(1)) for r in notices
    )
    assert got == sorted(
        [(STAFF, str(i)) for i in (2, 3, 5, 7, 9)]
        + [(LCC, "3"), (LCC, "5")]
        + [(ICT, str(i)) for i in (2, 7, 9)]
    )
    assert all(r.message["Auto-Submitted"] == "auto-generated" for r in notices)
    proposal = [r for r in smtp.to(STAFF) if "New group proposal" in r.message["Subject"]]
    assert len(proposal) == 1 and f"{BASE}/requests/6" in proposal[0].message.get_body().get_content()
    count = len(smtp.received)
    service.run_cycle()
    assert len(smtp.received) == count
    service.close()


def test_cli_digest_dry_run_and_now(tmp_path, smtp):
    # `intake notify digest --dry-run --now` shows the digests and queues nothing; without
    # --dry-run it queues them, once.
    service = build(tmp_path, smtp.port)
    config_path = str(service.config.path)
    service.close()
    runner = CliRunner()
    dry = runner.invoke(main, ["--config", config_path, "notify", "digest", "--dry-run", "--now"])
    assert dry.exit_code == 0, dry.output
    assert "would queue digest" in dry.output and STAFF in dry.output
    check = Service(load_config(config_path))
    assert check.store.one("SELECT COUNT(*) FROM outbox WHERE template='desk_digest'")[0] == 0
    check.close()
    real = runner.invoke(main, ["--config", config_path, "notify", "digest", "--now", "--json"])
    assert real.exit_code == 0, real.output
    assert '"recipient": "secretariat@iclei.org"' in real.output
    second = runner.invoke(main, ["--config", config_path, "notify", "digest", "--now"])
    assert "nothing to send" in second.output
    check = Service(load_config(config_path))
    assert check.store.one("SELECT COUNT(*) FROM outbox WHERE template='desk_digest'")[0] == 3
    check.close()


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ('[desk]\nnotify = "hourly"\n', "desk.notify"),
        ('[desk]\ndigest_time = "8am"\n', "desk.digest_time"),
        ('[desk]\ndigest_time = "25:00"\n', "desk.digest_time"),
        ("[desk]\noverdue_days = 0\n", "desk.overdue_days"),
        ('[web]\ntimezone = "Europe/Gotham"\n', "web.timezone"),
    ],
)
def test_bad_desk_settings_name_the_key(tmp_path, extra, key):
    # A wrong notice setting is one line naming the key, before anything runs.
    from intake.config import ConfigError

    path = write_config(
        tmp_path, imap_port=1, smtp_port=2, inboxes=[{"name": "general", "username": "u"}], extra=extra
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.key == key


def test_desk_defaults_and_the_example(tmp_path, monkeypatch):
    # Without [desk], nothing is mailed (an upgrade starts no notices); the example asks for a digest.
    from tests.conftest import ROOT

    monkeypatch.setenv("INTAKE_GENERAL_PASSWORD", "a")
    monkeypatch.setenv("INTAKE_LCC_PASSWORD", "b")
    path = write_config(tmp_path, imap_port=1, smtp_port=2, inboxes=[{"name": "general", "username": "u"}])
    config = load_config(path)
    assert (config.desk.notify, config.desk.overdue_days, config.desk.digest_time) == ("off", 3, "08:00")
    assert config.web.timezone == "Europe/Brussels"
    example = load_config(ROOT / "intake.example.toml")
    assert example.desk.notify == "digest"


def test_immediate_mode_digest_lists_only_overdue(tmp_path, smtp):
    # With notices at once, the daily mail repeats nothing new: it lists only overdue requests.
    service = build(tmp_path, smtp.port, notify="immediate")
    digests = {d.recipient: d for d in desk_notify.send_digests(service.env, now=TEST_DAY)}
    assert set(digests) == {STAFF, LCC, ICT}
    assert digests[STAFF].new == [] and tokens(digests[STAFF].overdue) == [5, 2]
    assert tokens(digests[ICT].overdue) == [2]
    service.close()


def test_digest_links_work_in_chromium(tmp_path, smtp, browser):  # noqa: F811
    # In Chromium: the lcc facilitator follows the overdue link of their test-day digest, logs
    # in, and lands on that request's page.
    import threading

    from werkzeug.serving import make_server

    from intake.smtp_sink import free_port

    port = free_port()
    service = build(tmp_path, smtp.port, base_url=f"http://127.0.0.1:{port}")
    accounts.add(service.store, "philipp", "facilitator", "lcc", PASSWORD)
    server = make_server("127.0.0.1", port, create_app(service.config), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        desk_notify.send_digests(service.env, now=TEST_DAY)
        outbox.send_due(service.store, service.config.smtp)
        links = re.findall(r"http://\S+/requests/\d+", digest_to(smtp, LCC))
        assert links == [f"http://127.0.0.1:{port}/requests/5"]
        page = browser.new_page()
        page.goto(links[0])
        assert "/login" in page.url  # the link asks for a login first, then leads on
        page.fill("input[name=name]", "philipp")
        page.fill("input[name=password]", PASSWORD)
        click_and_load(page, "button[type=submit]")
        assert page.url == links[0]
        token = service.store.one("SELECT token FROM requests WHERE id=5")[0]
        assert token in page.inner_text("h1")
        page.close()
    finally:
        server.shutdown()
        service.close()
