"""Issue 22, done-when: the online form in a real headless Chromium, in English, German and
Greek, confirmed through the link mailed to the real SMTP sink, seen in the desk, answered in
the visitor's language; axe-core finds no accessibility violation."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from intake import accounts, members, outbox, queries
from intake.config import load_config
from intake.service import Service
from intake.web import create_app
from tests.conftest import ROSTER, write_config
from tests.test_web_browser import SCREENSHOTS, Served, browser, click_and_load, log_in  # noqa: F401  (fixture)
from tests.webfixtures import PASSWORD

FACILITATOR_LCC = "philipp.tepper@iclei.org"
LINK = re.compile(r"http://127\.0\.0\.1:\d+/interest/confirm/\S+")

CASES = [
    {  # a member joins an open group: forwarded to the facilitator like a mailed join
        "lang": "en",
        "locale": "en-GB",
        "intent": "join",
        "groups": ["lcc"],
        "name": "Marta Kowalska",
        "organisation": "Urząd Miasta Krakowa",
        "email": "agnieszka.nowicka@um.krakow.pl",
        "message": "Kraków would like to take part in the exchange on life cycle costing.",
        "sent": "Please check your mailbox",
        "ack": "ack_join",
        "group": "lcc",
    },
    {  # a proposal, with the page in German from the browser's Accept-Language
        "lang": "de",
        "locale": "de-DE",
        "intent": "propose",
        "groups": [],
        "topic": "Kreislaufwirtschaft in der Beschaffung",
        "aim": "Erfahrungen mit zirkulären Ausschreibungen austauschen",
        "name": "Jonas Weidner",
        "organisation": "Stadt Heidelberg",
        "email": "jonas.weidner@heidelberg.de",
        "message": "Viele Städte arbeiten an zirkulären Ausschreibungen und würden gern voneinander lernen.",
        "sent": "Bitte sehen Sie in Ihr Postfach",
        "ack": "ack_proposal",
        "group": "new:",
    },
    {  # a question, in Greek
        "lang": "el",
        "locale": "el-GR",
        "intent": "question",
        "groups": [],
        "name": "Ελένη Παπαδοπούλου",
        "organisation": "Δήμος Αθηναίων",
        "email": "e.papadopoulou@athens.gr",
        "message": "Πώς λειτουργούν οι ομάδες ενδιαφέροντος και πόσο χρόνο απαιτεί η συμμετοχή;",
        "sent": "Ελέγξτε το ηλεκτρονικό σας ταχυδρομείο",
        "ack": "ack_received",
        "group": None,
    },
]


@pytest.fixture
def world(tmp_path, smtp):
    path = write_config(
        tmp_path,
        imap_port=1,
        smtp_port=smtp.port,
        inboxes=[{"name": "general", "username": "u"}],
        extra='[privacy]\nnotice_url = "https://iclei.org/privacy"\n\n[form]\nmin_seconds = 1\n',
    )
    config = load_config(path)
    service = Service(config)
    members.import_file(service.store, ROSTER, "test")
    accounts.add(service.store, "anna", "staff", None, PASSWORD)
    served = Served(create_app(config))
    yield config, service, served
    served.stop()
    service.close()


def no_violations(page) -> None:  # noqa: ANN001
    results = Axe().run(page)
    assert results.response["passes"], "axe-core did not run"
    assert results.violations_count == 0, results.generate_report()


def fill(page, case: dict) -> None:  # noqa: ANN001
    page.check(f"#intent-{case['intent']}")
    for group in case["groups"]:
        page.check(f"#group-{group}")
    if case.get("topic"):
        page.fill("#topic", case["topic"])
        page.fill("#aim", case["aim"])
    page.fill("#f-name", case["name"])
    page.fill("#f-organisation", case["organisation"])
    page.fill("#f-email", case["email"])
    page.fill("#f-message", case["message"])
    page.check("#consent")


def test_form_in_three_languages_from_submission_to_the_desk(browser, world, smtp):  # noqa: F811
    # Each visitor submits, gets the confirmation mail in their language, confirms on the
    # link's page; the request is in the desk with the chosen group and intent, the
    # acknowledgement is in their language, and a member's join is forwarded.
    config, service, served = world
    for case in CASES:
        context = browser.new_context(locale=case["locale"], viewport={"width": 1000, "height": 900})
        page = context.new_page()
        page.goto(f"{served.url}/interest")
        assert page.get_attribute("html", "lang") == case["lang"]  # from Accept-Language
        no_violations(page)
        if case["lang"] == "el":  # sent empty: the errors, in Greek, link to their fields
            click_and_load(page, "form.interest button[type=submit]")
            assert "Παρακαλούμε ελέγξτε τη φόρμα" in page.inner_text("div.errors")
            no_violations(page)
        fill(page, case)
        if case["lang"] == "en":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "form.png"), full_page=True)
        page.wait_for_timeout(1100)  # [form] min_seconds = 1: a person takes longer than a bot
        click_and_load(page, "form.interest button[type=submit]")
        assert page.inner_text("h1") == case["sent"]
        no_violations(page)
        assert service.store.one("SELECT COUNT(*) FROM messages")[0] == CASES.index(case)  # nothing yet

        outbox.send_due(service.store, config.smtp)
        (mail,) = [m.message for m in smtp.to(case["email"])]
        assert mail["Content-Language"] == case["lang"] and mail["Auto-Submitted"] == "auto-generated"
        link = LINK.search(mail.get_body(("plain",)).get_content()).group(0)
        page.goto(link)  # opening the link changes nothing
        assert service.store.one("SELECT COUNT(*) FROM messages")[0] == CASES.index(case)
        no_violations(page)
        page.click("main button[type=submit]")
        page.wait_for_selector("p.done")  # the confirmed page has loaded
        context.close()

        outbox.send_due(service.store, config.smtp)
        (row,) = [r for r in queries.list_requests(service.store) if r["sender_email"] == case["email"]]
        assert (
            row["channel"] == "form" and row["intent"] == case["intent"] and row["language"] == case["lang"]
        )
        if case["group"] == "new:":
            assert row["group"].startswith("new:")
        elif case["group"]:
            assert row["group"] == case["group"]
        acks = [
            m.message for m in smtp.to(case["email"]) if m.message["Subject"].startswith(f"[{row['token']}")
        ]
        assert len(acks) == 1 and acks[0]["Content-Language"] == case["lang"]
        assert row["acknowledged"] is True

        desk = browser.new_page()
        log_in(desk, served.url)
        desk.goto(f"{served.url}/requests/{row['id']}")
        facts = desk.inner_text("main")
        assert f"Intent\n{case['intent']}" in facts
        assert re.search(rf"Group\n[^\n]*\({re.escape(row['group'])}\)", facts), facts  # "LCC (lcc)"
        assert "form" in desk.inner_text("dd.channel")
        desk.close()

    forward = [m.message for m in smtp.to(FACILITATOR_LCC)]
    assert len(forward) == 1 and "Join request" in forward[0]["Subject"]
    assert "agnieszka.nowicka@um.krakow.pl" in forward[0].get_body(("plain",)).get_content()
    staff = [m.message for m in smtp.to("secretariat@iclei.org")]  # the proposal's notice, only
    assert len(staff) == 1 and "heidelberg" in staff[0].get_body(("plain",)).get_content().lower()


def test_language_switch_and_a_honeypot_bot_in_the_browser(browser, world, smtp):  # noqa: F811
    # The switch changes the page's language without JavaScript; a bot that fills the hidden
    # field sees the usual page, and no mail goes out.
    config, service, served = world
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    page.goto(f"{served.url}/interest")
    page.select_option("#lang", "el")
    click_and_load(page, "header button[type=submit]")
    assert page.get_attribute("html", "lang") == "el" and "Τι θα θέλατε" in page.inner_text("main")
    fill(page, {**CASES[0], "email": "bot@um.krakow.pl"})
    page.fill("#website", "http://cheap-pills.example", force=True)
    page.wait_for_timeout(1100)
    click_and_load(page, "form.interest button[type=submit]")
    assert page.inner_text("h1") == "Ελέγξτε το ηλεκτρονικό σας ταχυδρομείο"
    outbox.send_due(service.store, config.smtp)
    assert smtp.received == []
    assert service.store.one("SELECT COUNT(*) FROM form_submissions")[0] == 0
    context.close()
