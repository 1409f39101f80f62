"""Issue 21, the queue in a real headless Chromium: sorting by a header, each filter, search by
a word of a body, times in the configured zone; axe-core finds no accessibility violation."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from axe_playwright_python.sync_playwright import Axe

from intake import triage
from intake.web import create_app
from tests.test_web_browser import Served, browser, click_and_load, log_in  # noqa: F401  (fixture)
from tests.webfixtures import populated

WAITING = {2, 3, 5, 6, 7, 9}  # the requests of tests/webfixtures.py that wait for a person


@pytest.fixture
def desk(tmp_path, smtp):
    config, service = populated(tmp_path, smtp.port)
    # received long ago (overdue), except requests 2 and 3, received just now
    with service.store.transaction():
        service.store.conn.execute("UPDATE messages SET internal_date = '2026-01-05T23:30:00Z'")
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        service.store.conn.execute("UPDATE messages SET internal_date = ? WHERE request_id IN (2, 3)", (now,))
    triage.assign(service.env, 2, "anna")
    triage.assign(service.env, 3, "philipp")
    served = Served(create_app(config))
    yield served, service
    served.stop()
    service.close()


def tokens(page) -> list[int]:  # noqa: ANN001
    """The request ids listed, in order, once the page has loaded (a click that navigates
    returns when the new page starts loading: its table may not be parsed yet)."""
    page.wait_for_load_state()
    cells = page.locator("table.queue tbody tr td:first-child").all_inner_texts()
    return [int(t.split("-")[1]) for t in cells]


def no_violations(page) -> None:  # noqa: ANN001
    results = Axe().run(page)
    assert results.response["passes"], "axe-core did not run"
    assert results.violations_count == 0, results.generate_report()


def test_sorting_by_a_header(browser, desk):  # noqa: F811
    # Clicking a header sorts by it (ascending, then descending) and marks it with aria-sort.
    served, service = desk
    page = browser.new_page()
    log_in(page, served.url)
    page.goto(f"{served.url}/queue?scope=all")
    click_and_load(page, "table.queue th >> text=Subject")
    header = page.locator("table.queue th", has_text="Subject")
    assert header.get_attribute("aria-sort") == "ascending"
    subjects = [s.lower() for s in page.locator("table.queue tbody td:nth-child(4)").all_inner_texts()]
    assert subjects == sorted(subjects)
    click_and_load(page, "table.queue th >> text=Subject")
    assert page.locator("table.queue th", has_text="Subject").get_attribute("aria-sort") == "descending"
    again = [s.lower() for s in page.locator("table.queue tbody td:nth-child(4)").all_inner_texts()]
    assert again == sorted(subjects, reverse=True)
    click_and_load(page, "table.queue th >> text=#")
    assert tokens(page) == sorted(tokens(page))
    page.close()


def test_each_filter(browser, desk):  # noqa: F811
    # mine, unassigned, overdue, group (a proposed topic), reason and language, set in the form.
    served, _ = desk
    page = browser.new_page()
    log_in(page, served.url)
    page.goto(f"{served.url}/queue")
    assert set(tokens(page)) == WAITING

    def shown_with(action) -> set[int]:  # noqa: ANN001
        page.goto(f"{served.url}/queue")
        action()
        click_and_load(page, "form.filters button[type=submit]")
        return set(tokens(page))

    assert shown_with(lambda: page.check("input[name=mine]")) == {2}
    assert shown_with(lambda: page.check("input[name=unassigned]")) == WAITING - {2, 3}
    assert shown_with(lambda: page.check("input[name=overdue]")) == WAITING - {2, 3}
    assert page.locator("tr.overdue").count() == len(WAITING - {2, 3})
    assert "overdue" in page.locator("tr.overdue td.received").first.inner_text()
    no_violations(page)  # the queue with a filter
    assert shown_with(lambda: page.select_option("select[name=group]", label="Circular (proposed)")) == {6}
    assert shown_with(lambda: page.select_option("select[name=reason]", "low confidence")) == {5, 7}
    page.goto(f"{served.url}/queue?scope=all")
    page.select_option("select[name=language]", label="Finnish")
    click_and_load(page, "form.filters button[type=submit]")
    assert tokens(page) == [1]
    assert "Finnish" in page.locator("table.queue tbody td:nth-child(7)").inner_text()
    page.close()


def test_search_by_a_word_of_the_body(browser, desk):  # noqa: F811
    # A word that only one request's body holds finds that request; no result says so.
    served, service = desk
    body = service.store.one("SELECT body_text FROM messages WHERE request_id = 3")["body_text"]
    assert "Tartu" in body
    page = browser.new_page()
    log_in(page, served.url)
    page.goto(f"{served.url}/queue?scope=all")
    page.fill("input[name=q]", "tartu")
    click_and_load(page, "form.filters button[type=submit]")
    assert tokens(page) == [3]
    assert page.input_value("input[name=q]") == "tartu"
    no_violations(page)  # search results
    page.fill("input[name=q]", '"AND -* quartz-zebra')
    click_and_load(page, "form.filters button[type=submit]")
    assert "Nothing found" in page.inner_text("main")
    page.close()


def test_times_in_brussels(browser, desk):  # noqa: F811
    # 23:30 UTC on 5 January is 00:30 on 6 January in Brussels, on the queue and the request.
    served, _ = desk
    page = browser.new_page()
    log_in(page, served.url)
    page.goto(f"{served.url}/queue?scope=all&sort=token&dir=asc")
    received = page.locator("table.queue tbody tr").first.locator("td time").inner_text()
    assert received == "2026-01-06 00:30"
    page.goto(f"{served.url}/requests/1")
    facts = page.inner_text("section.facts")
    assert "2026-01-06 00:30" in facts and "23:30" not in facts
    events = page.inner_text("ol.events")
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ", events)
    assert not re.search(r"\d\d:\d\d:\d\d\.\d", events) and "Z " not in events
    page.close()
