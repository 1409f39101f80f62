"""OAuth2 for IMAP and SMTP (issue 19): Dovecot with an oauth2 passdb checking every token
at a loopback introspection endpoint, the SMTP server on loopback accepting XOAUTH2 only
with a live token, and a loopback token endpoint (client credentials, refresh token,
device code). Expired tokens are refreshed; revoked ones give one clear line."""

from __future__ import annotations

import base64
import json
import logging
import time

import pytest
from click.testing import CliRunner
from imapclient import IMAPClient

from intake import members
from intake.cli import main
from intake.config import ConfigError, load_config
from intake.oauth import sasl_oauthbearer, sasl_xoauth2
from intake.service import Service
from intake.smtp_sink import SmtpSink
from tests.conftest import ROSTER
from tests.dovecot import Dovecot
from tests.oauth_server import CLIENT_ID, CLIENT_SECRET, OAuthServer

USER = "procurement@iclei.org"


@pytest.fixture
def provider():
    server = OAuthServer(USER).start()
    yield server
    server.stop()


@pytest.fixture
def oauth_dovecot(provider):
    server = Dovecot(oauth2_introspection_url=f"{provider.url}/introspect").start()
    yield server
    server.cleanup()


@pytest.fixture
def oauth_smtp(provider):
    sink = SmtpSink(oauth_check=provider.check).start()
    yield sink
    sink.stop()


