"""Respond stage: render the planned mail and queue it in the outbox.

Runs inside the pipeline's transaction, so a queued mail exists if and only if
the decision that calls for it was recorded. A unique dedupe key per (request,
round, kind, template, recipient) makes re-running a message harmless.
Nothing is sent (and the skip recorded) for mail older than the configured age by
its arrival or its Date header, or already flagged handled on the server. No
acknowledgement beyond the rate limits: per mailbox (its +tag removed), per
organisation (or mail domain), and per hour in all. A rate limit that holds back
an acknowledgement puts the request in triage with the reason: never a silent drop.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

from intake import compose, register, register_mail
from intake import queries_outbox as q_outbox
from intake import queries_requests as q_requests
from intake.context import Context, Env, PlannedMail
from intake.rulebook import Group
from intake.stages import route
from intake.store import utcnow

# the Context fields this stage uses, and those it produces (see intake/stage_view.py)
READS: tuple[str, ...] = (
    "raw",
    "mail",
    "message_pk",
    "internal_date",
    "handled_mark",
    "decision",
    "membership",
    "followup_of",
    "planned",
    "request_id",
)
WRITES: tuple[str, ...] = ("outbox_ids", "suppressed", "status", "triage_reason")

log = logging.getLogger("intake.respond")


def run(ctx: Context, env: Env) -> None:
    if ctx.request_id is None or not ctx.planned:
        return
    queue_planned(ctx, env, round_no=0)


def queue_planned(ctx: Context, env: Env, *, round_no: int) -> list[int]:
    store = env.store
    assert ctx.mail is not None and ctx.request_id is not None
    never = _never_answer(ctx, env)
    ids = []
    for planned in ctx.planned:
        key = f"req{ctx.request_id}:r{round_no}:{planned.kind}:{planned.template}:{planned.recipient.lower()}"
        if ctx.followup_of is not None:  # each follow-up is its own mail on the request
            key += f":m{ctx.message_pk}"
        if q_outbox.has_dedupe_key(store, key):
            continue
        reason = limited = None
        if never and round_no == 0:
            reason = never
        elif planned.kind == "ack":
            reason = limited = _rate_limited(env, rate_keys(ctx, planned.recipient))
        if reason:
            ctx.suppressed.append(f"{planned.kind} to {planned.recipient}: {reason}")
            store.event(
                "reply_suppressed",
                actor=env.actor,
                message_pk=ctx.message_pk,
                request_id=ctx.request_id,
                kind=planned.kind,
                recipient=planned.recipient,
                reason=reason,
            )
            if limited and round_no == 0 and ctx.status != "triage":
                _triage_for_limit(ctx, env, limited)
            continue
        ids.append(_queue(ctx, env, planned, key))
    ctx.outbox_ids.extend(ids)
    return ids


def _triage_for_limit(ctx: Context, env: Env, limit: str) -> None:
    """The acknowledgement was held back: a person sees the request (and why)."""
    reason = f"acknowledgement held back: {limit}"
    assert ctx.request_id is not None  # queue_planned checked it
    ctx.status, ctx.triage_reason = "triage", reason
    env.store.update(
        "requests", ctx.request_id, {"status": "triage", "triage_reason": reason, "updated_at": utcnow()}
    )


def normalized_mailbox(address: str) -> str:
    """anna+news@city.example -> anna@city.example: one person's mailbox, whatever its tag."""
    local, _, domain = address.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0] or local}@{domain}" if local else address.strip().lower()


def rate_keys(ctx: Context, recipient: str) -> tuple[str, str]:
    """(mailbox, organisation) an acknowledgement counts against: the organisation from the
    roster when the sender matched it, else the mail domain."""
    mailbox = normalized_mailbox(recipient)
    organisation = ctx.membership.organisation
    return mailbox, (f"org:{organisation}" if organisation else f"domain:{mailbox.rpartition('@')[2]}")


def _never_answer(ctx: Context, env: Env) -> str | None:
    """Why no automatic mail at all goes out for this message, or None.

    Mail that already carries our handled flag on the server was handled by intake
    before (the database that recorded it was lost or is an older backup). Mail is old
    when its IMAP arrival date OR its Date header is older than limits.old_mail_days:
    a mailbox migrated without its arrival dates makes years-old mail look new, while
    its Date header still tells."""
    if ctx.handled_mark:
        return f"already handled by intake before (flag {ctx.handled_mark} on the server); not answered twice"
    limits = env.config.limits
    if not limits.skip_old_mail:
        return None
    oldest = datetime.now(UTC) - timedelta(days=limits.old_mail_days)
    for label, stamp in (("arrived", ctx.internal_date), ("is dated", ctx.mail.date if ctx.mail else None)):
        when = _parse_stamp(stamp)
        if when is not None and when < oldest:
            return (
                f"mail {label} {when:%Y-%m-%d}, older than {limits.old_mail_days} days (old-mail protection)"
            )
    return None


