"""Account administration in the desk: admins add, disable, reset and set roles
(intake/staff_admin.py). Only admins reach these views (the ADMIN rule in web/access.py,
checked before every view); every form is a POST with the CSRF token."""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from intake import accounts, queries_staff, staff_admin
from intake.accounts import ROLES, AccountError
from intake.web import env_for, ext, store_of

bp = Blueprint("admin", __name__, url_prefix="/admin")
own = Blueprint("own", __name__)  # every account's own page: its password


def _groups() -> list[tuple[str, str]]:
    """(id, name) of the groups a facilitator can be given."""
    return [(group.id, group.name) for group in env_for(g.account.name).rules.groups]


@bp.route("/accounts")
def accounts_page() -> str:
    return render_template(
        "admin_accounts.html",
        rows=queries_staff.staff_rows(store_of()),
        roles=ROLES,
        groups=_groups(),
        form={"name": "", "role": "staff", "group": ""},
    )


@bp.route("/accounts", methods=["POST"])
def add_account() -> str | tuple[str, int]:
    form = {k: request.form.get(k, "").strip() for k in ("name", "role", "group")}
    env = env_for(g.account.name)
    try:
        account, password = staff_admin.add_account(
            store_of(), env.rules, g.account, form["name"], form["role"], form["group"] or None
        )
    except AccountError as exc:
        return (
            render_template(
                "admin_accounts.html",
                rows=queries_staff.staff_rows(store_of()),
                roles=ROLES,
                groups=_groups(),
                form=form,
                error=str(exc),
            ),
            400,
        )
    return _password_page(account.id, password, added=True)


def _row_or_404(account_id: int) -> queries_staff.StaffRow:
    row = queries_staff.staff_row(store_of(), account_id) if 0 < account_id < 2**63 else None
    if row is None:
        abort(404)
    return row


@bp.route("/accounts/<int:account_id>")
def account_page(account_id: int) -> str:
    row = _row_or_404(account_id)
    return render_template(
        "admin_account.html",
        row=row,
        roles=ROLES,
        groups=_groups(),
        history=queries_staff.account_events(store_of(), row.name),
        is_self=row.id == g.account.id,
    )


def _back(account_id: int) -> Response:
    return redirect(url_for("admin.account_page", account_id=account_id))


@bp.route("/accounts/<int:account_id>/role", methods=["POST"])
def set_role(account_id: int) -> Response:
    row = _row_or_404(account_id)
    role = request.form.get("role", "")
    group = request.form.get("group", "").strip() or None
    try:
        staff_admin.set_role(store_of(), env_for(g.account.name).rules, g.account, account_id, role, group)
        flash(f"{row.name} is now {role}" + (f" of {group}" if role == "facilitator" else ""), "ok")
    except AccountError as exc:
        flash(str(exc), "error")
    return _back(account_id)


@bp.route("/accounts/<int:account_id>/disable", methods=["POST"])
def set_disabled(account_id: int) -> Response:
    row = _row_or_404(account_id)
    disabled = request.form.get("disabled") == "yes"
    try:
        staff_admin.set_disabled(store_of(), g.account, account_id, disabled)
        flash(
            f"{row.name} is disabled: logged out, and cannot log in"
            if disabled
            else f"{row.name} is enabled again",
            "ok",
        )
    except AccountError as exc:
        flash(str(exc), "error")
    return _back(account_id)


@bp.route("/accounts/<int:account_id>/password", methods=["POST"])
def reset_password(account_id: int) -> str:
    _row_or_404(account_id)
    password = staff_admin.reset_password(store_of(), g.account, account_id)
    return _password_page(account_id, password, added=False)


def _password_page(account_id: int, password: str, *, added: bool) -> str:
    """The temporary password, shown once in this response (never in a redirect, a flash
    message or the cookie), to be passed on by phone or chat."""
    return render_template("admin_password.html", row=_row_or_404(account_id), password=password, added=added)


@own.route("/account/password", methods=["GET", "POST"])
def password_page() -> str | tuple[str, int] | Response:
    """Change one's own password (a temporary one from an admin, or any other). Wrong current
    passwords count as failed logins: this page is no way around the login throttle."""
    if request.method == "GET":
        return render_template("account_password.html", error=None)
    throttle, address = ext()["throttle"], request.remote_addr or "?"
    if throttle.blocked(g.account.name, address):
        return render_template(
            "account_password.html", error="Too many failed attempts. Wait 15 minutes."
        ), 429
    try:
        staff_admin.change_own_password(
            store_of(),
            g.account,
            request.form.get("current", ""),
            request.form.get("new", ""),
            request.form.get("repeated", ""),
        )
    except AccountError as exc:
        if "current password" in str(exc):
            throttle.failed(g.account.name, address)
        return render_template("account_password.html", error=str(exc)), 400
    session.clear()  # every session ended with the old password; this one starts afresh
    session.permanent = True
    session["sid"] = accounts.start_session(store_of(), g.account, ext()["config"].web.session_hours)
    session["csrf"] = secrets.token_urlsafe(32)
    flash("Password changed; your other sessions have ended", "ok")
    return redirect(url_for("desk.queue"))