def _deliver(dovecot: Dovecot, provider: OAuthServer, raw: bytes) -> None:
    """Put mail in the inbox, logging in with a token as anyone must on this server."""
    token = provider._token(
        {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    )[1]["access_token"]
    client = IMAPClient("127.0.0.1", port=dovecot.port, ssl=False, timeout=10)
    client.oauth2_login(USER, token)
    client.append("INBOX", raw)
    client.logout()


def _mail(n: int) -> bytes:
    return (
        f"From: Anna Schmidt <beschaffung@heidelberg.de>\r\nTo: {USER}\r\n"
        f"Subject: Join the LCC group ({n})\r\nMessage-ID: <oauth-{n}-{time.time_ns()}@heidelberg.de>\r\n"
        "Date: Mon, 30 Nov 2026 10:00:00 +0000\r\n\r\n"
        "Dear secretariat, we would like to join the Interest Group on low-carbon procurement.\r\n"
    ).encode()


def _config(
    tmp_path,
    dovecot,
    smtp,
    provider,
    *,
    flow: str = "client_credentials",
    imap_mechanism: str = "XOAUTH2",
    extra: str = "",
) -> object:
    (tmp_path / "client-secret").write_text(CLIENT_SECRET)
    path = tmp_path / "intake.toml"
    path.write_text(f"""
[service]
database = "{tmp_path / "intake.sqlite3"}"

[oauth2.imap]
provider = "generic"
flow = "{flow}"
token_url = "{provider.url}/token"
device_url = "{provider.url}/devicecode"
client_id = "{CLIENT_ID}"
client_secret_file = "client-secret"
scopes = ["https://outlook.office365.com/.default"]
mechanism = "{imap_mechanism}"
{extra}

[oauth2.smtp]
provider = "generic"
flow = "client_credentials"
token_url = "{provider.url}/token"
client_id = "{CLIENT_ID}"
client_secret_file = "client-secret"
scopes = ["https://outlook.office365.com/.default"]

[[inbox]]
name = "general"
host = "127.0.0.1"
port = {dovecot.port}
security = "none"
username = "{USER}"
oauth2 = "imap"
address = "{USER}"
idle = false

[smtp]
host = "127.0.0.1"
port = {smtp.port}
security = "none"
username = "{USER}"
oauth2 = "smtp"
from_address = "{USER}"
staff_address = "secretariat@iclei.org"
timeout = 5

[limits]
skip_old_mail = false
""")
    return path


def _refresh_token_config(tmp_path, dovecot, smtp, provider):  # noqa: ANN001, ANN202
    """A config using the refresh-token flow, its token issued by the provider and kept in a file."""
    (tmp_path / "refresh-token").write_text(provider.issue_refresh_token())
    return _config(
        tmp_path, dovecot, smtp, provider, flow="refresh_token", extra='refresh_token_file = "refresh-token"'
    )


def _service(path) -> Service:  # noqa: ANN001
    service = Service(load_config(path))
    members.import_file(service.store, ROSTER, "test")
    return service


def _check(path) -> tuple[int, str]:  # noqa: ANN001
    result = CliRunner().invoke(main, ["--config", str(path), "config", "check"])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.mark.parametrize("mechanism", ["XOAUTH2", "OAUTHBEARER"])
def test_client_credentials_log_in_to_imap_and_smtp_and_mail_is_answered(
    tmp_path, provider, oauth_dovecot, oauth_smtp, mechanism, caplog
):
    # an app registration (client credentials): the service fetches over IMAP with a token,
    # answers over SMTP with a token; Dovecot and the SMTP server checked each token
    caplog.set_level(logging.DEBUG)
    path = _config(tmp_path, oauth_dovecot, oauth_smtp, provider, imap_mechanism=mechanism)
    _deliver(oauth_dovecot, provider, _mail(1))
    service = _service(path)
    report = service.run_cycle()
    service.close()
    assert report.ok, report.errors
    assert report.fetched == 1 and report.sent >= 1
    assert oauth_smtp.handler.authenticated and set(oauth_smtp.handler.authenticated) == {USER}
    assert provider.introspected  # Dovecot asked the provider about the token
    cache = tmp_path / "oauth2-imap.json"
    assert cache.stat().st_mode & 0o777 == 0o600
    tokens = [
        json.loads(cache.read_text())["access_token"],
        json.loads((tmp_path / "oauth2-smtp.json").read_text())["access_token"],
    ]
    encoded = [
        base64.b64encode(sasl(USER, t).encode()).decode()
        for t in tokens
        for sasl in (sasl_xoauth2, sasl_oauthbearer)
    ]
    secrets = [*tokens, *encoded, CLIENT_SECRET]
    assert not any(secret in caplog.text for secret in secrets)  # never logged, even at DEBUG
    # a second cycle reuses the cached token: no new grant
    grants = len(provider.grants)
    service = _service(path)
    assert service.run_cycle().ok
    service.close()
    assert len(provider.grants) == grants
    code, out = _check(path)
    assert code == 0, out
    assert "oauth2 smtp" in out


def test_an_expired_token_is_refreshed_mid_run_and_the_rotated_refresh_token_kept(
    tmp_path, provider, oauth_dovecot, oauth_smtp
):
    # delegated (refresh token): tokens living 3 s; after they expired on the server the
    # next cycle of the same service gets a new one with the rotated refresh token
    provider.lifetime = 3
    path = _refresh_token_config(tmp_path, oauth_dovecot, oauth_smtp, provider)
    first_refresh = (tmp_path / "refresh-token").read_text()
    _deliver(oauth_dovecot, provider, _mail(1))
    service = _service(path)
    try:
        assert service.run_cycle().ok
        first_token = json.loads((tmp_path / "oauth2-imap.json").read_text())["access_token"]
        time.sleep(3.2)
        assert not provider.valid(first_token)  # the server no longer takes it
        _deliver(oauth_dovecot, provider, _mail(2))
        report = service.run_cycle()
        assert report.ok, report.errors
        assert report.fetched == 1
    finally:
        service.close()
    assert provider.grants.count("refresh_token") == 2
    cached = json.loads((tmp_path / "oauth2-imap.json").read_text())
    assert cached["access_token"] != first_token
    # the provider rotated the refresh token: the one from the config is dead, the cache has the live one
    assert first_refresh not in provider.refresh and cached["refresh_token"] in provider.refresh


def test_a_revoked_token_gives_one_clear_line_and_nothing_is_fetched(
    tmp_path, provider, oauth_dovecot, oauth_smtp
):
    # consent revoked: the cached token is refused, the refresh fails with invalid_grant,
    # and the inbox error says so and what to do; config check fails the same way
    path = _refresh_token_config(tmp_path, oauth_dovecot, oauth_smtp, provider)
    service = _service(path)
    try:
        assert service.run_cycle().ok
        provider.revoke()
        report = service.run_cycle()
    finally:
        service.close()
    assert not report.ok
    (error,) = [e for e in report.errors if "general" in e]
    assert "invalid_grant" in error and "revoked" in error and "intake oauth login" in error
    assert "rt-" not in error and "at-" not in error
    code, out = _check(path)
    assert code == 1
    assert any(
        line.startswith("FAIL imap general") and "intake oauth login" in line for line in out.splitlines()
    )


def test_oauth_login_device_code_flow_stores_a_refresh_token(tmp_path, provider, oauth_dovecot, oauth_smtp):
    # `intake oauth login INBOX`: the person is shown the code; the refresh token lands in the
    # 0600 cache (never printed), and the inbox then logs in with it
    path = _config(tmp_path, oauth_dovecot, oauth_smtp, provider, flow="refresh_token")
    code, out = _check(path)
    assert code == 1 and "no refresh token yet" in out
    result = CliRunner().invoke(main, ["--config", str(path), "oauth", "login", "general"])
    assert result.exit_code == 0, result.output
    assert "ABCD-EFGH" in result.output and "signed in" in result.output
    cache = tmp_path / "oauth2-imap.json"
    assert cache.stat().st_mode & 0o777 == 0o600
    refresh = json.loads(cache.read_text())["refresh_token"]
    assert refresh in provider.refresh and refresh not in result.output
    code, out = _check(path)
    assert code == 0, out


def test_config_check_names_an_empty_client_secret_file(tmp_path, provider, oauth_dovecot, oauth_smtp):
    # an empty client secret file is named as such, before the token endpoint refuses it
    path = _config(tmp_path, oauth_dovecot, oauth_smtp, provider)
    (tmp_path / "client-secret").write_text("")
    code, out = _check(path)
    assert code == 1
    assert "FAIL secret: oauth2 imap client secret: file" in out and "is empty" in out
    assert any(line.startswith("FAIL imap general") and "invalid_client" in line for line in out.splitlines())


def test_sasl_initial_responses():
    # the two SASL formats, byte for byte (RFC 7628 for OAUTHBEARER; Google's XOAUTH2)
    assert sasl_xoauth2("a@b.org", "T0K") == "user=a@b.org\x01auth=Bearer T0K\x01\x01"
    assert sasl_oauthbearer("a,=b@c.org", "T0K") == "n,a=a=2C=3Db@c.org,\x01auth=Bearer T0K\x01\x01"


@pytest.mark.parametrize(
    "change, key",
    [
        ('token_url = "http://login.example.org/token"', "oauth2.imap.token_url"),
        ('provider = "yahoo"', "oauth2.imap.provider"),
    ],
)
def test_oauth2_config_errors_name_the_key(tmp_path, provider, change, key):
    # a token endpoint over plain http (off this machine) or an unknown provider: refused by key
    class Port:
        port = 1

    path = _config(tmp_path, Port, Port, provider)
    text = path.read_text()
    field = change.split(" = ")[0]
    lines = [line for line in text.splitlines() if not line.startswith(f"{field} = ")]
    index = lines.index("[oauth2.imap]")
    lines.insert(index + 1, change)
    path.write_text("\n".join(lines))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.key == key


def test_microsoft_defaults_fill_in_the_tenant_endpoints(tmp_path):
    # provider = "microsoft": token and device endpoints of the tenant, Exchange scopes
    (tmp_path / "s").write_text("x")
    path = tmp_path / "intake.toml"
    path.write_text("""
[oauth2.m365]
provider = "microsoft"
flow = "client_credentials"
tenant = "contoso.onmicrosoft.com"
client_id = "abc"
client_secret_file = "s"
[[inbox]]
name = "g"
host = "outlook.office365.com"
username = "p@contoso.org"
oauth2 = "m365"
[smtp]
host = "smtp.office365.com"
username = "p@contoso.org"
oauth2 = "m365"
from_address = "p@contoso.org"
staff_address = "s@contoso.org"
""")
    client = load_config(path).inbox("g").oauth2
    assert client.token_url == "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
    assert client.scopes == ("https://outlook.office365.com/.default",)
    assert client.cache_file == tmp_path / "oauth2-m365.json"


def test_a_token_the_server_stops_taking_early_is_replaced_at_once(
    tmp_path, provider, oauth_dovecot, oauth_smtp
):
    # the provider invalidates access tokens before their announced expiry (a password change,
    # a policy): the refused cached token is dropped and a fresh one logs in, IMAP and SMTP
    path = _refresh_token_config(tmp_path, oauth_dovecot, oauth_smtp, provider)
    service = _service(path)
    try:
        assert service.run_cycle().ok
        with provider.lock:
            provider.access.clear()  # every access token dead; refresh tokens still good
        _deliver(oauth_dovecot, provider, _mail(3))
        report = service.run_cycle()
    finally:
        service.close()
    assert report.ok, report.errors
    assert report.fetched == 1 and report.sent >= 1
    assert provider.grants.count("refresh_token") == 2
