"""The Interest Group register on a real SQLite file: links, topics, leaving, closing,
guidelines, meetings (no IMAP: mail is stored as the poller would store it)."""

from __future__ import annotations

import itertools
import json

import pytest

from intake import members, pipeline, register, register_links, register_mail
from intake.config import load_config
from intake.context import Context, Membership
from intake.service import Service
from intake.web import create_app
from tests.conftest import ROOT, ROSTER, write_config
from tests.test_register_end_to_end import CIRCULAR_JOIN, LCC_JOIN, OFFER, PROPOSALS, mail
from tests.test_templates import TEMPLATES, VARIABLES
from tests.webfixtures import csrf_of

_uids = itertools.count(1)


@pytest.fixture
def env(tmp_path):
    path = write_config(
        tmp_path,
        imap_port=1,
        smtp_port=1,
        inboxes=[{"name": "general", "username": "u"}],
        extra='[web]\nbase_url = "https://desk.example.org"\n\n[register]\n'
        'guidelines = { en = "https://example.org/ig-guidelines.pdf",'
        ' de = "https://example.org/ig-leitfaden.pdf" }\n',
    )
    service = Service(load_config(path))
    members.import_file(service.store, ROSTER, "test")
    yield service.env
    service.close()


def deliver(env, *raws: bytes) -> None:
    for raw in raws:
        env.store.store_delivery(
            inbox="general", folder="INBOX", uidvalidity=1, uid=next(_uids), raw=raw, internal_date=None
        )
    pipeline.process_pending(env)


def outbox(env, template: str) -> list:
    return env.store.query("SELECT * FROM outbox WHERE template=? ORDER BY id", (template,))


def forwarded_participant(env) -> tuple[int, str]:
    deliver(env, LCC_JOIN)
    row = env.store.one("SELECT id FROM participants WHERE organisation='Ayuntamiento de Valladolid'")
    with env.store.transaction():
        token = register_links.new_token(env.config, env.store, row["id"])
    return row["id"], token


def test_rules_seed_the_register_and_a_closed_status_survives_a_resync(env):
    # groups.toml seeds the register; staff closing a group there outlives a restart.
    assert {g["id"] for g in register.groups_list(env.store)} >= {"lcc", "srpp-ict"}
    with env.store.transaction():
        register.set_group_status(env, "lcc", "closed")
    register.sync_rules(env.store, env.rules)
    assert register.group_row(env.store, "lcc")["status"] == "closed"
    assert register.effective_rules(env.rules, env.store).group("lcc").status == "closed"


def test_a_closed_groups_join_is_answered_with_the_closed_group_mail(env):
    # A join for a closed group: the closed-group template in the sender's language (or English).
    with env.store.transaction():
        register.set_group_status(env, "lcc", "closed")
    env.rules = register.effective_rules(env.rules, env.store)
    deliver(env, LCC_JOIN)
    (ack,) = outbox(env, "group_closed")
    assert ack["recipient"] == "lmartin@valladolid.es" and not outbox(env, "forward_join")
    assert env.store.one("SELECT COUNT(*) FROM participants")[0] == 0


def test_a_link_is_single_use_and_a_tampered_one_is_refused(env):
    # The signed token works once; an altered token or a second use changes nothing.
    pid, token = forwarded_participant(env)
    with pytest.raises(register.RegisterError, match="not valid"):
        register_links.check(env.config, env.store, token[:-2] + "xx")
    row = register_mail.decide_by_token(env, token, "confirm")
    assert row["status"] == "confirmed"
    with pytest.raises(register.RegisterError, match="already used"):
        register_mail.decide_by_token(env, token, "decline")
    assert register.participant(env.store, pid)["status"] == "confirmed"
    assert [h["status"] for h in register.history(env.store, pid)] == ["forwarded", "confirmed"]
    assert len(outbox(env, "welcome")) == 1


def test_the_link_page_acts_only_on_post(env):
    # Opening the link (a mail scanner) changes nothing; the form's POST confirms.
    pid, token = forwarded_participant(env)
    client = create_app(env.config).test_client()
    page = client.get(f"/p/{token}")
    assert page.status_code == 200 and b"Ayuntamiento de Valladolid" in page.data
    assert register.participant(env.store, pid)["status"] == "forwarded"
    csrf = csrf_of(page.get_data(as_text=True))
    assert client.post(f"/p/{token}", data={"action": "decline"}).status_code == 400  # no CSRF token
    assert register.participant(env.store, pid)["status"] == "forwarded"
    done = client.post(f"/p/{token}", data={"action": "decline", "csrf_token": csrf})
    assert done.status_code == 200 and b"declined" in done.data
    assert client.post(f"/p/{token}", data={"action": "confirm", "csrf_token": csrf}).status_code == 410
    assert register.participant(env.store, pid)["status"] == "declined"
    assert outbox(env, "welcome") == []


