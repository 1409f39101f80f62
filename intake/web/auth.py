"""Log in and out."""

from __future__ import annotations

import secrets

from flask import Blueprint, g, redirect, render_template, request, session, url_for

from intake import accounts
from intake.web import ext, safe_next, store_of

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():  # noqa: ANN201
    error = None
    next_url = request.values.get("next", "")
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        password = request.form.get("password", "")
        address = request.remote_addr or "?"
        throttle = ext()["throttle"]
        if throttle.blocked(name, address):
            error = "Too many failed attempts. Wait 15 minutes and try again."
            return render_template("login.html", error=error, next_url=next_url), 429
        account = accounts.authenticate(store_of(), name, password)
        if account is None:
            throttle.failed(name, address)
            error = "Wrong name or password."
            return render_template("login.html", error=error, next_url=next_url), 401
        throttle.succeeded(name, address)
        session.clear()  # a new session id and CSRF token: nothing carried over from before
        session.permanent = True
        session["sid"] = accounts.start_session(store_of(), account, ext()["config"].web.session_hours)
        session["csrf"] = secrets.token_urlsafe(32)
        return redirect(safe_next(next_url))
    if g.get("account") is not None:
        return redirect(safe_next(next_url))
    return render_template("login.html", error=error, next_url=next_url)


@bp.route("/logout", methods=["POST"])
def logout():  # noqa: ANN201
    accounts.end_session(store_of(), session.get("sid"))
    session.clear()
    return redirect(url_for("auth.login"))
