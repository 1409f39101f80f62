"""The desk's erasure action in real headless Chromium; staff only, confirmed by retyping."""

from __future__ import annotations

from dataclasses import replace

import pytest

from intake.config import PrivacyConfig, Secret
from intake.web import create_app
from tests.test_web_browser import Served, browser, click_and_load, log_in  # noqa: F401 - the browser fixture
from tests.webfixtures import csrf_of, login, populated

KEY_ENV = "INTAKE_TEST_PSEUDONYM_KEY"
EVE = "eve@evil.example"


@pytest.fixture
def site(tmp_path, smtp, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "w" * 40)
    config, service = populated(tmp_path, smtp.port)
    config = replace(config, privacy=PrivacyConfig(pseudonym_key=Secret(env=KEY_ENV)))
    served = Served(create_app(config))
    yield served, service, config
    served.stop()
    service.close()


def file_bytes(config) -> bytes:  # noqa: ANN001
    wal = config.database.with_name(config.database.name + "-wal")
    return config.database.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_staff_erase_a_person_after_seeing_what_goes(browser, site):  # noqa: F811
    # Preview, a wrong confirmation erases nothing, the right one erases; the file is clean.
    served, service, config = site
    page = browser.new_page()
    log_in(page, served.url)
    click_and_load(page, "header >> text=Privacy")
    page.fill("input[name=address]", EVE)
    click_and_load(page, "text=Show what would be erased")
    assert "would become erased-" in page.inner_text("section.preview")
    assert "1 request(s) they started" in page.inner_text("section.preview")
    page.fill("input[name=confirm]", "someone@else.example")
    click_and_load(page, "text=Erase for good")
    assert "does not match" in page.inner_text("main")
    assert EVE.encode() in file_bytes(config)
    page.fill("input[name=confirm]", EVE.upper())
    click_and_load(page, "text=Erase for good")
    assert "Erased: now erased-" in page.inner_text("main")
    assert EVE.encode() not in file_bytes(config)
    (erasure,) = service.store.query("SELECT actor FROM erasures")
    assert erasure["actor"] == "anna"
    page.close()


def test_facilitators_cannot_erase(site):
    # The action answers 404 to a facilitator, for the page and for the POST itself.
    served, service, config = site
    app = create_app(config)
    client = app.test_client()
    login(client, "philipp")
    token = csrf_of(client.get("/queue").get_data(as_text=True))
    assert client.get("/privacy/erase").status_code == 404
    answer = client.post("/privacy/erase", data={"csrf_token": token, "address": EVE, "confirm": EVE})
    assert answer.status_code == 404
    assert service.store.one("SELECT COUNT(*) FROM erasures")[0] == 0
    assert EVE.encode() in file_bytes(config)