def test_merged_topics_count_together_and_notify_once(env):
    # Interest in two topics counts towards one after a merge; the notice goes once.
    deliver(env, PROPOSALS[0], PROPOSALS[1])
    with env.store.transaction():
        register.ensure_topic(env.store, "food")
        env.store.conn.execute(
            "UPDATE topic_interest SET group_id='food' WHERE request_id="
            "(SELECT MIN(request_id) FROM topic_interest)"
        )
    assert register.interest_of(env.store, "circular")["interested"] == 1
    with env.store.transaction():
        register.merge_topics(env, "food", "circular")
    assert register.interest_of(env.store, "circular")["interested"] == 2
    deliver(env, PROPOSALS[2], OFFER)
    assert register.interest_of(env.store, "circular")["ready"] is True
    assert len(outbox(env, "ready_to_start")) == 1
    with env.store.transaction():
        assert register_mail.notify_if_ready(env, "circular") is None
    assert "food" not in {g["id"] for g in register.groups_list(env.store)}


def test_a_started_group_classifies_new_mail_with_editable_cues(env):
    # After start, a join naming the topic goes to the new group; staff can replace its cues.
    deliver(env, *PROPOSALS, OFFER)
    with env.store.transaction():
        register.start_group(env, "circular", name="Circular Procurement")
    env.rules = register.effective_rules(env.rules, env.store)
    deliver(env, CIRCULAR_JOIN)
    (row,) = env.store.query("SELECT * FROM participants WHERE organisation='Stadt Wien'")
    assert row["group_id"] == "circular" and row["status"] == "forwarded"
    with env.store.transaction():
        register.edit_cues(env, "circular", ["!kreislauf*", "reuse"])
    with pytest.raises(register.RegisterError, match="rules/groups.toml"):
        register.edit_cues(env, "lcc", ["x"])
    group = register.effective_rules(env.rules, env.store).group("circular")
    assert [c.text for c in group.cues] == ["kreislauf*", "reuse"]
    # the organisation that offered facilitates from this month: a Participant (fee rule)
    from datetime import date

    from intake import report

    (row,) = [
        f for f in report.yearly(env.store, date.today().year)["facilitation"] if f["group"] == "circular"
    ]
    assert row["organisation"] == "Gemeente Rotterdam" and row["participant"] is True and row["months"] == 1


def test_unsubscribe_waits_for_staff_unless_the_exact_contact_is_authenticated(env):
    # Not authenticated: the participant is marked as asking to leave; authenticated exact
    # roster contact: left at once, as an event.
    pid, token = forwarded_participant(env)
    register_mail.decide_by_token(env, token, "confirm")
    deliver(
        env,
        mail(
            "Luis Martín <lmartin@valladolid.es>",
            "Darnos de baja del grupo LCC",
            "Por favor, dar de baja al Ayuntamiento de Valladolid del grupo LCC.\n",
        ),
    )
    row = register.participant(env.store, pid)
    assert row["status"] == "confirmed" and row["leave_requested_at"]
    ctx = Context(message_pk=None, raw=b"", request_id=row["request_id"])
    parsed = pipeline.run_stages(pipeline.load_context(env, 1), env, ("parse",))
    ctx.mail = parsed.mail  # any parsed mail: only its presence counts
    ctx.screening = "human"
    ctx.decision.intent, ctx.decision.group = "unsubscribe", "lcc"
    ctx.membership = Membership(
        organisation="Ayuntamiento de Valladolid", match="exact", authenticated=True, counts=True
    )
    with env.store.transaction():
        register.note_request(ctx, env)
    assert register.participant(env.store, pid)["status"] == "left"
    assert env.store.one("SELECT 1 FROM events WHERE kind='participant_left'")


