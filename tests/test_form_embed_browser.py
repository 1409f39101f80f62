"""Issue 22, embedding: the form inside an iframe on another site, in a real headless Chromium.

The network's site is played by a tiny http.server at http://localhost:<port>, the desk by
the app at http://127.0.0.1:<port>: another origin, and another *site* too, so the browser
sends the desk's SameSite=Lax cookie nowhere near the frame, as on the real network's site.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from intake import accounts, members, outbox, queries
from intake.config import load_config
from intake.service import Service
from intake.web import create_app
from tests.conftest import ROSTER, write_config
from tests.test_web_browser import Served, browser  # noqa: F401  (fixture)
from tests.webfixtures import PASSWORD

FACILITATOR_LCC = "philipp.tepper@iclei.org"
LINK = re.compile(r"http://127\.0\.0\.1:\d+/interest/confirm/\S+")
# the snippet of docs/form.md, "Embedding"
SNIPPET = (
    '<iframe id="{id}" class="procura-interest" src="{src}"'
    ' title="Procura+ Interest Groups: express your interest"'
    ' sandbox="allow-forms allow-same-origin allow-popups allow-popups-to-escape-sandbox"'
    ' style="width: 100%; max-width: 48rem; height: 2000px; border: 0"></iframe>'
)

# the optional listener of docs/form.md, "Embedding" (intake's address replaced by the test's)
LISTENER = """<script>
window.addEventListener("message", function (event) {
  if (event.origin !== "https://intake.example.org") return;
  var height = event.data && event.data.intakeFormHeight;
  if (typeof height === "number" && height > 0 && height < 20000) {
    document.querySelector("iframe.procura-interest").style.height = height + "px";
  }
});
</script>"""


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def sites(tmp_path, smtp):
    """(config, service, app URL, the network's site URL, an unlisted site URL)."""
    network_dir = tmp_path / "site"
    network_dir.mkdir()
    network = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(network_dir)))
    threading.Thread(target=network.serve_forever, daemon=True).start()
    embedder = f"http://localhost:{network.server_port}"  # the configured site
    unlisted = f"http://127.0.0.1:{network.server_port}"  # same files, an origin nobody listed
    path = write_config(
        tmp_path,
        imap_port=1,
        smtp_port=smtp.port,
        inboxes=[{"name": "general", "username": "u"}],
        extra='[privacy]\nnotice_url = "https://iclei.org/privacy"\n\n[form]\nmin_seconds = 1\n',
    )
    config = load_config(path)
    # the loader takes https:// origins only (tests/test_form_token.py); the test's site is http
    config = dataclasses.replace(config, form=dataclasses.replace(config.form, embed_origins=(embedder,)))
    service = Service(config)
    members.import_file(service.store, ROSTER, "test")
    accounts.add(service.store, "anna", "staff", None, PASSWORD)
    served = Served(create_app(config))
    page = "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{t}</title></head>"
    (network_dir / "join.html").write_text(
        page.format(t="Procura+ Network")
        + "<body><main><h1>Join an Interest Group</h1>"
        + SNIPPET.format(id="intake", src=f"{served.url}/interest?lang=en")
        + "</main></body></html>"
    )
    (network_dir / "axe.html").write_text(  # axe-core is a script: the test lets the frame run it
        page.format(t="Procura+ Network")
        + "<body><main><h1>Join an Interest Group</h1>"
        + SNIPPET.format(id="intake", src=f"{served.url}/interest?lang=en").replace(
            'sandbox="', 'sandbox="allow-scripts '
        )
        + "</main></body></html>"
    )
    (network_dir / "fit.html").write_text(  # the optional height script of docs/form.md
        page.format(t="Procura+ Network")
        + "<body><main><h1>Join an Interest Group</h1>"
        + SNIPPET.format(id="intake", src=f"{served.url}/interest?lang=en")
        .replace('sandbox="', 'sandbox="allow-scripts ')
        .replace("height: 2000px", "height: 300px")
        + LISTENER.replace("https://intake.example.org", served.url)
        + "</main></body></html>"
    )
    (network_dir / "desk.html").write_text(
        page.format(t="Framing the desk")
        + "<body>"
        + SNIPPET.format(id="desk", src=f"{served.url}/login")
        + SNIPPET.format(id="form", src=f"{served.url}/interest")
        + "</body></html>"
    )
    yield config, service, served.url, embedder, unlisted
    served.stop()
    network.shutdown()
    service.close()


def framed(page, element_id: str):  # noqa: ANN001, ANN201
    """The Frame object of the iframe with that id, once it has loaded."""
    page.wait_for_load_state("load")
    return page.locator(f"iframe#{element_id}").element_handle().content_frame()


