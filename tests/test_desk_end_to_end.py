"""Issue 21's "Done when", in one run in a real headless Chromium: a secretariat member finds a
German question by a word of its body, reads intake's acknowledgement in the thread, answers in
German from a canned answer, and sees the reply in the thread and at the SMTP server; then the
digest mail of a test day lists the new and overdue requests, and its links open their pages.
axe-core finds no accessibility violation on any page visited. No CLI anywhere."""

from __future__ import annotations

import re

from axe_playwright_python.sync_playwright import Axe

from intake import accounts, desk_notify, outbox, pipeline
from intake.smtp_sink import free_port
from intake.web import create_app
from tests.conftest import DEV
from tests.test_desk_notify import STAFF, TEST_DAY, build, digest_to
from tests.test_web_browser import Served, browser, click_and_load, log_in  # noqa: F401  (fixture)
from tests.webfixtures import PASSWORD

SENDER = "u.hartmann@hartmann-beschaffung.de"  # 0031.eml: a German question about fees
OVERDUE = [5, 2]  # the test day's requests of tests/test_desk_notify.py, oldest first
NEW = [6, 7, 9]


def no_violations(page) -> None:  # noqa: ANN001
    results = Axe().run(page)
    assert results.response["passes"], "axe-core did not run"
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def test_a_day_at_the_desk_without_the_cli(tmp_path, smtp, browser):  # noqa: F811
    # Find by a body word, read the acknowledgement, answer in German from a canned answer,
    # see the reply sent in the thread and at the SMTP server; the test day's digest lists
    # the new and overdue requests, and each link, after a login, opens that request's page.
    port = free_port()
    service = build(tmp_path, smtp.port, base_url=f"http://127.0.0.1:{port}")
    service.store.store_delivery(
        inbox="general",
        folder="INBOX",
        uidvalidity=1,
        uid=100,
        raw=(DEV / "0031.eml").read_bytes(),
        internal_date=None,
    )
    pipeline.process_pending(service.env)
    outbox.send_due(service.store, service.config.smtp)
    assert len(smtp.to(SENDER)) == 1  # its acknowledgement
    accounts.add(service.store, "anna", "staff", None, PASSWORD)
    request_id, token, message_id = service.store.one(
        "SELECT r.id, r.token, m.message_id FROM requests r JOIN messages m ON m.request_id = r.id"
        " WHERE r.requester_email = ?",
        (SENDER,),
    )
    served = Served(create_app(service.config), port)
    try:
        page = browser.new_page()
        log_in(page, served.url)
        assert "Waiting for a person" in page.inner_text("h1")
        no_violations(page)

        # Find it by a word of its body ("Rabatt": a discount), in the queue's search.
        page.fill("input[name=q]", "Rabatt")
        click_and_load(page, "form.filters button[type=submit]")
        rows = page.locator("table.queue tbody tr")
        assert rows.all_inner_texts() and [t.split()[0] for t in rows.all_inner_texts()] == [token]
        no_violations(page)
        click_and_load(page, rows.first.locator("td a").first)
        assert token in page.inner_text("h1")

        # The thread: the question, then intake's German acknowledgement, sent.
        thread = page.locator("ol.thread")
        assert "Rabatt von 50 %" in thread.locator("li.in").first.inner_text()
        ack = thread.locator("li.out", has_text="Acknowledgement")
        assert ack.count() == 1 and "Wir haben Ihre Nachricht erhalten" in ack.inner_text()
        assert "sent" in ack.locator(".state").inner_text()
        no_violations(page)

        # Answer in the sender's language, from the "fees" canned answer.
        click_and_load(page, "text=Reply to the sender")
        assert page.input_value("#language") == "de"  # the sender's, preselected
        page.select_option("#canned", "fees")
        click_and_load(page, "text=Load this text")
        body = page.input_value("#body")
        assert body.startswith("Guten Tag") and "50 % Ermäßigung" in body and "Sekretariat" in body
        own = "Zu Ihrer ersten Frage, der Moderation durch externe Beraterinnen, melden wir uns gesondert."
        page.fill(
            "#body", body.replace("\n\nMit freundlichen Grüßen", f"\n\n{own}\n\nMit freundlichen Grüßen")
        )
        page.check("input[name=close]")
        no_violations(page)
        click_and_load(page, "text=Preview reply")
        preview = page.inner_text("article.preview")
        assert SENDER in preview and own in preview and "Ermäßigung" in preview
        no_violations(page)
        click_and_load(page, "text=Send reply")
        assert "Reply queued" in page.inner_text("main")
        assert "Status closed" in page.inner_text("p.status")

        # The outbox runs (as the service does): in the thread as sent, and at the SMTP server.
        assert outbox.send_due(service.store, service.config.smtp).sent == 1
        page.reload()
        reply = page.locator("ol.thread li.out", has_text="Reply by anna")
        assert reply.count() == 1 and "sent" in reply.locator(".state").inner_text()
        assert own in reply.inner_text()
        no_violations(page)
        arrived = [r for r in smtp.to(SENDER) if r.message["Subject"].startswith("Re: ")]
        assert len(arrived) == 1
        mail = arrived[0].message
        assert mail["Subject"] == f"Re: Fragen zur Moderation von Interessengruppen [{token}]"
        assert mail["In-Reply-To"] == f"<{message_id}>"  # threaded under the question
        text = mail.get_content()
        assert "50 % Ermäßigung" in text and own in text and "anna" in text
        page.close()

        # The digest of a test day: overdue and new, each with a link to its desk page.
        assert len(desk_notify.send_digests(service.env, now=TEST_DAY)) == 3
        outbox.send_due(service.store, service.config.smtp)
        digest = digest_to(smtp, STAFF)
        overdue, new = digest.split("NEW since the last digest")
        assert "OVERDUE: waiting more than 3 working days" in overdue
        link = re.compile(rf"{re.escape(served.url)}/requests/(\d+)")
        assert [int(n) for n in link.findall(overdue)] == OVERDUE
        assert [int(n) for n in link.findall(new)] == NEW
        assert token not in digest  # answered and closed: no longer waiting

        # Each link, in a fresh browser: the first asks for a login and leads on to the request.
        links = [m.group(0) for m in link.finditer(digest)]
        desk = browser.new_context().new_page()
        desk.goto(links[0])
        assert "/login" in desk.url
        no_violations(desk)  # the login page
        desk.fill("input[name=name]", "anna")
        desk.fill("input[name=password]", PASSWORD)
        click_and_load(desk, "button[type=submit]")
        for number, target in enumerate(links):
            if number:
                desk.goto(target)
            assert desk.url == target
            wanted = service.store.one(
                "SELECT token FROM requests WHERE id=?", (int(target.rsplit("/", 1)[1]),)
            )
            assert wanted[0] in desk.inner_text("h1")
            no_violations(desk)
        desk.close()
    finally:
        served.stop()
        service.close()
