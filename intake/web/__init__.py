"""The staff triage desk: a small Flask app over the same operations as the CLI.

Security model: every route but /login and /static needs a session; every POST
carries a per-session CSRF token; facilitators see only their own group's
requests (others answer 404); mail content is shown as escaped text, never as
HTML; attachments are always downloads. Logins are throttled per name and
address, and passwords are scrypt hashes (intake/accounts.py).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import urlsplit

import jinja2
from flask import Flask, abort, g, redirect, request, session, url_for

from intake import accounts
from intake.config import PROJECT_ROOT, Config
from intake.context import Env
from intake.rulebook import load_rules
from intake.store import Store
from intake.templating import Templates

PUBLIC_ENDPOINTS = {"auth.login", "static"}


def create_app(config: Config, *, store: Store | None = None) -> Flask:
    app = Flask(__name__, static_folder=str(PROJECT_ROOT / "templates" / "web" / "static"),
                template_folder=str(PROJECT_ROOT / "templates" / "web"))
    app.jinja_env.undefined = jinja2.StrictUndefined
    setup_store = store or Store(config.database)
    setup_store.migrate()
    from intake import register
    register.sync_rules(setup_store, load_rules(config.rules_dir))  # the register's seed
    secret = _secret_key(config, setup_store)
    if store is None:
        setup_store.close()
    app.config.update(
        SECRET_KEY=secret,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.web.secure_cookies,
        SESSION_COOKIE_NAME="intake_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=config.web.session_hours),
        MAX_CONTENT_LENGTH=5 * 1024 * 1024,
    )
    app.extensions["intake"] = {
        "config": config, "rules": load_rules(config.rules_dir),
        "templates": Templates(config.templates_dir), "throttle": accounts.LoginThrottle(),
    }
    if config.web.behind_proxy:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore

    from intake.web import auth, desk, register_views, roster_views
    app.register_blueprint(auth.bp)
    app.register_blueprint(register_views.bp)
    app.register_blueprint(desk.bp)
    app.register_blueprint(roster_views.bp)

    @app.before_request
    def guard():  # noqa: ANN202
        g.account = None
        account_id = session.get("account_id")
        if account_id is not None:
            g.account = accounts.load(store_of(), account_id, session.get("credential", ""))
        if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint in register_views.PUBLIC:
            return None
        if g.account is None:
            session.clear()
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if request.method == "POST":
            token = request.form.get("csrf_token", "")
            if not token or not secrets.compare_digest(token, session.get("csrf", "")):
                abort(400, "missing or wrong CSRF token; reload the page and try again")
        return None

    @app.teardown_request
    def close_store(_exc):  # noqa: ANN001, ANN202
        opened = g.pop("store", None)
        if opened is not None:
            opened.close()

    @app.after_request
    def headers(response):  # noqa: ANN001, ANN202
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
            " frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.context_processor
    def common():  # noqa: ANN202
        if "csrf" not in session and g.get("account") is not None:
            session["csrf"] = secrets.token_urlsafe(32)
        return {"account": g.get("account"), "csrf_token": session.get("csrf", "")}

    return app


def _secret_key(config: Config, store: Store) -> str:
    configured = config.web.secret_key.resolve()
    if configured:
        return configured
    row = store.one("SELECT value FROM settings WHERE key='web_secret'")
    if row:
        return row[0]
    value = secrets.token_urlsafe(48)
    with store.transaction():
        store.conn.execute("INSERT OR IGNORE INTO settings (key, value) VALUES ('web_secret', ?)",
                           (value,))
    return store.one("SELECT value FROM settings WHERE key='web_secret'")[0]


def ext() -> dict:
    from flask import current_app
    return current_app.extensions["intake"]


def store_of() -> Store:
    """One SQLite connection per web request (WAL lets the service write meanwhile)."""
    if "store" not in g:
        g.store = Store(ext()["config"].database)
    return g.store


def env_for(actor: str) -> Env:
    """An Env for an action; its rulebook includes the groups the register opened or closed."""
    from intake import register
    e = ext()
    return Env(config=e["config"], rules=register.effective_rules(e["rules"], store_of()),
               store=store_of(), templates=e["templates"], actor=actor)


def safe_next(target: str | None) -> str:
    """Only same-site paths: never an open redirect after login."""
    if not target:
        return url_for("desk.queue")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return url_for("desk.queue")
    return target


def serve(config: Config, host: str, port: int) -> None:
    from waitress import serve as waitress_serve
    app = create_app(config)
    waitress_serve(app, host=host, port=port, threads=4, ident="intake")


def serve_demo(config: Config, store: Store, seconds: float | None = None) -> int:
    """Used by `run_service.py --demo`: the UI on the demo data, with a demo login;
    until Ctrl-C, or for `seconds` when given."""
    import os

    if not store.one("SELECT 1 FROM staff WHERE name='demo'"):
        accounts.add(store, "demo", "staff", None, "demo-password")
        accounts.add(store, "lcc-facilitator", "facilitator", "lcc", "demo-password")
    from werkzeug.serving import make_server

    from intake.smtp_sink import free_port
    port = int(os.environ.get("INTAKE_DEMO_WEB_PORT", free_port()))
    server = make_server("127.0.0.1", port, create_app(config), threaded=True)
    until = "Ctrl-C to stop" if seconds is None else (
        f"serving for {seconds:.0f} s; run the demo in a terminal, or add --web, to keep it open")
    print(f"\nstaff triage desk: http://127.0.0.1:{port}/  (log in as demo / demo-password,"
          f" or lcc-facilitator / demo-password); {until}", flush=True)
    if seconds is not None:
        import threading
        timer = threading.Timer(seconds, server.shutdown)
        timer.daemon = True
        timer.start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
