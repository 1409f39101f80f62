"""The public form at /interest (issue 22): no login, no JavaScript needed, in every
language intake answers mail in. The confirmation page behind the mailed link acts only
on a POST from its own button: mail scanners that open the link change nothing.

The pages may be framed by the sites in `[form] embed_origins` (intake/form_embed.py).
Their CSRF token is a signed hidden field, not the session's (a cross-site frame gets no
cookie): these pages set no cookie at all. The work is in intake/form.py and
intake/form_token.py; this module only reads the request and picks the page.
"""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, abort, current_app, render_template, request

from intake import form, form_embed, form_token, queries_form
from intake import queries_register as q_register
from intake.form import FormError
from intake.form_token import TokenError
from intake.templating import LANGUAGE_ALIASES
from intake.web import env_for, ext, store_of

log = logging.getLogger("intake.form")
bp = Blueprint("form", __name__)
PUBLIC = {"form.interest", "form.confirm_page"}  # no login: see intake/web/access.py
OWN_CSRF = PUBLIC  # these check their own signed token (no session): intake/web/__init__.py skips them
REFUSED = "missing or wrong form token; reload the page and try again"


def _language() -> str:
    """The language asked for (?lang= or the form's hidden field), else the browser's."""
    offered = form.languages()
    asked = (request.values.get("lang") or "").strip().lower()
    asked = LANGUAGE_ALIASES.get(asked, asked)
    if asked in offered:
        return asked
    best = request.accept_languages.best_match([*offered, *LANGUAGE_ALIASES]) or "en"
    return LANGUAGE_ALIASES.get(best, best)


def _open_groups(language: str) -> list[dict[str, str]]:
    rows = q_register.open_groups(store_of())
    return [{"id": r["id"], "name": json.loads(r["names"] or "{}").get(language, r["name"])} for r in rows]


def _page(name: str, language: str, status: int = 200, **variables):  # noqa: ANN003, ANN202
    config = ext()["config"]
    return render_template(
        name,
        lang=language,
        s=form.strings(language),
        days=config.form.expire_days,
        languages=[(code, form.strings(code)["language_name"]) for code in form.languages()],
        privacy_url=config.privacy.notice_url,
        **variables,
    ), status


@bp.after_request
def frame_policy(response: Response) -> Response:
    """The form's pages may be framed by the configured sites (the app adds no
    X-Frame-Options where a page's policy names who may frame it)."""
    response.headers["Content-Security-Policy"] = form_embed.frame_policy(ext()["config"].form.embed_origins)
    return response


def _key() -> str:
    return str(current_app.secret_key)


def _check_post(purpose: str) -> form_token.Token:
    """The POST comes from intake's page or a configured site, with a genuine token for this
    page (400 if not); TokenError("expired") is left to the view: the page is shown again."""
    config = ext()["config"]
    host = request.host.lower()  # either scheme: a TLS proxy may not say it was https
    allowed = {f"http://{host}", f"https://{host}", *config.form.embed_origins}
    if config.web.base_url:
        allowed.add(form_embed.origin_of(config.web.base_url))
    origin, referer = request.headers.get("Origin"), request.headers.get("Referer")
    if not form_embed.post_allowed(origin, referer, allowed):
        where = origin or form_embed.origin_of(referer or "")  # an origin, never a full address
        log.warning("form POST refused: from %s, not intake or [form] embed_origins", where)
        abort(403, "this form may be sent only from its own page")
    try:
        return form_token.check(_key(), request.form.get("form_token"), purpose)
    except TokenError as exc:
        if exc.kind == "expired":
            raise
        abort(400, REFUSED)


@bp.route("/interest", methods=["GET", "POST"])
def interest():  # noqa: ANN201
    language = _language()
    groups = _open_groups(language)
    env = env_for("form")
    if request.method == "GET":
        return _page(
            "form.html",
            language,
            groups=groups,
            values={},
            chosen=[],
            errors={},
            form_token=form_token.issue(_key(), form_token.SUBMIT),
        )
    values = {k: request.form.get(k, "") for k in (*form.LIMITS, "intent", "consent", "website")}
    values["groups"] = request.form.getlist("groups")
    try:
        token = _check_post(form_token.SUBMIT)
    except TokenError:  # open for more than a day: nothing kept; shown again to send anew
        return _page(
            "form.html",
            language,
            400,
            groups=groups,
            values=values,
            chosen=values["groups"],
            errors={"form": "error_stale"},
            form_token=form_token.issue(_key(), form_token.SUBMIT),
        )
    config = ext()["config"]
    base = config.web.base_url or request.url_root.rstrip("/")
    outcome = form.submit(
        env,
        values,
        token=token,
        ip=request.remote_addr or "unknown",
        language=language,
        confirm_base=f"{base}/interest/confirm",
        open_groups={g["id"] for g in groups},
    )
    if outcome.status == "invalid":
        return _page(
            "form.html",
            language,
            422,
            groups=groups,
            values=values,
            chosen=values["groups"],
            errors=outcome.errors,
            form_token=form_token.issue(_key(), form_token.SUBMIT, shown_at=token.shown_at),
        )
    return _page("form_sent.html", language)  # the same page for a person, a replay and a dropped bot


@bp.route("/interest/confirm/<token>", methods=["GET", "POST"])
def confirm_page(token: str):  # noqa: ANN201
    store = store_of()
    link_hash = form.secret_hash(token)
    language = queries_form.language_of_link(store, link_hash) or _language()
    purpose = form_token.confirm_purpose(link_hash)
    fresh = form_token.issue(_key(), purpose)
    try:
        if request.method == "POST":
            try:
                _check_post(purpose)
            except TokenError:  # the page was open for more than a day: press again
                form.pending(store, token)
                return _page("form_confirm.html", language, 400, done=False, error=None, form_token=fresh)
            form.confirm(env_for("form"), token)
            return _page("form_confirm.html", language, done=True, error=None, form_token="")
        form.pending(store, token)
    except FormError as exc:
        return _page("form_confirm.html", language, 410, done=False, error=str(exc), form_token="")
    return _page("form_confirm.html", language, done=False, error=None, form_token=fresh)
