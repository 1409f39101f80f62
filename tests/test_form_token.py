"""Issue 22, embedding: the form's own CSRF token (signed, time-limited, one submission per
token), who may frame which page, where its POSTs may come from, and the config key."""

from __future__ import annotations

import hashlib
import time

import pytest
from click.testing import CliRunner
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from intake import form_embed, form_token, outbox
from intake.cli import main
from intake.form_token import TokenError
from tests.conftest import write_config
from tests.test_form import JOIN, confirm_link, hidden, make_site, pseudonym_key, send_form  # noqa: F401

KEY = "k" * 48
EMBED = 'min_seconds = 0\nembed_origins = ["https://procuraplus.org"]\n'


@pytest.fixture
def embedded(tmp_path, smtp):
    config, service, app = make_site(tmp_path, smtp.port, EMBED)
    yield config, service, app
    service.close()


def test_a_genuine_token_says_what_it_is_for_and_when_the_form_was_shown():
    # check() gives back the purpose, a random nonce and the time of the first view.
    token = form_token.issue(KEY, "interest", shown_at=1000.0)
    checked = form_token.check(KEY, token, "interest")
    assert checked.shown_at == 1000.0 and len(checked.nonce) >= 16
    assert form_token.check(KEY, form_token.issue(KEY, "interest"), "interest").nonce != checked.nonce


def test_missing_tampered_foreign_and_expired_tokens_are_refused():
    # No token, a changed one, one signed with another key or made for another page, and
    # one older than its maximum age: each refused, saying which.
    token = form_token.issue(KEY, "interest")
    for bad, kind in [
        (None, "missing"),
        ("", "missing"),
        (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "tampered"),
        (form_token.issue("x" * 48, "interest"), "tampered"),
        (form_token.issue(KEY, form_token.confirm_purpose("abc")), "tampered"),
        ("not-a-token", "tampered"),
    ]:
        with pytest.raises(TokenError) as caught:
            form_token.check(KEY, bad, "interest")
        assert caught.value.kind == kind
    time.sleep(2.1)
    with pytest.raises(TokenError) as caught:
        form_token.check(KEY, token, "interest", max_age=1)
    assert caught.value.kind == "expired"


def test_a_replayed_token_makes_no_second_submission(embedded, smtp):
    # The same token posted twice: one submission and one mail; the replay sees the usual
    # page and leaves a form_dropped event (why: replayed).
    config, service, app = embedded
    client = app.test_client()
    page = client.get("/interest").get_data(as_text=True)
    data = {"form_token": hidden(page, "form_token"), "lang": "en", "consent": "yes", **JOIN}
    first = client.post("/interest", data=data)
    second = client.post("/interest", data=data)
    assert first.status_code == second.status_code == 200
    assert first.get_data(as_text=True) == second.get_data(as_text=True)
    outbox.send_due(service.store, config.smtp)
    assert len(smtp.received) == 1 and service.store.one("SELECT COUNT(*) FROM form_submissions")[0] == 1
    assert [e["detail"]["why"] for e in service.store.event_rows("kind='form_dropped'")] == ["replayed"]


def test_form_posts_without_a_genuine_token_are_refused(embedded, smtp):
    # Submit and confirm need their page's own token: missing or another page's is a 400,
    # and nothing is stored or confirmed.
    config, service, app = embedded
    client = app.test_client()
    assert client.post("/interest", data={**JOIN, "consent": "yes"}).status_code == 400
    forged = form_token.issue(app.secret_key, form_token.confirm_purpose("x"))
    assert client.post("/interest", data={**JOIN, "consent": "yes", "form_token": forged}).status_code == 400
    assert service.store.one("SELECT COUNT(*) FROM form_submissions")[0] == 0
    send_form(client, JOIN)
    outbox.send_due(service.store, config.smtp)
    link = confirm_link(smtp, "lmartin@valladolid.es")
    submit_token = hidden(client.get("/interest").get_data(as_text=True), "form_token")
    assert client.post(link, data={}).status_code == 400
    assert client.post(link, data={"form_token": submit_token}).status_code == 400
    assert service.store.one("SELECT COUNT(*) FROM messages")[0] == 0
    page = client.get(link).get_data(as_text=True)
    assert client.post(link, data={"form_token": hidden(page, "form_token")}).status_code == 200
    assert service.store.one("SELECT COUNT(*) FROM messages")[0] == 1


def test_an_expired_token_shows_the_form_again_with_what_was_filled_in(embedded):
    # A page open for more than a day: nothing is kept, the form comes back (400) with its
    # values, a notice, and a fresh token that works.
    _config, service, app = embedded

    class DayAgo(TimestampSigner):  # itsdangerous' documented hook: the signing time
        def get_timestamp(self) -> int:
            return int(time.time()) - form_token.MAX_AGE - 60

    signer = URLSafeTimedSerializer(
        app.secret_key, salt=form_token.SALT, signer=DayAgo, signer_kwargs={"digest_method": hashlib.sha256}
    )
    stale = signer.dumps({"p": "interest", "n": "n" * 22, "s": time.time() - form_token.MAX_AGE - 60})
    client = app.test_client()
    response = client.post("/interest", data={**JOIN, "consent": "yes", "form_token": stale})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "The page was open for a long time" in html
    assert 'value="lmartin@valladolid.es"' in html and 'href="#f-form"' in html
    assert service.store.one("SELECT COUNT(*) FROM form_submissions")[0] == 0
    fresh = {**JOIN, "consent": "yes", "form_token": hidden(html, "form_token")}
    assert client.post("/interest", data=fresh).status_code == 200
    assert service.store.one("SELECT COUNT(*) FROM form_submissions")[0] == 1