def test_guidelines_are_sent_in_the_senders_language(env):
    # "Guidelines available upon request": answered with register.guidelines, in German here.
    deliver(
        env,
        mail(
            "Jonas Weidner <jonas.weidner@heidelberg.de>",
            "Leitfaden für Interessengruppen",
            "Guten Tag,\n\nkönnten Sie uns bitte den Leitfaden für die Procura+"
            " Interessengruppen schicken?\n\nViele Grüße\nJonas Weidner\n",
        ),
    )
    (row,) = outbox(env, "guidelines")
    assert row["language"] == "de" and b"ig-leitfaden.pdf" in bytes(row["raw"])


def test_meetings_are_recorded_for_participants_only(env):
    # A meeting names participants of the group; anyone else is refused.
    pid, token = forwarded_participant(env)
    register_mail.decide_by_token(env, token, "confirm")
    with env.store.transaction():
        register.record_meeting(env, "lcc", "2026-10-01", ["Ayuntamiento de Valladolid"], "kick-off")
    with pytest.raises(register.RegisterError, match="not participants"):
        register.record_meeting(env, "lcc", "2026-10-02", ["Stadt Heidelberg"], None)
    (meeting,) = env.store.query("SELECT * FROM meetings")
    assert json.loads(meeting["participants"]) == ["Ayuntamiento de Valladolid"]


@pytest.mark.parametrize(
    "language", sorted(p.parent.name for p in (ROOT / "templates" / "mail").glob("*/welcome.txt.j2"))
)
def test_welcome_renders_in_each_language_it_exists_in(language):
    # The welcome names the group, the facilitator and how the group works.
    mail_ = TEMPLATES.render_mail(
        "welcome", language, {**VARIABLES, "facilitators": ["philipp.tepper@iclei.org"], "days_per_year": 2}
    )
    assert mail_.language == language and "philipp.tepper@iclei.org" in mail_.body
    assert "Life Cycle Costing (LCC)" in mail_.subject and "2" in mail_.body


