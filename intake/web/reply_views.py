"""Answering the requester from the desk: the reply form, its preview, and sending.

The form works without JavaScript: choosing another language or canned answer is a GET
that loads the form again with that text. Preview and send are POSTs carrying the
form's idempotency key (intake/desk_reply.py): a second submission sends nothing.
Who may answer is checked here on the server (access.may_reply), after the desk's
request rule (web/access.py) has checked who may see the request.
"""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from intake import canned, desk_reply, queries, queries_conversation
from intake.web import access, env_for, ext, store_of

bp = Blueprint("reply", __name__)


def _allowed(request_id: int) -> dict:
    """The request's detail, after checking that this account may answer it."""
    if not access.may_reply(store_of(), g.account, request_id):
        abort(403, "a facilitator answers only requests of their own group")
    detail = queries.request_detail(store_of(), request_id, bounded=True)
    if detail is None:
        abort(404)
    return detail


def _posted(request_id: int) -> desk_reply.Draft:
    """The draft as the form (or the preview's hidden fields) sent it."""
    form = request.form
    try:
        after = int(form.get("after", "0") or 0)
    except ValueError:
        after = 0
    templates_dir = ext()["config"].templates_dir
    language = canned.language_of(templates_dir, form.get("language"))
    name = form.get("canned", "")
    return desk_reply.Draft(
        request_id=request_id,
        language=language,
        canned=name if name in canned.load(templates_dir, language).answers else "",
        subject=form.get("subject", "")[:1000],
        body=form.get("body", "")[: desk_reply.MAX_BODY + 1],
        key=form.get("key", "")[:80],
        after=after,
        close=form.get("close") == "yes",
    )


def _choices(language: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(languages, canned answers) for the form's menus: codes with names, and answers with
    their title in the chosen language and, where it differs, in English."""
    templates_dir = ext()["config"].templates_dir
    languages = [
        (code, canned.load(templates_dir, code).language_name) for code in canned.languages(templates_dir)
    ]
    english = canned.load(templates_dir, "en").answers
    answers = []
    for name, answer in canned.load(templates_dir, language).answers.items():
        title = english[name].title if name in english else name
        answers.append((name, answer.title if answer.title == title else f"{answer.title} ({title})"))
    return languages, answers


@bp.route("/requests/<int:request_id>/reply", methods=["GET", "POST"])
def form(request_id: int) -> str:
    detail = _allowed(request_id)
    if request.method == "POST":  # "Edit" on the preview: the text as it was
        draft = _posted(request_id)
    else:
        try:
            draft = desk_reply.start(
                env_for(g.account.name),
                request_id,
                language=request.args.get("language") or None,
                canned_name=request.args.get("canned") or None,
                staff_name=g.account.name,
            )
        except (desk_reply.ReplyError, canned.CannedError) as exc:
            abort(500, str(exc))
    languages, answers = _choices(draft.language)
    return render_template("reply.html", r=detail, draft=draft, languages=languages, answers=answers)


@bp.route("/requests/<int:request_id>/reply/preview", methods=["POST"])
def preview(request_id: int) -> str:
    detail = _allowed(request_id)
    draft = _posted(request_id)
    shown = desk_reply.preview(env_for(g.account.name), draft)
    return render_template("reply_preview.html", r=detail, draft=draft, shown=shown)


@bp.route("/requests/<int:request_id>/reply/send", methods=["POST"])
def send(request_id: int) -> WerkzeugResponse | tuple[str, int]:
    detail = _allowed(request_id)
    draft = _posted(request_id)
    back = redirect(url_for("desk.request_page", request_id=request_id, _anchor="conversation"))
    try:
        sent = desk_reply.send(env_for(g.account.name), draft)
    except desk_reply.AlreadySent as exc:
        flash(f"Nothing sent again: {exc}", "ok")
        return back
    except desk_reply.ReplyError as exc:
        # the text stays; after a reply someone else queued, the form counts from it, so
        # that sending is a decision taken with that reply in view
        draft = replace(draft, after=queries_conversation.last_reply_id(store_of(), request_id))
        flash(f"Not sent: {exc}", "error")
        languages, answers = _choices(draft.language)
        page = render_template("reply.html", r=detail, draft=draft, languages=languages, answers=answers)
        return page, 409
    flash(
        f"Reply queued (outgoing mail #{sent.outbox_id}); the service sends it shortly, and its"
        " status shows in the conversation" + ("; the request is closed" if sent.closed else ""),
        "ok",
    )
    return back