def test_a_form_shown_again_keeps_the_time_of_its_first_view(embedded):
    # An incomplete form comes back with a token whose shown_at is the first view's, so the
    # minimum time to fill in is not started again.
    _config, _service, app = embedded
    client = app.test_client()
    first = form_token.issue(app.secret_key, form_token.SUBMIT, shown_at=time.time() - 60)
    again = client.post("/interest", data={**JOIN, "email": "", "consent": "yes", "form_token": first})
    assert again.status_code == 422
    token = hidden(again.get_data(as_text=True), "form_token")
    assert token != first
    assert form_token.check(app.secret_key, token, form_token.SUBMIT).shown_at == pytest.approx(
        form_token.check(app.secret_key, first, form_token.SUBMIT).shown_at
    )


def test_posts_from_another_site_are_refused_but_from_the_embedding_site_accepted(embedded):
    # Origin (or, without it, Referer) must be intake itself or a configured embed origin;
    # "null" (a sandboxed frame without allow-same-origin) is refused.
    _config, service, app = embedded
    client = app.test_client()

    def post(headers: dict[str, str]) -> int:
        page = client.get("/interest").get_data(as_text=True)
        data = {**JOIN, "consent": "yes", "form_token": hidden(page, "form_token")}
        return client.post("/interest", data=data, headers=headers).status_code

    assert post({"Origin": "https://evil.example"}) == 403
    assert post({"Origin": "null"}) == 403
    assert post({"Referer": "https://evil.example/page"}) == 403
    assert service.store.one("SELECT COUNT(*) FROM form_submissions")[0] == 0
    assert post({"Origin": "http://localhost"}) == 200  # the test client's own origin
    assert post({"Origin": "https://procuraplus.org"}) == 200
    assert post({"Referer": "http://intake.test/interest"}) == 200  # [web] base_url
    assert post({}) == 200  # neither header: the token alone decides


def test_only_the_form_may_be_framed_and_only_by_the_configured_sites(tmp_path, smtp, embedded):
    # With embed_origins the form's pages name who may frame them and send no
    # X-Frame-Options; the desk is never framed; without the key the form is not either.
    _config, _service, app = embedded
    client = app.test_client()
    framed = client.get("/interest")
    assert "frame-ancestors 'self' https://procuraplus.org;" in framed.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in framed.headers
    for desk in ("/login", "/"):
        response = client.get(desk)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
    (tmp_path / "plain").mkdir()
    _c, plain_service, plain = make_site(tmp_path / "plain", smtp.port)
    response = plain.test_client().get("/interest")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    plain_service.close()


def test_the_form_sets_no_cookie(embedded, smtp):
    # The form's pages (a cross-site frame would not keep a cookie anyway) set none.
    config, service, app = embedded
    client = app.test_client()
    assert "Set-Cookie" not in client.get("/interest").headers
    response = send_form(client, JOIN)
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    outbox.send_due(service.store, config.smtp)
    link = confirm_link(smtp, "lmartin@valladolid.es")
    assert "Set-Cookie" not in client.get(link).headers
    assert client.get_cookie("intake_session") is None
    assert "Set-Cookie" in client.get("/login").headers  # the desk still has its session


def test_embed_origins_must_be_https_scheme_and_host(tmp_path):
    # `intake config check` names the key and the bad value in one line (exit 2).
    for bad in (
        "http://procuraplus.org",
        "https://procuraplus.org/",
        "https://procuraplus.org/form",
        "https://*.procuraplus.org",
        "procuraplus.org",
    ):
        path = write_config(
            tmp_path,
            imap_port=1,
            smtp_port=1,
            inboxes=[{"name": "general", "username": "u"}],
            extra=f'[form]\nembed_origins = ["{bad}"]\n',
        )
        result = CliRunner().invoke(main, ["--config", str(path), "config", "check"])
        assert result.exit_code == 2, result.output
        assert (
            result.output.count("\n") == 1 and "form.embed_origins" in result.output and bad in result.output
        )
        assert "Traceback" not in result.output


def test_origins_as_a_browser_writes_them():
    # origin_of() normalises scheme, host and default port; anything odd has none.
    assert form_embed.origin_of("https://ProcuraPlus.org:443/x?y") == "https://procuraplus.org"
    assert form_embed.origin_of("http://127.0.0.1:8080/interest") == "http://127.0.0.1:8080"
    assert form_embed.origin_of("null") is None and form_embed.origin_of("http://[::1]:99999/") is None
