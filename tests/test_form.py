"""The online form (issue 22) through the Flask app, a real SQLite file and the real SMTP sink:
confirmation first, spam checks, one pipeline, the visitor's choice taken as given."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from intake import form, outbox, queries
from intake.config import load_config
from intake.service import Service
from intake.web import create_app
from tests.conftest import ROSTER, write_config

FACILITATOR_LCC = "philipp.tepper@iclei.org"


def make_site(tmp_path, smtp_port: int, form_extra: str = "min_seconds = 0\n"):
    path = write_config(
        tmp_path,
        imap_port=1,
        smtp_port=smtp_port,
        inboxes=[{"name": "general", "username": "u"}],
        extra='[web]\nbase_url = "http://intake.test"\n\n'
        '[privacy]\nnotice_url = "https://iclei.org/privacy"\n'
        'pseudonym_key_env = "INTAKE_TEST_PSEUDONYM_KEY"\n\n[form]\n' + form_extra,
    )
    config = load_config(path)
    service = Service(config)
    from intake import members

    members.import_file(service.store, ROSTER, "test")
    app = create_app(config)
    return config, service, app


@pytest.fixture(autouse=True)
def pseudonym_key(monkeypatch):
    monkeypatch.setenv("INTAKE_TEST_PSEUDONYM_KEY", "k" * 40)  # for the privacy erasure


@pytest.fixture
def site(tmp_path, smtp):
    config, service, app = make_site(tmp_path, smtp.port)
    yield config, service, app
    service.close()


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def send_form(client, fields: dict, *, lang: str = "en", ip: str = "192.0.2.1"):  # noqa: ANN001, ANN201
    page = client.get(f"/interest?lang={lang}").get_data(as_text=True)
    data = {
        "csrf_token": hidden(page, "csrf_token"),
        "started": hidden(page, "started"),
        "lang": lang,
        "consent": "yes",
        **fields,
    }
    return client.post("/interest", data=data, environ_base={"REMOTE_ADDR": ip})


def confirm_link(smtp, address: str) -> str:
    (mail,) = [m.message for m in smtp.to(address)]
    return re.search(
        r"http://intake\.test(/interest/confirm/\S+)", mail.get_body(("plain",)).get_content()
    ).group(1)


JOIN = {
    "intent": "join",
    "groups": ["lcc"],
    "name": "Luis Martín",
    "organisation": "Ayuntamiento de Valladolid",
    "email": "lmartin@valladolid.es",
    "message": "Queremos participar en el grupo sobre el coste del ciclo de vida.",
}


def test_page_speaks_the_browsers_language_and_lists_open_groups(site):
    # Accept-Language picks the page's language; ?lang= switches it; open groups are listed.
    _config, _service, app = site
    client = app.test_client()
    html = client.get("/interest", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}).get_data(
        as_text=True
    )
    assert '<html lang="de">' in html and "Was möchten Sie tun?" in html
    assert 'value="lcc"' in html and 'name="website"' in html
    assert "https://iclei.org/privacy" in html
    html = client.get("/interest?lang=el").get_data(as_text=True)
    assert '<html lang="el">' in html and "Τι θα θέλατε να κάνετε;" in html
    assert '<html lang="en">' in client.get("/interest").get_data(as_text=True)


def test_nothing_reaches_staff_until_the_link_is_confirmed_by_post(site, smtp):
    # Only the confirmation mail goes out; GET on the link acts on nothing; the POST stores
    # the submission as a message of channel "form" and runs the pipeline.
    config, service, app = site
    client = app.test_client()
    response = send_form(client, JOIN, lang="es")
    assert response.status_code == 200 and "/interest/confirm" not in response.get_data(as_text=True)
    outbox.send_due(service.store, config.smtp)
    assert [r.rcpt_tos for r in smtp.received] == [["lmartin@valladolid.es"]]
    assert service.store.one("SELECT COUNT(*) FROM messages")[0] == 0
    link = confirm_link(smtp, "lmartin@valladolid.es")
    assert client.get(link).status_code == 200
    assert service.store.one("SELECT COUNT(*) FROM messages")[0] == 0
    page = client.get(link).get_data(as_text=True)
    done = client.post(link, data={"csrf_token": hidden(page, "csrf_token")})
    assert done.status_code == 200
    (row,) = queries.list_requests(service.store)
    assert row["channel"] == "form" and row["group"] == "lcc" and row["intent"] == "join"
    assert row["language"] == "es" and row["authenticated"] is True and row["is_member"] is True
    assert row["forwarded_to"] == [FACILITATOR_LCC] and row["status"] == "routed"
    outbox.send_due(service.store, config.smtp)
    forward = [m.message for m in smtp.to(FACILITATOR_LCC)]
    assert len(forward) == 1 and "Join request" in forward[0]["Subject"]
    (ack,) = [m.message for m in smtp.to("lmartin@valladolid.es") if m.message["Subject"].startswith("[IG-")]
    assert ack["Content-Language"] == "es"
    raw = service.store.raw_of(service.store.one("SELECT id FROM messages")[0]).decode()
    assert "X-Intake-Channel: form" in raw and "X-Intake-Loop" not in raw and ".intake@" not in raw
    from click.testing import CliRunner

    from intake.cli import main

    listed = CliRunner().invoke(main, ["--config", str(config.path), "requests", "list", "--json"])
    assert listed.exit_code == 0 and [r["channel"] for r in json.loads(listed.output)] == ["form"]
    again = client.post(link, data={"csrf_token": hidden(page, "csrf_token")})  # single use
    assert again.status_code == 410
    assert service.store.one("SELECT COUNT(*) FROM messages")[0] == 1


def test_honeypot_and_too_fast_get_the_usual_answer_and_no_mail(tmp_path, smtp):
    # A bot that fills the hidden field, or sends faster than a person can, sees the normal
    # page; nothing is stored and no mail is queued.
    config, service, app = make_site(tmp_path, smtp.port, "min_seconds = 30\n")
    client = app.test_client()
    person = client.post("/interest", data={})  # no CSRF token: refused outright
    assert person.status_code == 400
    fast = send_form(client, {**JOIN, "email": "a@valladolid.es"})
    bot = send_form(client, {**JOIN, "email": "b@valladolid.es", "website": "http://spam.example"})
    assert fast.get_data(as_text=True) == bot.get_data(as_text=True)
    assert "Please check your mailbox" in bot.get_data(as_text=True)
    outbox.send_due(service.store, config.smtp)
    assert smtp.received == [] and service.store.one("SELECT COUNT(*) FROM form_submissions")[0] == 0
    whys = [e["detail"]["why"] for e in service.store.event_rows("kind='form_dropped'")]
    assert whys == ["too_fast", "honeypot"]
    service.close()


def test_a_burst_from_one_ip_address_is_cut_at_the_limit(site, smtp):
    # Five submissions an hour from one address are kept; the rest of a burst sends nothing,
    # and one email address is limited too, from any IP address.
    config, service, app = site
    client = app.test_client()
    for n in range(12):
        send_form(client, {**JOIN, "email": f"person{n}@valladolid.es"}, ip="198.51.100.7")
    for n in range(5):
        send_form(client, {**JOIN, "email": "same@valladolid.es"}, ip=f"203.0.113.{n}")
    outbox.send_due(service.store, config.smtp)
    assert len(smtp.received) == config.form.per_ip_per_hour + config.form.per_email_per_day
    assert len(smtp.to("same@valladolid.es")) == config.form.per_email_per_day


def test_invalid_submission_says_what_is_missing_in_the_visitors_language(site, smtp):
    # A form without email or consent is shown again, with the errors in Greek; nothing is kept.
    config, service, app = site
    client = app.test_client()
    response = send_form(client, {**JOIN, "email": "not an address", "consent": ""}, lang="el")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Συμπληρώστε μια έγκυρη διεύθυνση" in html and "συγκατάθεσή σας" in html
    assert service.store.one("SELECT COUNT(*) FROM form_submissions")[0] == 0


def test_classifier_disagreement_is_kept_and_shown_as_a_note(site, smtp):
    # The visitor asks a question but the text reads as a join: the question stands, and a
    # note on the request says what the classifier read.
    config, service, app = site
    client = app.test_client()
    send_form(
        client,
        {
            "intent": "question",
            "name": "Anna Berg",
            "organisation": "Stadt Wien",
            "email": "anna.berg@wien.gv.at",
            "message": "We would like to join the life cycle costing group (LCC) and take part"
            " in its meetings.",
        },
    )
    outbox.send_due(service.store, config.smtp)
    link = confirm_link(smtp, "anna.berg@wien.gv.at")
    page = client.get(link).get_data(as_text=True)
    client.post(link, data={"csrf_token": hidden(page, "csrf_token")})
    (row,) = queries.list_requests(service.store)
    assert row["intent"] == "question" and row["status"] == "triage"
    explanation = json.loads(service.store.one("SELECT explanation FROM requests")[0])
    assert explanation["classification"]["form"]["classifier"]["intent"] == "join"
    notes = service.store.event_rows("kind='note'")
    assert len(notes) == 1 and "the text reads as join" in notes[0]["detail"]["note"]


def test_unconfirmed_submissions_expire(site, smtp):
    # After expire_days an unconfirmed submission is removed and its link is refused.
    config, service, app = site
    client = app.test_client()
    send_form(client, JOIN)
    outbox.send_due(service.store, config.smtp)
    link = confirm_link(smtp, "lmartin@valladolid.es")
    later = datetime.now(UTC) + timedelta(days=config.form.expire_days, minutes=1)
    service.run_daily(now=later - timedelta(days=1))  # not yet
    assert service.store.one("SELECT COUNT(*) FROM form_submissions")[0] == 1
    service.run_daily(now=later)  # the service's daily job
    assert service.store.one("SELECT COUNT(*) FROM form_submissions")[0] == 0
    assert client.get(link).status_code == 410


def test_page_and_confirmation_mail_in_every_language_intake_answers_in():
    # Every language of templates/mail/ has every page string and its own confirmation mail,
    # which renders with the link, and no language has a key English lacks.
    from intake.paths import default_dir
    from intake.templating import Templates

    templates = Templates(default_dir("templates"))
    table = form._all_strings()
    assert set(table) == set(form.languages()) and len(table) == 27
    for language in form.languages():
        assert form.missing_strings(language) == [], language
        assert set(table[language]) <= set(table["en"]), language
        rendered = templates.render_mail(
            "form_confirm",
            language,
            {
                "sender_name": "Ana",
                "link": "https://intake.test/interest/confirm/abc",
                "expire_days": 7,
                "staff_address": "secretariat@iclei.org",
            },
        )
        assert rendered.language == language and "https://intake.test/interest/confirm/abc" in rendered.body
        assert "7" in rendered.body and table[language]["confirm_button"] in rendered.body, language


def test_form_headers_in_a_mailed_message_are_not_believed(site):
    # A mail from outside that carries the form's headers is an ordinary mail: no chosen
    # intent, no "address confirmed", channel email.
    from intake import pipeline
    from intake.form_mail import Filled, build

    _config, service, _app = site
    raw = build(
        Filled(
            intent="join",
            name="Mallory",
            organisation="Stadt Wien",
            email="oekokauf@wien.gv.at",
            message="Please tell us more about your meetings?",
            language="de",
            groups=["lcc"],
        ),
        to="procurement@iclei.org",
        subject="Frage zu den Treffen",
    )
    pk, _ = service.store.store_delivery(
        inbox="general", folder="INBOX", uidvalidity=1, uid=1, raw=raw, internal_date=None
    )
    pipeline.process(service.env, pk)
    (row,) = queries.list_requests(service.store)
    assert row["channel"] == "email" and row["authenticated"] is not True
    explanation = json.loads(service.store.one("SELECT explanation FROM requests")[0])
    assert "form" not in explanation["classification"]


def test_a_privacy_erasure_removes_waiting_submissions(site, smtp):
    # Erasing a person removes their unconfirmed form submissions too.
    from intake import privacy

    config, service, app = site
    send_form(app.test_client(), JOIN)
    assert service.store.one("SELECT COUNT(*) FROM form_submissions")[0] == 1
    privacy.erase(service.store, config, "LMartin@valladolid.es", actor="anna")
    assert service.store.one("SELECT COUNT(*) FROM form_submissions")[0] == 0