def test_yearly_report_writes_html_with_svg_and_csv(env, tmp_path):
    # `intake report --year`: per group participants, joins, meetings, requests by month; the
    # facilitator organisations with their months; HTML with inline SVG, no script.
    from click.testing import CliRunner

    from intake.cli import main

    pid, token = forwarded_participant(env)
    register_mail.decide_by_token(env, token, "confirm")
    year = register.participant(env.store, pid)["confirmed_at"][:4]
    with env.store.transaction():
        register.record_meeting(env, "lcc", f"{year}-03-01", ["Ayuntamiento de Valladolid"], None)
    result = CliRunner().invoke(
        main, ["--config", str(env.config.path), "report", "--year", year, "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / f"report-{year}.html").read_text()
    assert "<svg" in html and "<script" not in html and "Ayuntamiento de Valladolid" in html
    groups = (tmp_path / "out" / f"report-{year}-groups.csv").read_text().splitlines()
    (lcc,) = [line for line in groups if line.split(",")[1] == "lcc"]
    assert lcc.split(",")[5:9] == ["1", "1", "0", "1"]  # participants, joined, left, meetings
    facilitators = (tmp_path / "out" / f"report-{year}-facilitators.csv").read_text()
    # not in the roster: named by address; a rules group open since before the year: from January
    from datetime import date

    assert f"{year},philipp.tepper@iclei.org,no,lcc,{date.today().month},Jan," in facilitators


def test_weekly_digest_goes_once_a_week_when_configured(env):
    # With register.weekly_digest the facilitator gets one digest per ISO week, only with news.
    import dataclasses
    from datetime import UTC, datetime, timedelta

    from intake.config import RegisterConfig

    assert register_mail.send_digests(env) == []  # off by default
    env.config = dataclasses.replace(env.config, register=RegisterConfig(weekly_digest=True))
    assert register_mail.send_digests(env) == []  # nothing to say
    forwarded_participant(env)
    now = datetime.now(UTC)
    assert register_mail.send_digests(env, now=now) == ["lcc"]
    register_mail.send_digests(env, now=now)
    (digest,) = outbox(env, "facilitator_digest")
    assert b"Ayuntamiento de Valladolid" in bytes(digest["raw"])
    register_mail.send_digests(env, now=now + timedelta(days=7))
    assert len(outbox(env, "facilitator_digest")) == 2


def test_desk_register_pages_are_scoped_and_need_csrf(env):
    # A facilitator sees only their group, cannot start or close groups; every POST needs CSRF.
    from intake import accounts
    from tests.webfixtures import PASSWORD, csrf_of, login

    deliver(env, *PROPOSALS, OFFER)
    accounts.add(env.store, "philipp", "facilitator", "lcc", PASSWORD)
    client = create_app(env.config).test_client()
    assert login(client, "philipp").status_code == 302
    page = client.get("/register")
    assert page.status_code == 200 and b"Life Cycle Costing" in page.data
    assert b"circular" not in page.data and b"Socially Responsible" not in page.data
    assert client.get("/register/srpp-ict").status_code == 404
    csrf = csrf_of(client.get("/register/lcc").data.decode())
    assert client.post("/register/circular/start", data={"csrf_token": csrf}).status_code == 404
    assert (
        client.post("/register/lcc/status", data={"csrf_token": csrf, "status": "closed"}).status_code == 404
    )
    assert client.post("/register/lcc/meetings", data={"held_on": "2026-10-01"}).status_code == 400
    assert register.group_row(env.store, "circular")["status"] == "proposed"
    assert register.group_row(env.store, "lcc")["status"] == "open"


@pytest.mark.parametrize("name", ["group_closed", "guidelines"])
@pytest.mark.parametrize("language", sorted(p.name for p in (ROOT / "templates" / "mail").iterdir()))
def test_register_replies_render_in_every_language(name, language):
    # The closed-group and guidelines replies render (own language, or English) with the token.
    mail_ = TEMPLATES.render_mail(name, language, {**VARIABLES, "guidelines": "https://example.org/g"})
    assert mail_.subject.startswith("[IG-7]") and "{{" not in mail_.body


def test_an_expired_link_is_refused(env):
    # A link older than register.link_days no longer works.
    import time

    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    class Signed40DaysAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 40 * 86400

    pid, token = forwarded_participant(env)
    link_id = env.store.one("SELECT id FROM participant_links WHERE participant_id=?", (pid,))[0]
    old = URLSafeTimedSerializer(
        register_links.signing_key(env.config, env.store), salt=register_links.SALT, signer=Signed40DaysAgo
    ).dumps(link_id)
    with pytest.raises(register.RegisterError, match="expired"):
        register_links.check(env.config, env.store, old)
    assert register_links.check(env.config, env.store, token)[1]["id"] == pid


def test_staff_record_a_meeting_and_read_the_yearly_update_in_the_desk(env):
    # The group page records a meeting; a group with fewer than two in a year is marked;
    # the report page and its CSV download show the same figures.
    from datetime import date

    from intake import accounts
    from tests.webfixtures import PASSWORD, csrf_of, login

    pid, token = forwarded_participant(env)
    register_mail.decide_by_token(env, token, "confirm")
    accounts.add(env.store, "anna", "staff", None, PASSWORD)
    client = create_app(env.config).test_client()
    assert login(client, "anna").status_code == 302
    csrf = csrf_of(client.get("/register/lcc").data.decode())
    today = date.today().isoformat()
    client.post(
        "/register/lcc/meetings",
        data={
            "csrf_token": csrf,
            "held_on": today,
            "present": "Ayuntamiento de Valladolid",
            "note": "kick-off",
        },
    )
    page = client.get("/register/lcc").data.decode()
    assert f"{today}: Ayuntamiento de Valladolid (kick-off)" in page and "fewer than 2" in page
    year = today[:4]
    report_page = client.get(f"/register/report?year={year}").data.decode()
    assert "<svg" in report_page and "kick-off" in report_page
    groups_csv = client.get(f"/register/report/{year}/groups.csv").data.decode()
    (lcc,) = [line for line in groups_csv.splitlines() if line.split(",")[1] == "lcc"]
    assert lcc.split(",")[5:10] == ["1", "1", "0", "1", "yes"]


def test_register_commands_fail_with_one_clear_line(env):
    # Unknown groups, a bad token, a second start: one line on stderr, exit 1, no traceback.
    from click.testing import CliRunner

    from intake.cli import main

    def run(*args: str):
        return CliRunner().invoke(main, ["--config", str(env.config.path), *args])

    for args, message in [
        (("groups", "start", "nope"), "no group 'nope'"),
        (("groups", "start", "lcc"), "lcc is open, not proposed"),
        (("participants", "confirm", "not-a-token"), "not valid"),
        (("participants", "list", "--group", "nope"), "no group 'nope'"),
        (("groups", "cues", "lcc", "x"), "rules/groups.toml"),
    ]:
        result = run(*args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1
