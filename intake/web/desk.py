"""The queue and the request page, with their actions."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from intake import attachment_worker, pipeline, queries, triage
from intake.rulebook import INTENTS
from intake.web import access, env_for, ext, store_of

bp = Blueprint("desk", __name__)
PAGE_SIZE = 25


@bp.route("/")
def home():  # noqa: ANN201
    return redirect(url_for("desk.queue"))


@bp.route("/queue")
def queue():  # noqa: ANN201
    store = store_of()
    scope = request.args.get("scope", "triage")
    filters = {
        k: request.args.get(k, "") for k in ("reason", "group", "intent", "language", "member", "mine")
    }
    try:
        page = max(int(request.args.get("page", "1") or 1), 1)
    except ValueError:
        page = 1
    facilitator = g.account.group_id if g.account.is_facilitator else None
    found = queries.queue_page(
        store,
        scope=scope,
        filters=filters,
        page=page,
        page_size=PAGE_SIZE,
        facilitator_group=facilitator,
        account=g.account.name,
    )
    args = {k: v for k, v in {**filters, "scope": scope}.items() if v}
    return render_template(
        "queue.html",
        rows=found.rows,
        total=found.total,
        counts=list(found.counts.items()),
        filters=filters,
        scope=scope,
        page=found.page,
        pages=found.pages,
        query=lambda **kw: urlencode({**args, **kw}),
        groups=[gr.id for gr in ext()["rules"].groups],
        intents=INTENTS,
    )


def _detail_or_404(request_id: int) -> dict:
    """The request's detail; who may see it was checked before the view (web/access.py)."""
    detail = queries.request_detail(store_of(), request_id, bounded=True)
    if detail is None:
        abort(404)
    return detail


def _route_allowed(request_id: int, group: str):  # noqa: ANN202
    """None, or the redirect back with the reason: a facilitator decides within their group."""
    if access.may_route_to(g.account, group):
        return None
    flash(f"A facilitator can only decide within their own group ({g.account.group_id})", "error")
    return redirect(url_for("desk.request_page", request_id=request_id))


@bp.route("/requests/<int:request_id>")
def request_page(request_id: int):  # noqa: ANN201
    detail = _detail_or_404(request_id)
    staff = access.assignable(store_of(), request_id)
    organisations = (
        []
        if g.account.is_facilitator
        else [r[0] for r in store_of().query("SELECT organisation FROM members ORDER BY organisation")]
    )
    groups = [gr.id for gr in ext()["rules"].groups] + ["both", "none"]
    groups = [gr for gr in groups if access.may_route_to(g.account, gr)]
    return render_template(
        "request.html",
        r=detail,
        staff=staff,
        organisations=organisations,
        groups=groups,
        intents=INTENTS,
        explanation_json=json.dumps(detail["explanation"], indent=2, ensure_ascii=False),
    )


@bp.route("/requests/<int:request_id>/preview", methods=["POST"])
def preview(request_id: int):  # noqa: ANN201
    detail = _detail_or_404(request_id)
    group, intent = request.form.get("group", ""), request.form.get("intent", "")
    if (refused := _route_allowed(request_id, group)) is not None:
        return refused
    try:
        result = triage.resolve(
            env_for(g.account.name),
            request_id,
            group=group,
            intent=intent,
            note=request.form.get("note"),
            send=True,
            dry_run=True,
        )
    except triage.TriageError as exc:
        flash(str(exc), "error")
        return redirect(url_for("desk.request_page", request_id=request_id))
    return render_template(
        "preview.html", r=detail, result=result, group=group, intent=intent, note=request.form.get("note", "")
    )


@bp.route("/requests/<int:request_id>/resolve", methods=["POST"])
def resolve(request_id: int):  # noqa: ANN201
    _detail_or_404(request_id)
    if (refused := _route_allowed(request_id, request.form.get("group", ""))) is not None:
        return refused
    send = request.form.get("send") == "yes"
    try:
        result = triage.resolve(
            env_for(g.account.name),
            request_id,
            group=request.form.get("group", ""),
            intent=request.form.get("intent", ""),
            note=request.form.get("note") or None,
            send=send,
        )
    except triage.TriageError as exc:
        flash(str(exc), "error")
        return redirect(url_for("desk.request_page", request_id=request_id))
    flash(f"Decided: {len(result.queued)} mail(s) queued" if send else "Decided without sending mail", "ok")
    return redirect(url_for("desk.request_page", request_id=request_id))