def _parse_stamp(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _rate_limited(env: Env, keys: tuple[str, str]) -> str | None:
    limits = env.config.limits
    day, hour = env.store.per_transaction("rate_windows", _rate_windows)
    mailbox, organisation = keys
    per_sender = q_outbox.acks_since(
        env.store, since=day, cap=limits.acks_per_sender_per_day, mailbox=mailbox
    )
    if per_sender >= limits.acks_per_sender_per_day:
        return (
            f"rate limit: {per_sender} acknowledgements to this sender in 24 h"
            f" (limit {limits.acks_per_sender_per_day})"
        )
    per_org = q_outbox.acks_since(
        env.store, since=day, cap=limits.acks_per_organisation_per_day, organisation=organisation
    )
    if per_org >= limits.acks_per_organisation_per_day:
        return (
            f"rate limit: {per_org} acknowledgements to {organisation.split(':', 1)[1]}"
            f" in 24 h (limit {limits.acks_per_organisation_per_day})"
        )
    # the last hour's count (at most up to the limit) is read once per transaction; after
    # that only the acks this transaction queued are added: a backlog does not recount
    # the whole outbox for every message
    counted, last_id = env.store.per_transaction(
        "acks_last_hour",
        lambda: q_outbox.acks_window(env.store, since=hour, cap=limits.acks_per_hour),
    )
    total = counted + q_outbox.acks_after(env.store, last_id)
    if total >= limits.acks_per_hour:
        return f"global rate limit: {total} acknowledgements in the last hour"
    return None


def _rate_windows() -> tuple[str, str]:
    """Where the last 24 hours and the last hour begin (a transaction lasts well under a
    second: its messages share them)."""
    now = datetime.now(UTC)
    return (
        (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S"),
        (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"),
    )


def template_variables(ctx: Context, env: Env, planned: PlannedMail) -> dict:
    """Everything a mail template may use (each template lists what it reads)."""
    mail, d, m = ctx.mail, ctx.decision, ctx.membership
    assert mail is not None
    requester_name, requester_email = mail.forwarded_from or (mail.sender_name, mail.sender_email)
    group = env.rules.group(d.group)
    language = d.language or "en"
    groups = route.groups_of(d, env)
    return {
        "token": token_of(env, ctx.request_id),
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
        "privacy_notice_url": env.config.privacy.notice_url,
        "desk_link": (
            f"{env.config.web.base_url}/requests/{ctx.request_id}" if env.config.web.base_url else ""
        ),
        "guidelines": register.guidelines_for(env.config, language),
        "confirm_links": _confirm_links(env, ctx.request_id, planned, groups),
    }


def _confirm_links(
    env: Env, request_id: int | None, planned: PlannedMail, groups: list[Group]
) -> dict[str, str]:
    """A join's forward carries the confirmation link of each group its recipient facilitates
    (a request for several groups: each facilitator confirms for their own group only)."""
    if planned.template != "forward_join" or request_id is None:
        return {}
    mine = {g.id for g in groups if planned.recipient.lower() in {f.lower() for f in g.facilitators}}
    return {
        gid: link for gid, link in register_mail.links_for_request(env, request_id).items() if gid in mine
    }


def token_of(env: Env, request_id: int | None) -> str:
    """The request's token for our subjects ([IG-12-5f3a9c01]; IG-12 for older requests)."""
    return q_requests.token(env.store, request_id) or f"IG-{request_id}"


_DIRECTORY_NAME = re.compile(
    r"^([^\W\d_][\w'-]*(?: [^\W\d_][\w'-]*)?), "
    r"([^\W\d_][\w'.-]*(?: [^\W\d_][\w'.-]*)?)$"
)


def salutation_name(name: str) -> str:
    """The name to greet: "Kröger, Sabine" (how Exchange directories write names) is
    greeted as "Sabine Kröger"; anything else as it is."""
    found = _DIRECTORY_NAME.match(name or "")
    return f"{found.group(2)} {found.group(1)}" if found else (name or "")


def _queue(ctx: Context, env: Env, planned: PlannedMail, key: str) -> int:
    mail, cfg = ctx.mail, env.config
    assert mail is not None
    language = ctx.decision.language if planned.kind == "ack" else "en"
    rendered = env.templates.render_mail(planned.template, language, template_variables(ctx, env, planned))
    requester_email = (mail.forwarded_from or (None, mail.sender_email))[1]
    # what the acknowledgement rate limits count it against (other mail is not limited)
    mailbox, organisation = rate_keys(ctx, planned.recipient) if planned.kind == "ack" else (None, None)
    message_id, raw = compose.build(
        from_address=cfg.smtp.from_address,
        from_name=cfg.smtp.from_name,
        to=planned.recipient,
        subject=rendered.subject,
        body=rendered.body,
        in_reply_to=mail.message_id if planned.kind == "ack" else None,
        references=mail.references if planned.kind == "ack" else [],
        auto_submitted="auto-replied" if planned.kind == "ack" else "auto-generated",
        language=rendered.language,
        token=token_of(env, ctx.request_id),
        reply_to=requester_email if planned.kind != "ack" else None,
        original=ctx.raw if planned.attach_original else None,
    )
    outbox_id = env.store.insert(
        "outbox",
        {
            "request_id": ctx.request_id,
            "kind": planned.kind,
            "template": planned.template,
            "language": rendered.language,
            "recipient": planned.recipient,
            "message_id": message_id,
            "raw": raw,
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": utcnow(),
            "created_at": utcnow(),
            "dedupe_key": key,
            "rate_mailbox": mailbox,
            "rate_organisation": organisation,
        },
    )
    env.store.event(
        "reply_queued",
        actor=env.actor,
        message_pk=ctx.message_pk,
        request_id=ctx.request_id,
        outbox_id=outbox_id,
        kind=planned.kind,
        template=planned.template,
        language=rendered.language,
        recipient=planned.recipient,
    )
    return outbox_id
