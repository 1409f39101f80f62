"""The staff triage desk: a small Flask app over the same operations as the CLI.

Security model (docs/security.md): who may call which route is one table,
intake/web/access.py, checked before every view; every route but /login and
/static needs a session, kept on the server (logout and a new password end it);
every POST, the login form's too, carries a per-session CSRF token; facilitators
see and decide only their own group's requests (others answer 404); mail content
is shown as escaped text, cut to a bounded length, never as HTML; attachments are
always downloads. Logins are throttled per name and address and per address, and
passwords are scrypt hashes (intake/accounts.py).
"""

from __future__ import annotations

import logging
import os
import secrets
import sqlite3
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
from flask import Flask, Response, abort, g, redirect, request, session, url_for

from intake import accounts, queries_staff
from intake.config import Config, ConfigError
from intake.context import Env
from intake.paths import default_dir
from intake.rulebook import load_rules
from intake.store import DatabaseUnusable, Store, is_damage, unusable
from intake.templating import Templates
from intake.web import timefmt

log = logging.getLogger("intake.web")


def create_app(config: Config, *, store: Store | None = None) -> Flask:
    app = Flask(
        __name__,
        static_folder=str(default_dir("templates") / "web" / "static"),
        template_folder=str(default_dir("templates") / "web"),
    )
    app.jinja_env.undefined = jinja2.StrictUndefined
    timefmt.install(app.jinja_env, config.web.timezone)  # `localtime`: stamps in web.timezone
    setup_store = store or Store(config.database)
    setup_store.migrate()
    from intake import register

    register.sync_rules(setup_store, load_rules(config.rules_dir))  # the register's seed
    if store is None:
        setup_store.close()
    secret = _secret_key(config)
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
        "config": config,
        "rules": load_rules(config.rules_dir),
        "templates": Templates(config.templates_dir),
        "throttle": accounts.LoginThrottle(),
    }
    if config.web.behind_proxy:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore

    from intake.web import (
        access,
        admin_views,
        auth,
        desk,
        form_views,
        monitoring,
        privacy_views,
        register_views,
        reply_views,
        roster_views,
    )

    app.register_blueprint(auth.bp)
    app.register_blueprint(register_views.bp)
    app.register_blueprint(desk.bp)
    app.register_blueprint(roster_views.bp)
    app.register_blueprint(privacy_views.bp)
    app.register_blueprint(monitoring.bp)
    app.register_blueprint(form_views.bp)
    app.register_blueprint(reply_views.bp)
    app.register_blueprint(admin_views.bp)
    app.register_blueprint(admin_views.own)

    @app.before_request
    def guard():  # noqa: ANN202
        if request.endpoint in monitoring.PUBLIC:
            return None  # probes: no session, and no database opened (or created) for one
        g.account = accounts.session_account(store_of(), session.get("sid"))
        rule = access.rule_of(request.endpoint)
        # every form, the login form too (login CSRF); the public form's pages check their own
        # signed token, as a cross-site frame sends them no cookie (intake/form_token.py)
        if request.method == "POST" and request.endpoint not in form_views.OWN_CSRF:
            token = request.form.get("csrf_token", "")
            if not token or not secrets.compare_digest(token, session.get("csrf", "")):
                abort(400, "missing or wrong CSRF token; reload the page and try again")
        if rule == access.PUBLIC or request.routing_exception is not None:
            return None
        if g.account is None:
            session.clear()
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if rule is None:
            abort(403)  # an endpoint without a rule in intake/web/access.py is refused
        if rule == access.STAFF and g.account.is_facilitator:
            abort(404)
        if rule == access.ADMIN and not g.account.is_admin:
            abort(404)
        if rule == access.GROUP and not access.may_see_group(
            g.account, str((request.view_args or {}).get("group_id", ""))
        ):
            abort(404)
        if rule == access.REQUEST and not access.may_see_request(
            store_of(), g.account, int((request.view_args or {}).get("request_id", 0))
        ):
            abort(404)
        return None

    @app.errorhandler(sqlite3.DatabaseError)
    @app.errorhandler(DatabaseUnusable)
    def database_error(exc: Exception):  # noqa: ANN202
        """A damaged database is one line (and 503), never a traceback page."""
        if (
            isinstance(exc, sqlite3.DatabaseError)
            and not isinstance(exc, sqlite3.OperationalError)
            and is_damage(exc)
        ):
            exc = unusable(ext()["config"].database, exc)
        log.error("%s", exc)
        return Response(f"intake: {exc}\n", status=503, mimetype="text/plain")

    @app.teardown_request
    def close_store(_exc):  # noqa: ANN001, ANN202
        opened = g.pop("store", None)
        if opened is not None:
            opened.close()

    @app.after_request
    def headers(response):  # noqa: ANN001, ANN202
        response.headers.setdefault(  # a view's own, stricter policy (attachments) stays
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
            " frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        policy = response.headers["Content-Security-Policy"]
        if "frame-ancestors" not in policy or "frame-ancestors 'none'" in policy:
            response.headers["X-Frame-Options"] = "DENY"  # only the form may be framed (form_embed.py)
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.context_processor
    def common():  # noqa: ANN202
        if "csrf" not in session and request.endpoint not in form_views.OWN_CSRF:  # a login form too
            session["csrf"] = secrets.token_urlsafe(32)
        return {"account": g.get("account"), "csrf_token": session.get("csrf", "")}

    return app


def _secret_key(config: Config) -> str:
    """The key that signs session cookies: from `[web] secret_key_env`/`secret_key_file`, else
    a random key in a 0600 file beside the database, made at first start. Never in the
    database: read access to it must not be enough to forge a session."""
    configured = config.web.secret_key.resolve()
    if configured:
        return configured
    path = secret_file(config)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            raise ConfigError(
                config.path,
                "web.secret_key_file",
                f"{path} can be read by other users; run `chmod 600 {path}`",
            ) from None
        value = path.read_text(encoding="utf-8").strip()
        if len(value) < 32:
            raise ConfigError(
                config.path, "web.secret_key_file", f"{path} holds no usable key; delete it to make a new one"
            ) from None
        return value
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(48) + "\n")
    return path.read_text(encoding="utf-8").strip()


def secret_file(config: Config) -> Path:
    """Where the generated cookie-signing key is kept when none is configured."""
    return config.database.with_name(config.database.name + ".web-secret")


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
    return Env(
        config=e["config"],
        rules=register.effective_rules(e["rules"], store_of()),
        store=store_of(),
        templates=e["templates"],
        actor=actor,
    )


def safe_next(target: str | None) -> str:
    """Only same-site paths: never an open redirect after login."""
    if not target:
        return url_for("desk.queue")
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
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

    if not queries_staff.name_taken(store, "demo"):
        accounts.add(store, "demo", "admin", None, "demo-password")  # an admin: the demo shows Accounts
        accounts.add(store, "lcc-facilitator", "facilitator", "lcc", "demo-password")
    from werkzeug.serving import make_server

    from intake.smtp_sink import free_port

    port = int(os.environ.get("INTAKE_DEMO_WEB_PORT", free_port()))
    server = make_server("127.0.0.1", port, create_app(config), threaded=True)
    until = (
        "Ctrl-C to stop"
        if seconds is None
        else (f"serving for {seconds:.0f} s; run the demo in a terminal, or add --web, to keep it open")
    )
    print(
        f"\nstaff triage desk: http://127.0.0.1:{port}/  (log in as demo / demo-password,"
        f" or lcc-facilitator / demo-password); {until}",
        flush=True,
    )
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
