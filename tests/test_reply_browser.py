"""The conversation and answering from the desk in a real headless Chromium (Playwright),
with axe-core on each page, and the reply arriving at a real SMTP server."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

from intake import outbox
from tests.test_web_browser import SCREENSHOTS, browser, click_and_load, log_in, site  # noqa: F401 - pytest fixtures

TARTU = "kadri.tamm@tartu.ee"


def no_violations(page) -> None:  # noqa: ANN001
    results = Axe().run(page)
    assert results.response["passes"], "axe-core did not run"
    assert results.violations_count == 0, results.generate_report()


def request_of(service, email: str) -> int:  # noqa: ANN001
    return service.store.one("SELECT id FROM requests WHERE requester_email=? ORDER BY id", (email,))[0]


def replies(service, request_id: int) -> list:  # noqa: ANN001
    return service.store.query(
        "SELECT id, status FROM outbox WHERE request_id=? AND kind='reply'", (request_id,)
    )


def test_answer_a_question_from_a_canned_answer(browser, site, smtp):  # noqa: F811
    # A staff member opens the fee question, reads intake's acknowledgement in the thread,
    # loads the "fees" answer, previews, sends and closes; the reply shows in the thread,
    # and once the outbox has run, in the SMTP server's inbox. axe-core finds nothing on
    # the request page, the reply form and the preview.
    served, service = site
    outbox.send_due(service.store, service.config.smtp)  # the acknowledgements go out
    request_id = request_of(service, TARTU)
    page = browser.new_page()
    log_in(page, served.url)
    page.goto(f"{served.url}/requests/{request_id}")
    thread = page.locator("ol.thread")
    assert "Acknowledgement" in thread.inner_text() and "We have received your message" in thread.inner_text()
    no_violations(page)
    click_and_load(page, page.locator("a.button", has_text="Reply to the sender").first)
    assert "Reply to" in page.inner_text("h1")
    assert page.input_value("#language") == "en"
    page.select_option("#canned", "fees")
    click_and_load(page, "text=Load this text")
    assert "participation fee depends on the type and size" in page.input_value("#body")
    no_violations(page)
    page.set_viewport_size({"width": 1100, "height": 900})
    page.screenshot(path=str(SCREENSHOTS / "reply.png"), full_page=True)  # for docs/desk.md
    page.check("input[name=close]")
    click_and_load(page, "text=Preview reply")
    assert "the reply as it will be sent" in page.inner_text("h1")
    assert TARTU in page.inner_text("article.preview")
    no_violations(page)
    assert not replies(service, request_id)
    click_and_load(page, "text=Send reply")
    assert "Reply queued" in page.inner_text("main") and "the request is closed" in page.inner_text("main")
    assert "Status closed" in page.inner_text("p.status")
    mine = page.locator("ol.thread li.out", has_text="Reply by anna")
    assert "queued" in mine.inner_text()
    before = len(smtp.to(TARTU))
    assert outbox.send_due(service.store, service.config.smtp).sent == 1
    page.reload()
    assert "sent" in page.locator("ol.thread li.out", has_text="Reply by anna").inner_text()
    arrived = smtp.to(TARTU)[before:]
    assert len(arrived) == 1 and arrived[0].message["Subject"].startswith("Re: ")
    assert "participation fee depends" in arrived[0].message.get_content()
    no_violations(page)
    page.locator("#conversation").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "conversation.png"))  # for docs/desk.md
    page.close()


def test_double_submission_sends_once(browser, site):  # noqa: F811
    # The preview's Send form is submitted twice at the same moment from the page (as two
    # tabs or a double click would) and then clicked: one reply is queued, and the click
    # says nothing was sent again. A double click on a fresh form's Send queues one more.
    served, service = site
    request_id = request_of(service, TARTU)
    page = browser.new_page()
    log_in(page, served.url)
    page.goto(f"{served.url}/requests/{request_id}/reply?canned=eligibility")
    click_and_load(page, "text=Preview reply")
    statuses = page.evaluate(
        """() => {
          const form = document.querySelector("form.send");
          const post = () =>
            fetch(form.action, {method: "POST", body: new FormData(form), redirect: "manual"});
          return Promise.all([post(), post()]).then(answers => answers.map(a => a.type));
        }"""
    )
    assert statuses == ["opaqueredirect", "opaqueredirect"]  # both answered with a redirect
    assert len(replies(service, request_id)) == 1
    click_and_load(page, "text=Send reply")
    assert "Nothing sent again" in page.inner_text("main")
    assert len(replies(service, request_id)) == 1
    assert page.locator("ol.thread li.out", has_text="Reply by anna").count() == 1

    page.goto(f"{served.url}/requests/{request_id}/reply?canned=fees")
    click_and_load(page, "text=Preview reply")
    page.dblclick("text=Send reply")
    page.wait_for_url(f"**/requests/{request_id}#conversation")
    assert len(replies(service, request_id)) == 2
    page.close()


def test_a_facilitator_of_another_group_cannot_answer(browser, site):  # noqa: F811
    # philipp (lcc) opens the reply form of an srpp-ict request: not found, as every request
    # route of another group answers him; a "both" request he may read (lcc is one of its
    # two groups) is refused with 403. Nothing is queued.
    served, service = site
    other = request_of(service, "ville.koskinen@hel.fi")
    both = request_of(service, "markus.lehner@nordtech-hardware.de")
    with service.store.transaction():
        service.store.update(
            "requests",
            both,
            {
                "group_id": "both",
                "explanation": '{"classification": {"group": {"scores": {"lcc": 2, "srpp-ict": 3}}}}',
            },
        )
    page = browser.new_page()
    log_in(page, served.url, "philipp")
    assert page.goto(f"{served.url}/requests/{other}/reply?canned=fees").status == 404
    assert page.goto(f"{served.url}/requests/{both}").status == 200
    assert page.locator("text=Reply to the sender").count() == 0
    assert page.goto(f"{served.url}/requests/{both}/reply?canned=fees").status == 403
    assert not replies(service, other) and not replies(service, both)
    page.close()