def _simple_action(request_id: int, action, message: str):  # noqa: ANN001, ANN202
    _detail_or_404(request_id)
    try:
        action(env_for(g.account.name))
        flash(message, "ok")
    except triage.TriageError as exc:
        flash(str(exc), "error")
    return redirect(url_for("desk.request_page", request_id=request_id))


@bp.route("/requests/<int:request_id>/close", methods=["POST"])
def close(request_id: int):  # noqa: ANN201
    note = request.form.get("note") or None
    return _simple_action(request_id, lambda env: triage.close(env, request_id, note=note), "Closed")


@bp.route("/requests/<int:request_id>/reopen", methods=["POST"])
def reopen(request_id: int):  # noqa: ANN201
    return _simple_action(request_id, lambda env: triage.reopen(env, request_id), "Reopened")


@bp.route("/requests/<int:request_id>/assign", methods=["POST"])
def assign(request_id: int):  # noqa: ANN201
    person = request.form.get("person") or None
    if person is not None and person not in access.assignable(store_of(), request_id):
        flash("Assign to an account that can see this request", "error")
        return redirect(url_for("desk.request_page", request_id=request_id))
    return _simple_action(
        request_id,
        lambda env: triage.assign(env, request_id, person),
        f"Assigned to {person}" if person else "Unassigned",
    )


@bp.route("/requests/<int:request_id>/note", methods=["POST"])
def note(request_id: int):  # noqa: ANN201
    text = request.form.get("text", "")
    return _simple_action(request_id, lambda env: triage.add_note(env, request_id, text), "Note added")


@bp.route("/requests/<int:request_id>/link", methods=["POST"])
def link(request_id: int):  # noqa: ANN201
    org = request.form.get("organisation", "")
    add_domain = request.form.get("add_domain") == "yes"
    return _simple_action(
        request_id,
        lambda env: triage.link_sender(env, request_id, org, add_domain=add_domain),
        f"Sender linked to {org}",
    )


@bp.route("/requests/<int:request_id>/replay", methods=["POST"])
def replay(request_id: int):  # noqa: ANN201
    detail = _detail_or_404(request_id)
    shunted = [m for m in detail["messages"] if m["status"] == "shunted"]
    if not shunted:
        flash("Nothing to replay: no shunted message", "error")
        return redirect(url_for("desk.request_page", request_id=request_id))
    env = env_for(g.account.name)
    ctx = pipeline.replay(env, shunted[0]["id"])
    flash(
        "Replayed" if ctx is not None else "The message failed again; see the audit trail",
        "ok" if ctx is not None else "error",
    )
    return redirect(url_for("desk.request_page", request_id=request_id))


@bp.route("/requests/<int:request_id>/messages/<int:message_pk>/attachments/<int:index>")
def attachment(request_id: int, message_pk: int, index: int):  # noqa: ANN201
    detail = _detail_or_404(request_id)
    if message_pk not in [m["id"] for m in detail["messages"]]:
        abort(404)
    raw = store_of().raw_of(message_pk) or b""
    limit = ext()["config"].limits.max_message_bytes
    if len(raw) > limit:  # the service did not parse it either: same limit here
        abort(
            413,
            f"the message is larger than limits.max_message_bytes ({limit});"
            " export it with the CLI to open its attachments",
        )
    try:  # in a child process, under the service's parse time limit
        found = attachment_worker.extract(raw, index, ext()["config"].limits.max_parse_seconds)
    except attachment_worker.ExtractError as exc:
        abort(exc.status, str(exc))
    part_name, payload = found.filename, found.payload
    name = re.sub(r"[^\w.\-]+", "_", str(part_name or f"attachment-{index}"))[:120]
    return Response(
        payload,
        mimetype="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
        },
    )
