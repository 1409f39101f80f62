"""Web sessions (Flask's test client): kept on the server, ended by logout and by a new
password; CSRF on the login form; the signing key outside the database."""

from __future__ import annotations

import hashlib
import os
import stat

import pytest
from flask.sessions import SecureCookieSessionInterface

from intake import accounts
from intake.config import ConfigError
from intake.web import create_app, secret_file
from tests.webfixtures import PASSWORD, csrf_of, login, populated


@pytest.fixture
def desk(tmp_path, smtp):
    config, service = populated(tmp_path, smtp.port)
    app = create_app(config)
    app.config["TESTING"] = True
    yield app, service, config
    service.close()


def session_cookie(client) -> str:  # noqa: ANN001
    return client.get_cookie("intake_session").value


def test_logout_ends_the_session_on_the_server(desk):
    # The cookie from before logout no longer opens any page (it did for 12 hours).
    app, service, _ = desk
    client = app.test_client()
    login(client)
    stolen = session_cookie(client)
    token = csrf_of(client.get("/queue").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    replay = app.test_client()
    replay.set_cookie("intake_session", stolen)
    assert replay.get("/queue").status_code == 302
    assert service.store.one("SELECT COUNT(*) FROM web_sessions")[0] == 0


def test_password_change_ends_every_session(desk):
    # `intake staff passwd` ends the account's sessions, also ones copied elsewhere.
    app, service, _ = desk
    first, second = app.test_client(), app.test_client()
    login(first)
    login(second)
    accounts.set_password(service.store, "anna", "another long passphrase")
    assert first.get("/queue").status_code == 302
    assert second.get("/queue").status_code == 302


def test_login_form_needs_its_csrf_token(desk):
    # A cross-site form posting a login (login CSRF) is refused: no token, no session.
    app, _, _ = desk
    client = app.test_client()
    response = client.post("/login", data={"name": "anna", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/queue").status_code == 302
    assert login(client).status_code == 302 and client.get("/queue").status_code == 200


def test_database_read_access_cannot_forge_a_session(desk):
    # Everything the database holds (settings, hashes, session table) does not sign a cookie
    # that opens the desk: the key is in a 0600 file, the table keeps only id hashes.
    app, service, config = desk
    path = secret_file(config)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    leaked = [str(v) for row in service.store.query("SELECT * FROM settings") for v in row]
    leaked += [r[0] for r in service.store.query("SELECT password_hash FROM staff")]
    login(app.test_client())
    hashes = [r[0] for r in service.store.query("SELECT id_hash FROM web_sessions")]
    assert path.read_text().strip() not in leaked
    anna = service.store.one("SELECT id, password_hash FROM staff WHERE name='anna'")
    credential = hashlib.sha256(anna["password_hash"].encode()).hexdigest()[:16]  # what it was
    for key in leaked + hashes:
        forger = app.test_client()
        signer = SecureCookieSessionInterface().get_signing_serializer(_with_key(app, key))
        for sid in hashes + [key]:
            forger.set_cookie(
                "intake_session",
                signer.dumps({"sid": sid, "account_id": anna["id"], "credential": credential, "csrf": "x"}),
            )
            assert forger.get("/queue").status_code == 302


def _with_key(app, key: str):  # noqa: ANN001, ANN202
    """A stand-in app object carrying another secret key, for Flask's cookie signer."""

    class Keyed:
        secret_key = key
        config = app.config

    return Keyed()


def test_secret_file_is_made_once_and_checked(tmp_path, smtp):
    # First start makes a 0600 key file; a world-readable one is refused with a clear error.
    config, service = populated(tmp_path, smtp.port)
    try:
        create_app(config)
        path = secret_file(config)
        key = path.read_text()
        create_app(config)
        assert path.read_text() == key
        os.chmod(path, 0o644)
        with pytest.raises(ConfigError, match="chmod 600"):
            create_app(config)
    finally:
        service.close()
