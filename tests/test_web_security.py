"""Web UI security, with Flask's test client: sessions, CSRF, scoping, escaping, redirects."""

from __future__ import annotations

import pytest

from intake.web import create_app, form_views, monitoring
from tests.webfixtures import csrf_of, login, populated


@pytest.fixture
def app_and_service(tmp_path, smtp):
    config, service = populated(tmp_path, smtp.port)
    app = create_app(config)
    app.config["TESTING"] = True
    yield app, service
    service.close()


def test_every_route_but_login_needs_a_session(app_and_service):
    # Enumerating the app's routes: without a session each answers 302 to /login (or 401);
    # a POST without a session has no CSRF token either and is refused (400) first.
    app, _ = app_and_service
    client = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in (
            "auth.login",
            "static",
            "register.link_page",
            *monitoring.PUBLIC,
            *form_views.PUBLIC,
        ):
            continue  # public by design: the login page, style, /healthz and /metrics (no personal
            # data), the facilitator's link page (its signed token is the key: test_register.py),
            # and the public form with its confirmation page (tests/test_form.py)
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<int:{arg}>", "1").replace(f"<{arg}>", "x")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method)
            assert response.status_code in ((302, 401, 400) if method == "POST" else (302, 401)), (
                method,
                url,
                response.status_code,
            )
            if response.status_code == 302:
                assert "/login" in response.headers["Location"]
            checked += 1
    assert checked >= 15


def test_login_logout_and_cookie_flags(app_and_service):
    # A good login sets an HttpOnly, SameSite session cookie; logout ends the session.
    app, _ = app_and_service
    client = app.test_client()
    assert login(client, password="wrong password!").status_code == 401
    response = login(client)
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/queue")
    assert page.status_code == 200 and b"Waiting for a person" in page.data
    client.post("/logout", data={"csrf_token": csrf_of(page.get_data(as_text=True))})
    assert client.get("/queue").status_code == 302


def test_post_without_valid_csrf_is_refused(app_and_service):
    # State-changing requests need the session's CSRF token.
    app, service = app_and_service
    client = app.test_client()
    login(client)
    assert client.post("/requests/1/close", data={}).status_code == 400
    assert client.post("/requests/1/close", data={"csrf_token": "forged"}).status_code == 400
    assert service.store.one("SELECT status FROM requests WHERE id=1")[0] != "closed"
    token = csrf_of(client.get("/requests/1").get_data(as_text=True))
    assert client.post("/requests/1/close", data={"csrf_token": token}).status_code == 302
    assert service.store.one("SELECT status FROM requests WHERE id=1")[0] == "closed"


def test_login_is_rate_limited(app_and_service):
    # After five failures the sixth attempt is refused even with the right password.
    app, _ = app_and_service
    client = app.test_client()
    for _ in range(5):
        assert login(client, password="nope nope nope").status_code == 401
    assert login(client).status_code == 429


@pytest.mark.parametrize(
    "target",
    ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "evil.example"],
)
def test_no_open_redirect_after_login(app_and_service, target):
    # `next` can only point inside the app.
    app, _ = app_and_service
    response = login(app.test_client(), next_url=target)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "evil" not in location and not location.startswith("javascript")


def test_facilitator_sees_only_their_group(app_and_service):
    # A facilitator cannot open another group's request (404), nor the roster pages.
    app, service = app_and_service
    rows = {r["id"]: r["group_id"] for r in service.store.query("SELECT id, group_id FROM requests")}
    own = next(i for i, g in rows.items() if g == "lcc")
    other = next(i for i, g in rows.items() if g == "srpp-ict")
    client = app.test_client()
    login(client, "philipp")
    assert client.get(f"/requests/{own}").status_code == 200
    assert client.get(f"/requests/{other}").status_code == 404
    token = csrf_of(client.get(f"/requests/{own}").get_data(as_text=True))
    assert client.post(f"/requests/{other}/close", data={"csrf_token": token}).status_code == 404
    assert client.get("/members").status_code == 404
    queue = client.get("/queue").get_data(as_text=True)
    token = dict(service.store.query("SELECT id, token FROM requests"))
    assert f"{token[other]}<" not in queue and f"{token[own]}<" in queue


def test_hostile_mail_renders_inert(app_and_service):
    # Script and HTML in subject, sender name, body and attachment names come out escaped.
    app, service = app_and_service
    request_id = service.store.one("SELECT request_id FROM messages WHERE message_id='xss-1@evil.example'")[0]
    client = app.test_client()
    login(client)
    for url in ("/queue?scope=all", f"/requests/{request_id}"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>window.__xss" not in html
        assert "<img src=x" not in html and 'onerror="window' not in html
        assert "&lt;script&gt;" in html or "&lt;img" in html
    response = client.get(f"/requests/{request_id}")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_attachments_are_downloads(app_and_service):
    # Attachments are served as application/octet-stream with Content-Disposition attachment.
    app, service = app_and_service
    row = service.store.one("SELECT id, request_id FROM messages WHERE message_id='xss-1@evil.example'")
    client = app.test_client()
    login(client)
    response = client.get(f"/requests/{row['request_id']}/messages/{row['id']}/attachments/0")
    assert response.status_code == 200
    assert response.mimetype == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "<" not in response.headers["Content-Disposition"]
    assert client.get(f"/requests/{row['request_id']}/messages/{row['id']}/attachments/9").status_code == 404


def test_members_upload_preview_then_apply(app_and_service, tmp_path):
    # Uploading a roster shows what will change; only "apply" changes it.
    import io

    app, service = app_and_service
    client = app.test_client()
    login(client)
    token = csrf_of(client.get("/members").get_data(as_text=True))
    csv = "organisation,country,membership,domains,contact_emails\nNew City,DE,participant,new.de,\n"
    response = client.post(
        "/members/upload",
        data={"csrf_token": token, "roster": (io.BytesIO(csv.encode()), "r.csv")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert "1 added" in html and "45 removed" in html
    assert service.store.one("SELECT COUNT(*) FROM members")[0] == 45
    client.post("/members/apply", data={"csrf_token": token, "csv_text": csv})
    assert service.store.one("SELECT COUNT(*) FROM members")[0] == 1


def test_overview_draws_a_chart(app_and_service):
    # The overview has a server-drawn SVG chart and outbox/inbox health.
    app, _ = app_and_service
    client = app.test_client()
    login(client)
    html = client.get("/overview").get_data(as_text=True)
    assert "<svg" in html and "<rect" in html and "waiting in triage" in html


def test_password_change_ends_other_sessions(app_and_service):
    # After `intake staff passwd`, sessions made with the old password are logged out.
    from intake import accounts

    app, service = app_and_service
    client = app.test_client()
    login(client)
    assert client.get("/queue").status_code == 200
    accounts.set_password(service.store, "anna", "a brand new passphrase")
    assert client.get("/queue").status_code == 302
    assert login(client, password="a brand new passphrase").status_code == 302
    assert client.get("/queue").status_code == 200
