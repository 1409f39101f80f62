"""The queue and the request page, with their actions."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from intake import attachment_worker, conversation, pipeline, queries, queries_queue, triage
from intake.language_names import choices as language_choices
from intake.rulebook import INTENTS
from intake.web import access, env_for, ext, store_of

bp = Blueprint("desk", __name__)
PAGE_SIZE = 25


@bp.route("/")
def home():  # noqa: ANN201
    return redirect(url_for("desk.queue"))


QUEUE_FILTERS = ("reason", "group", "intent", "language", "member", "search")
QUEUE_FLAGS = ("mine", "unassigned", "overdue")


def queue_query(args: Mapping[str, str]) -> queries_queue.QueueQuery:
    """The queue's query parameters, each checked; anything else is ignored."""
    try:
        page = max(int(args.get("page", "1") or 1), 1)
    except ValueError:
        page = 1
    text = {k: args.get("q" if k == "search" else k, "")[:200] for k in QUEUE_FILTERS}
    return queries_queue.QueueQuery(
        scope="all" if args.get("scope") == "all" else "triage",
        reason=text["reason"],
        group=text["group"],
        intent=text["intent"],
        language=text["language"],
        member=text["member"],
        search=text["search"],
        mine=bool(args.get("mine")),
        unassigned=bool(args.get("unassigned")),
        overdue=bool(args.get("overdue")),
        sort=args.get("sort", "") if args.get("sort", "") in queries_queue.SORTS else "",
        descending=args.get("dir") == "desc",
        page=page,
    )


def short_names() -> dict[str, str]:
    """The rules' short group names ("LCC"), which fit a column."""
    return {group.id: group.short_name for group in ext()["rules"].groups if group.short_name}


@bp.route("/queue")
def queue():  # noqa: ANN201
    store = store_of()
    config = ext()["config"]
    asked = queue_query(request.args)
    found = queries_queue.queue_page(
        store,
        asked,
        clock=queries_queue.Clock(
            now=datetime.now(UTC), zone=ZoneInfo(config.web.timezone), overdue_days=config.desk.overdue_days
        ),
        page_size=PAGE_SIZE,
        facilitator_group=g.account.group_id if g.account.is_facilitator else None,
        account=g.account.name,
        short_names=short_names(),
    )
    kept = {"scope": asked.scope if asked.scope == "all" else ""}
    kept |= {("q" if k == "search" else k): getattr(asked, k) for k in QUEUE_FILTERS}
    kept |= {k: "1" if getattr(asked, k) else "" for k in QUEUE_FLAGS}
    if asked.sort:
        kept |= {"sort": asked.sort, "dir": "desc" if asked.descending else "asc"}
    kept = {k: v for k, v in kept.items() if v}

    def query(**changes: object) -> str:
        return urlencode({k: v for k, v in {**kept, **changes}.items() if v not in ("", None)})

    def sort_link(key: str) -> tuple[str, str | None]:
        """The header's link (the other direction when sorted by it) and its aria-sort."""
        if found.sort != key:
            return "?" + query(sort=key, dir="asc", page=None), None
        state = "descending" if found.descending else "ascending"
        return "?" + query(sort=key, dir="asc" if found.descending else "desc", page=None), state

    return render_template(
        "queue.html",
        rows=found.rows,
        total=found.total,
        counts=list(found.counts.items()),
        asked=asked,
        scope=asked.scope,
        page=found.page,
        pages=found.pages,
        query=query,
        sort_link=sort_link,
        groups=queries_queue.group_choices(store, short_names()),
        intents=INTENTS,
        languages=language_choices(),
        overdue_days=config.desk.overdue_days,
        timezone=config.web.timezone,
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
    organisations = [] if g.account.is_facilitator else queries_queue.organisations(store_of())
    names = queries_queue.group_names(store_of(), short_names())
    groups = [gr.id for gr in ext()["rules"].groups] + ["both", "none"]
    groups = [gr for gr in groups if access.may_route_to(g.account, gr)]
    return render_template(
        "request.html",
        r=detail,
        staff=staff,
        organisations=organisations,
        groups=groups,
        group_name=lambda value: queries_queue.group_name(value, names) or value,
        intents=INTENTS,
        explanation_json=json.dumps(detail["explanation"], indent=2, ensure_ascii=False),
        thread=conversation.of_request(store_of(), request_id),  # mail in and out, in order
        may_reply=access.may_reply(store_of(), g.account, request_id),
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
    if not org:  # no default in the form: one careless click must not link a non-member
        flash("Choose the organisation the sender belongs to", "error")
        return redirect(url_for("desk.request_page", request_id=request_id))
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
