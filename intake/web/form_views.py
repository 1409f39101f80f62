"""The public form at /interest (issue 22): no login, no JavaScript needed, in every
language intake answers mail in. The confirmation page behind the mailed link acts only
on a POST from its own button: mail scanners that open the link change nothing.

The work is in intake/form.py; this module only reads the request and picks the page.
"""

from __future__ import annotations

import json

from flask import Blueprint, render_template, request

from intake import form
from intake.form import FormError
from intake.templating import LANGUAGE_ALIASES
from intake.web import env_for, ext, store_of

bp = Blueprint("form", __name__)
PUBLIC = {"form.interest", "form.confirm_page"}  # no login: see intake/web/access.py


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
    rows = store_of().query(
        "SELECT id, name, names FROM register_groups WHERE status='open' AND merged_into IS NULL ORDER BY id"
    )
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
            started=form.started_token(env),
        )
    values = {k: request.form.get(k, "") for k in (*form.LIMITS, "intent", "consent", "website", "started")}
    values["groups"] = request.form.getlist("groups")
    config = ext()["config"]
    base = config.web.base_url or request.url_root.rstrip("/")
    outcome = form.submit(
        env,
        values,
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
            started=form.started_token(env),
        )
    return _page("form_sent.html", language)  # the same page for a person and a dropped bot


@bp.route("/interest/confirm/<token>", methods=["GET", "POST"])
def confirm_page(token: str):  # noqa: ANN201
    store = store_of()
    row = store.one("SELECT language FROM form_submissions WHERE token_hash=?", (form.secret_hash(token),))
    language = row["language"] if row else _language()
    try:
        if request.method == "POST":
            form.confirm(env_for("form"), token)
            return _page("form_confirm.html", language, done=True, error=None)
        form.pending(store, token)
    except FormError as exc:
        return _page("form_confirm.html", language, 410, done=False, error=str(exc))
    return _page("form_confirm.html", language, done=False, error=None)
