"""Respond stage: render the planned mail and queue it in the outbox.

Runs inside the pipeline's transaction, so a queued mail exists if and only if
the decision that calls for it was recorded. A unique dedupe key per (request,
round, kind, template, recipient) makes re-running a message harmless.
Acknowledgements are skipped (and the skip recorded) for mail older than the
configured age, and beyond the per-sender and global rate limits.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

from intake import compose, register, register_mail
from intake.context import Context, Env, PlannedMail
from intake.stages import route
from intake.store import utcnow

log = logging.getLogger("intake.respond")


def run(ctx: Context, env: Env) -> None:
    if ctx.request_id is None or not ctx.planned:
        return
    queue_planned(ctx, env, round_no=0)


def queue_planned(ctx: Context, env: Env, *, round_no: int) -> list[int]:
    store, cfg = env.store, env.config
    assert ctx.mail is not None and ctx.request_id is not None
    too_old = _too_old(ctx, env)
    ids = []
    for planned in ctx.planned:
        key = (f"req{ctx.request_id}:r{round_no}:{planned.kind}:{planned.template}:"
               f"{planned.recipient.lower()}")
        if ctx.followup_of is not None:  # each follow-up is its own mail on the request
            key += f":m{ctx.message_pk}"
        if store.one("SELECT 1 FROM outbox WHERE dedupe_key=?", (key,)):
            continue
        reason = None
        if too_old and round_no == 0:
            reason = f"mail is older than {cfg.limits.old_mail_days} days (first-run protection)"
        elif planned.kind == "ack":
            reason = _rate_limited(env, planned.recipient)
        if reason:
            ctx.suppressed.append(f"{planned.kind} to {planned.recipient}: {reason}")
            store.event("reply_suppressed", actor=env.actor, message_pk=ctx.message_pk,
                        request_id=ctx.request_id, kind=planned.kind,
                        recipient=planned.recipient, reason=reason)
            continue
        ids.append(_queue(ctx, env, planned, key))
    ctx.outbox_ids.extend(ids)
    return ids


def _too_old(ctx: Context, env: Env) -> bool:
    limits = env.config.limits
    if not limits.skip_old_mail:
        return False
    stamp = ctx.internal_date or (ctx.mail.date if ctx.mail else None)
    if not stamp:
        return False
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return False
    return when < datetime.now(UTC) - timedelta(days=limits.old_mail_days)


# +kind: walk the few rows after the id, not every acknowledgement through the kind index
ACKS_AFTER_SQL = "SELECT COUNT(*) FROM outbox WHERE id>? AND +kind='ack'"


def _rate_limited(env: Env, recipient: str) -> str | None:
    limits = env.config.limits
    day, hour = env.store.per_transaction("rate_windows", _rate_windows)
    per_sender = env.store.one(
        "SELECT COUNT(*) FROM outbox WHERE kind='ack' AND lower(recipient)=? AND created_at>=?"
        " AND status NOT IN ('suppressed')", (recipient.lower(), day))[0]
    if per_sender >= limits.acks_per_sender_per_day:
        return (f"rate limit: {per_sender} acknowledgements to this sender in 24 h"
                f" (limit {limits.acks_per_sender_per_day})")
    # the last hour's count (at most up to the limit) is read once per transaction; after
    # that only the acks this transaction queued are added: a backlog does not recount
    # the whole outbox for every message
    counted, last_id = env.store.per_transaction("acks_last_hour", lambda: tuple(env.store.one(
        "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM outbox WHERE kind='ack' AND created_at>=?"
        " LIMIT ?)), (SELECT COALESCE(MAX(id), 0) FROM outbox)", (hour, limits.acks_per_hour))))
    total = counted + env.store.one(ACKS_AFTER_SQL, (last_id,))[0]
    if total >= limits.acks_per_hour:
        return f"global rate limit: {total} acknowledgements in the last hour"
    return None


def _rate_windows() -> tuple[str, str]:
    """Where the last 24 hours and the last hour begin (a transaction lasts well under a
    second: its messages share them)."""
    now = datetime.now(UTC)
    return ((now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S"),
            (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"))


def template_variables(ctx: Context, env: Env, planned: PlannedMail) -> dict:
    """Everything a mail template may use (each template lists what it reads)."""
    mail, d, m = ctx.mail, ctx.decision, ctx.membership
    assert mail is not None
    requester_name, requester_email = mail.forwarded_from or (mail.sender_name, mail.sender_email)
    group = env.rules.group(d.group)
    language = d.language or "en"
    groups = route.groups_of(d, env)
    return {
        "token": f"IG-{ctx.request_id}",
        "sender_name": salutation_name(compose.header_text(requester_name, 80)),
        "sender_email": requester_email,
        "forwarded_by": mail.sender_email if mail.forwarded_from else None,
        "original_subject": compose.header_text(mail.subject, 200),
        "group_id": d.group or "none",
        "group_name": group.display_name(language) if group else "",
        "group_names": [g.display_name(language) for g in groups],
        "group_names_en": [g.name for g in groups],
        "intent": d.intent or "other",
        "language": language,
        "confidence": d.confidence,
        "organisation": m.organisation or "",
        "membership": m.membership or "",
        "member_match": m.match,
        "verified": m.authenticated is True,
        "verification_note": m.note or "",
        "explanation": d.explanation,
        "body_excerpt": (mail.body_text or "")[:1500],
        "attachments": [a.filename for a in mail.attachments],
        "triage_reason": ctx.triage_reason or "",
        "staff_address": env.config.smtp.staff_address,
        "guidelines": register.guidelines_for(env.config, language),
        "confirm_links": (register_mail.links_for_request(env, ctx.request_id)
                          if planned.template == "forward_join" else {}),
    }


_DIRECTORY_NAME = re.compile(r"^([^\W\d_][\w'-]*(?: [^\W\d_][\w'-]*)?), "
                             r"([^\W\d_][\w'.-]*(?: [^\W\d_][\w'.-]*)?)$")


def salutation_name(name: str) -> str:
    """The name to greet: "Kröger, Sabine" (how Exchange directories write names) is
    greeted as "Sabine Kröger"; anything else as it is."""
    found = _DIRECTORY_NAME.match(name or "")
    return f"{found.group(2)} {found.group(1)}" if found else (name or "")


def _queue(ctx: Context, env: Env, planned: PlannedMail, key: str) -> int:
    mail, cfg = ctx.mail, env.config
    assert mail is not None
    language = ctx.decision.language if planned.kind == "ack" else "en"
    rendered = env.templates.render_mail(planned.template, language,
                                         template_variables(ctx, env, planned))
    requester_email = (mail.forwarded_from or (None, mail.sender_email))[1]
    message_id, raw = compose.build(
        from_address=cfg.smtp.from_address, from_name=cfg.smtp.from_name,
        to=planned.recipient, subject=rendered.subject, body=rendered.body,
        in_reply_to=mail.message_id if planned.kind == "ack" else None,
        references=mail.references if planned.kind == "ack" else [],
        auto_submitted="auto-replied" if planned.kind == "ack" else "auto-generated",
        language=rendered.language, token=f"IG-{ctx.request_id}",
        reply_to=requester_email if planned.kind != "ack" else None,
        original=ctx.raw if planned.attach_original else None,
    )
    outbox_id = env.store.insert("outbox", {
        "request_id": ctx.request_id, "kind": planned.kind, "template": planned.template,
        "language": rendered.language, "recipient": planned.recipient,
        "message_id": message_id, "raw": raw, "status": "queued", "attempts": 0,
        "next_attempt_at": utcnow(), "created_at": utcnow(), "dedupe_key": key,
    })
    env.store.event("reply_queued", actor=env.actor, message_pk=ctx.message_pk,
                    request_id=ctx.request_id, outbox_id=outbox_id, kind=planned.kind,
                    template=planned.template, language=rendered.language,
                    recipient=planned.recipient)
    return outbox_id
