"""The triage desk in a real headless Chromium (Debian's package), driven by Playwright."""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from intake import accounts, members, outbox, pipeline, triage
from intake.config import load_config
from intake.demo_data import DEMO_ROSTER, demo_messages
from intake.service import Service
from intake.web import create_app
from tests.conftest import ROOT, write_config
from tests.webfixtures import PASSWORD, populated

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = ROOT / "docs" / "screenshots"


def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        raise RuntimeError(
            "Chromium is not installed: the README's test command installs it with apt-get (package chromium)"
        )
    return path


class Served:
    def __init__(self, app, port: int = 0) -> None:  # noqa: ANN001 - port 0: any free one
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def site(tmp_path, smtp):
    config, service = populated(tmp_path, smtp.port)
    served = Served(create_app(config))
    yield served, service
    served.stop()
    service.close()


def click_and_load(page, target, **options) -> None:  # noqa: ANN001 - Playwright's Page and Locator
    """Click something that opens another page, then wait until that page has loaded.

    Playwright's click returns when the next page starts loading: reading it at once (a
    count, a row list, `is_visible`) can still see the old one. `target` is a selector
    (clicked as `page.click` does: the first match) or a Locator."""
    if isinstance(target, str):
        page.click(target, **options)
    else:
        target.click(**options)
    page.wait_for_load_state()


def log_in(page, base: str, name: str = "anna") -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    click_and_load(page, "button[type=submit]")


def test_work_a_request_from_queue_to_closed(browser, site):
    # Log in, open the oldest request in the queue, add a note, close it.
    served, service = site
    page = browser.new_page()
    log_in(page, served.url)
    assert "Waiting for a person" in page.inner_text("h1")
    first = page.locator("table.list tbody tr").first
    token = first.locator("td").first.inner_text()
    click_and_load(page, first.locator("td a").first)
    assert token in page.inner_text("h1")
    page.fill("textarea[name=text]", "Called them; they will resend.")
    click_and_load(page, "text=Add note")
    assert "Note added" in page.inner_text("main")
    click_and_load(page, "button:has-text('Close')")
    assert "Status closed" in page.inner_text("p.status")
    assert "Called them" in page.inner_text("ol.events")
    page.goto(f"{served.url}/queue")
    assert token not in page.inner_text("main")
    request_id = int(token.split("-")[1])
    events = [
        r["actor"]
        for r in service.store.query(
            "SELECT actor FROM events WHERE request_id=? AND kind IN ('note', 'closed')", (request_id,)
        )
    ]
    assert events == ["anna", "anna"]
    page.close()


def test_reroute_with_preview_then_send(browser, site):
    # Re-route a request: the preview shows the exact mail; confirming queues it.
    served, service = site
    row = service.store.one("SELECT id FROM requests WHERE triage_reason='non-member'")
    page = browser.new_page()
    log_in(page, served.url)
    page.goto(f"{served.url}/requests/{row['id']}")
    page.select_option("select[name=group]", "lcc")
    page.select_option("select[name=intent]", "question")
    click_and_load(page, "text=Preview replies")
    assert "what this decision will do" in page.inner_text("h1")
    preview = page.inner_text("article.preview")
    assert "We have received your message" in preview
    assert (
        service.store.one("SELECT COUNT(*) FROM outbox WHERE dedupe_key LIKE ?", (f"req{row['id']}:r1:%",))[0]
        == 0
    )
    click_and_load(page, "text=Decide and send")
    assert "1 mail(s) queued" in page.inner_text("main")
    assert (
        service.store.one("SELECT COUNT(*) FROM outbox WHERE dedupe_key LIKE ?", (f"req{row['id']}:r1:%",))[0]
        == 1
    )
    page.close()


def test_facilitator_cannot_open_other_groups_request(browser, site):
    # A facilitator gets "Not Found" for another group's request and sees only theirs.
    served, service = site
    other = service.store.one("SELECT id FROM requests WHERE group_id='srpp-ict'")[0]
    own = service.store.one("SELECT id FROM requests WHERE group_id='lcc'")[0]
    page = browser.new_page()
    log_in(page, served.url, "philipp")
    response = page.goto(f"{served.url}/requests/{other}")
    assert response.status == 404
    response = page.goto(f"{served.url}/requests/{own}")
    assert response.status == 200
    page.goto(f"{served.url}/queue")
    assert "lcc requests" in page.inner_text("h1")
    assert "Members" not in page.inner_text("header")
    page.close()


def test_hostile_mail_runs_no_script(browser, site):
    # A mail whose subject, name, body and attachment name carry scripts renders inert.
    served, service = site
    request_id = service.store.one("SELECT request_id FROM messages WHERE message_id='xss-1@evil.example'")[0]
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    requests_seen = []
    page.on("request", lambda r: requests_seen.append(r.url))
    log_in(page, served.url)
    for url in (f"{served.url}/queue?scope=all", f"{served.url}/requests/{request_id}"):
        page.goto(url)
        page.wait_for_load_state("load")
        assert page.evaluate("typeof window.__xss") == "undefined"
    assert dialogs == []
    assert not any("remote.png" in u for u in requests_seen)  # remote images never load
    assert "<script>" in page.inner_text("main")  # shown as text, not run
    page.close()


def test_screenshots_for_the_readme(browser, tmp_path, smtp):
    # The README's screenshots are made here, from the demo data.
    path = write_config(
        tmp_path,
        imap_port=1,
        smtp_port=smtp.port,
        inboxes=[{"name": "general", "username": "u"}, {"name": "lcc", "username": "u", "group": "lcc"}],
    )
    config = load_config(path)
    service = Service(config)
    roster_file = tmp_path / "roster.csv"
    roster_file.write_text(DEMO_ROSTER, encoding="utf-8")
    members.import_file(service.store, roster_file, "demo")
    demo = demo_messages()
    now = datetime.now(UTC)
    for uid, (folder, raw) in enumerate(demo, 1):
        inbox = "lcc" if folder == "LCC" else "general"
        received = now - timedelta(days=len(demo) - uid, hours=3 * uid)  # waiting 0 to a week or more
        service.store.store_delivery(
            inbox=inbox,
            folder="INBOX",
            uidvalidity=1,
            uid=uid,
            raw=raw,
            internal_date=received.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
    pipeline.process_pending(service.env)
    outbox.send_due(service.store, config.smtp)  # as a running service would: the thread shows them sent
    accounts.add(service.store, "anna", "staff", None, PASSWORD)
    waiting = service.store.one("SELECT MAX(id) FROM requests WHERE status = 'triage'")[0]
    triage.assign(service.env, waiting, "anna")  # the queue shows an assignee
    served = Served(create_app(config))
    try:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        log_in(page, served.url)
        page.screenshot(path=str(SCREENSHOTS / "queue.png"), full_page=True)
        click_and_load(page, page.locator("table.list tbody tr td a").first)
        page.screenshot(path=str(SCREENSHOTS / "request.png"), full_page=True)
        phone = browser.new_page(viewport={"width": 390, "height": 800})
        log_in(phone, served.url)
        phone.screenshot(path=str(SCREENSHOTS / "queue-phone.png"), full_page=True)
        for name in ("queue.png", "request.png", "queue-phone.png"):
            assert (SCREENSHOTS / name).stat().st_size > 5000
    finally:
        served.stop()
        service.close()
