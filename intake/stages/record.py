"""Record stage: write the parsed message and the decision, in the pipeline's transaction.

A new conversation becomes a request; a follow-up joins its request; machine
mail gets a request row of its own (status `ignored`) so that every stored
message can be listed and explained, linked to the request it answers if any.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from intake.context import Context, Env
from intake.store import utcnow

# the Context fields this stage uses, and those it produces (see intake/stage_view.py)
READS: tuple[str, ...] = (
    "message_pk",
    "mail",
    "unparseable",
    "screening",
    "screening_evidence",
    "is_human",
    "followup_of",
    "followup_refused",
    "linked_request",
    "thread_evidence",
    "decision",
    "membership",
    "status",
    "triage_reason",
    "planned",
)
WRITES: tuple[str, ...] = ("request_id",)


def run(ctx: Context, env: Env) -> None:
    store, mail = env.store, ctx.mail
    assert mail is not None and ctx.message_pk is not None
    fields = {
        "sender_email": mail.sender_email,
        "sender_name": mail.sender_name,
        "reply_to": mail.reply_to,
        "recipients": _dumps(mail.recipients, ensure_ascii=True),
        "subject": mail.subject,
        "date": mail.date,
        "body_text": mail.body_text,
        "attachments": _dumps([asdict(a) for a in mail.attachments]),
        "in_reply_to": mail.in_reply_to,
        "references_": _dumps(mail.references, ensure_ascii=True),
        "auth_results": _dumps(mail.auth_results),
        "auth_results_hops": _dumps(mail.auth_results_hops),
        "headers": json.dumps(mail.headers, ensure_ascii=False),
        "parse_notes": _dumps(mail.notes, ensure_ascii=True),
        "screening": ctx.screening,
        "screening_evidence": _dumps(ctx.screening_evidence),
        "status": "unparseable" if ctx.unparseable else "processed",
        "status_reason": ctx.unparseable,
    }
    if ctx.followup_of is not None:
        _attach_followup(ctx, env, fields)
        return
    d, m = ctx.decision, ctx.membership
    requester = mail.forwarded_from or (mail.sender_name, mail.sender_email)
    now = utcnow()
    values = {
        "first_message": ctx.message_pk,
        "updated_at": now,
        "status": ctx.status,
        "requester_email": requester[1],
        "requester_name": requester[0],
        "forwarded_by": mail.sender_email if mail.forwarded_from else None,
        "group_id": d.group,
        "intent": d.intent,
        "language": d.language,
        "language_detected": d.language_detected,
        "language_confidence": d.language_confidence,
        "confidence": d.confidence if ctx.is_human else None,
        "runner_up": d.runner_up,
        "organisation": m.organisation,
        "membership": m.membership,
        "is_member": int(m.counts) if ctx.mail.sender_email else None,
        "member_match": m.match if ctx.mail.sender_email else None,
        "authenticated": None if m.authenticated is None else int(m.authenticated),
        "auth_evidence": m.auth_evidence,
        "triage_reason": ctx.triage_reason,
        "explanation": json.dumps(_explanation(ctx), ensure_ascii=False, default=str),
        "linked_request": ctx.linked_request,
    }
    if ctx.request_id is not None:  # a replayed message fills in its placeholder request
        request_id = ctx.request_id
        store.update("requests", request_id, values)
    else:
        request_id = store.insert_request({**values, "created_at": now})
    role = "request" if ctx.is_human or ctx.unparseable else "machine"
    store.update("messages", ctx.message_pk, {**fields, "request_id": request_id, "role": role})
    ctx.request_id = request_id
    store.event(
        "decided",
        message_pk=ctx.message_pk,
        request_id=request_id,
        screening=ctx.screening,
        group=d.group,
        intent=d.intent,
        language=d.language,
        confidence=d.confidence,
        member_match=m.match,
        status=ctx.status,
        triage_reason=ctx.triage_reason,
    )
    if ctx.followup_refused is not None:  # on the claimed request's audit trail too
        store.event(
            "followup_refused",
            message_pk=ctx.message_pk,
            request_id=ctx.followup_refused["request_id"],
            new_request=request_id,
            sender=mail.sender_email,
            evidence=ctx.followup_refused["evidence"],
            reason=ctx.followup_refused["reason"],
        )
    if ctx.linked_request is not None:
        store.event(
            "machine_reply_linked",
            message_pk=ctx.message_pk,
            request_id=ctx.linked_request,
            screening=ctx.screening,
            evidence=ctx.thread_evidence,
            machine_request=request_id,
        )


def _dumps(values: list, *, ensure_ascii: bool = False) -> str:
    """JSON of a list; most lists of a message are empty, and that needs no encoder."""
    if not values:
        return "[]"
    return json.dumps(values, ensure_ascii=ensure_ascii)


def _attach_followup(ctx: Context, env: Env, fields: dict) -> None:
    store = env.store
    request_id = ctx.followup_of
    store.update("messages", ctx.message_pk, {**fields, "request_id": request_id, "role": "followup"})
    row = store.one("SELECT status FROM requests WHERE id=?", (request_id,))
    update = {"updated_at": utcnow()}
    forwarded = any(p.kind == "forward" for p in ctx.planned)
    if row and row["status"] in ("routed", "closed", "new") and not forwarded:
        update.update({"status": "triage", "triage_reason": "follow-up from the sender"})
    store.update("requests", request_id, update)
    ctx.request_id = request_id
    store.event(
        "followup_attached", message_pk=ctx.message_pk, request_id=request_id, evidence=ctx.thread_evidence
    )


def _explanation(ctx: Context) -> dict:
    return {
        "screening": {"verdict": ctx.screening, "evidence": ctx.screening_evidence},
        "thread": ctx.thread_evidence,
        "classification": ctx.decision.explanation,
        "membership": {
            "match": ctx.membership.match,
            "organisation": ctx.membership.organisation,
            "authenticated": ctx.membership.authenticated,
            "auth_evidence": ctx.membership.auth_evidence,
            "note": ctx.membership.note,
        },
        "route": {
            "status": ctx.status,
            "triage_reason": ctx.triage_reason,
            "planned": [f"{p.kind}:{p.template}->{p.recipient}" for p in ctx.planned],
        },
        "parse_notes": ctx.mail.notes if ctx.mail else [],
    }