def test_the_form_works_inside_another_sites_iframe_without_javascript(browser, sites, smtp):  # noqa: F811
    # On the network's page, with JavaScript off: the visitor fills and sends the form in the
    # frame, confirms through the mailed link, and the join reaches the facilitator. The
    # browser holds no cookie of intake's at any point.
    config, service, app_url, embedder, _unlisted = sites
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    page.goto(f"{embedder}/join.html")
    form = page.frame_locator("iframe#intake")
    form.locator("#intent-join").check()
    form.locator("#group-lcc").check()
    form.locator("#f-name").fill("Marta Kowalska")
    form.locator("#f-organisation").fill("Urząd Miasta Krakowa")
    form.locator("#f-email").fill("agnieszka.nowicka@um.krakow.pl")
    form.locator("#f-message").fill("Kraków would like to take part in the exchange on life cycle costing.")
    form.locator("#consent").check()
    time.sleep(1.1)  # [form] min_seconds = 1
    form.locator("form.interest button[type=submit]").click()
    expect(form.locator("h1")).to_have_text("Please check your mailbox")  # once the frame has loaded it
    assert page.url == f"{embedder}/join.html"  # it all happened inside the frame
    assert [c for c in context.cookies() if c["name"] == "intake_session"] == []

    outbox.send_due(service.store, config.smtp)
    (mail,) = [m.message for m in smtp.to("agnieszka.nowicka@um.krakow.pl")]
    link = LINK.search(mail.get_body(("plain",)).get_content()).group(0)
    assert link.startswith(app_url)
    confirm = context.new_page()
    confirm.goto(link)
    confirm.click("main button[type=submit]")
    expect(confirm.locator("p.done")).to_be_visible()  # waits for the POST's page to load
    assert [c for c in context.cookies() if c["name"] == "intake_session"] == []
    context.close()

    outbox.send_due(service.store, config.smtp)
    (row,) = queries.list_requests(service.store)
    assert row["channel"] == "form" and row["group"] == "lcc" and row["status"] == "routed"
    assert row["forwarded_to"] == [FACILITATOR_LCC]
    assert len(smtp.to(FACILITATOR_LCC)) == 1


def test_the_framed_form_has_no_accessibility_violations(browser, sites):  # noqa: F811
    # axe-core, run inside the frame: 0 violations on the form and on its error page.
    _config, _service, _app_url, embedder, _unlisted = sites
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.goto(f"{embedder}/axe.html")
    frame = framed(page, "intake")
    assert frame.locator("h1").inner_text().startswith("Procura+ Interest Groups")
    for _ in range(2):
        results = Axe().run(frame)
        assert results.response["passes"], "axe-core did not run"
        assert results.violations_count == 0, results.generate_report()
        frame.locator("form.interest button[type=submit]").click()  # sent empty: the errors
        frame.wait_for_selector("div.errors")
    context.close()


@pytest.mark.parametrize("language", ["en", "de", "el", "fi"])
def test_the_heights_docs_form_md_gives_hold(browser, sites, language: str):  # noqa: F811
    # The form with its error summary fits the frame heights the embedding guide gives, for
    # a phone-width column and a wider one.
    _config, _service, app_url, embedder, _unlisted = sites
    for width, height in ((390, 2400), (800, 2000)):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto(f"{embedder}/join.html")
        frame = framed(page, "intake")
        frame.goto(f"{app_url}/interest?lang={language}")
        frame.locator("form.interest button[type=submit]").click()
        frame.wait_for_selector("div.errors")
        needed = frame.evaluate("document.documentElement.scrollHeight")
        assert needed <= height, f"{needed}px at {width}px wide"
        context.close()


def test_the_optional_height_script_sizes_the_frame(browser, sites):  # noqa: F811
    # Where the site allows scripts in the frame and listens, the frame takes the height of
    # the form's page, and follows it when the error summary appears.
    _config, _service, _app_url, embedder, _unlisted = sites
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.goto(f"{embedder}/fit.html")
    frame = framed(page, "intake")

    def fits() -> bool:
        outer = page.evaluate("document.querySelector('iframe#intake').getBoundingClientRect().height")
        inner = frame.evaluate("document.documentElement.getBoundingClientRect().height")
        return outer > 1000 and abs(outer - inner) <= 1

    page.wait_for_function("document.querySelector('iframe#intake').getBoundingClientRect().height > 1000")
    assert fits()
    before = page.evaluate("document.querySelector('iframe#intake').getBoundingClientRect().height")
    frame.locator("form.interest button[type=submit]").click()
    frame.wait_for_selector("div.errors")
    page.wait_for_function(
        f"document.querySelector('iframe#intake').getBoundingClientRect().height > {before}"
    )
    assert fits()
    context.close()


def test_the_desk_refuses_to_be_framed_and_an_unlisted_site_gets_no_form(browser, sites):  # noqa: F811
    # From the configured site the form shows but the desk's login does not; from a site
    # nobody listed, neither shows.
    _config, _service, _app_url, embedder, unlisted = sites
    context = browser.new_context(locale="en-GB")
    for site, form_shows in ((embedder, True), (unlisted, False)):
        page = context.new_page()
        refused: list[str] = []
        page.on(
            "console",
            lambda m, refused=refused: refused.append(m.text) if "frame-ancestors" in m.text else None,
        )
        page.goto(f"{site}/desk.html")
        page.wait_for_timeout(500)
        assert framed(page, "desk").locator("input[name=password]").count() == 0
        assert (framed(page, "form").locator("form.interest").count() == 1) is form_shows
        assert any("frame-ancestors 'none'" in text for text in refused), refused
        page.close()
    context.close()
