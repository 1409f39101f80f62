"""Triage operations shared by the CLI and the web UI.

Every action is an event naming the actor. Re-routing re-runs the same route
and respond stages the service uses, with the staff member's group and intent
(and confidence 1.0: a person decided).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from intake import pipeline, register
from intake.context import Env
from intake.rulebook import INTENTS
from intake.stages import membership, respond, route
from intake.store import utcnow
from intake.stored_mail import stored_mail


class TriageError(Exception):
    """The action cannot be done (unknown request, bad group); one line for the user."""


@dataclass
class MailPreview:
    kind: str
    template: str
    language: str
    recipient: str
    subject: str
    body: str


@dataclass
class ResolveResult:
    request_id: int
    status: str
    triage_reason: str | None
    planned: list[str] = field(default_factory=list)
    queued: list[int] = field(default_factory=list)
    suppressed: list[str] = field(default_factory=list)
    previews: list[MailPreview] = field(default_factory=list)


def _request(env: Env, request_id: int):
    row = env.store.one("SELECT * FROM requests WHERE id=?", (request_id,))
    if row is None:
        raise TriageError(f"no request {request_id}; see `intake queue list`")
    return row


def resolve(
    env: Env,
    request_id: int,
    *,
    group: str,
    intent: str,
    note: str | None = None,
    send: bool = True,
    dry_run: bool = False,
) -> ResolveResult:
    """Set group and intent, re-route, and (with send) queue the mail the decision calls for."""
    row = _request(env, request_id)
    canonical = env.rules.canonical_group(group)
    if (
        canonical not in ("both", "none")
        and not (canonical or "").startswith("new:")
        and env.rules.group(canonical) is None
    ):
        known = ", ".join(g.id for g in env.rules.groups)
        raise TriageError(f"unknown group {group!r}; use one of: {known}, both, none, new:<topic>")
    if intent not in INTENTS:
        raise TriageError(f"unknown intent {intent!r}; use one of: {', '.join(INTENTS)}")

    if env.store.raw_of(row["first_message"]) is None:
        raise TriageError(
            f"request {request_id}'s mail was removed (retention or erasure); it cannot be decided again"
        )
    ctx = pipeline.load_context(env, row["first_message"])
    ctx.request_id = request_id
    message = env.store.one("SELECT * FROM messages WHERE id=?", (row["first_message"],))
    if message is None or message["status"] not in ("processed", "unparseable"):
        raise TriageError(
            f"request {request_id} has no parsed message; if it was shunted,"
            " replay it first (`intake shunted replay MESSAGE`)"
        )
    ctx.mail = stored_mail(message, row)  # as the service parsed it, within its limits
    membership.run(ctx, env)
    ctx.decision.group = canonical
    ctx.decision.intent = intent
    ctx.decision.language = row["language"] or ctx.decision.language or "en"
    ctx.decision.confidence = 1.0
    ctx.screening = "human"  # a person says it is a real request
    route.plan(ctx, env, by_person=True)
    result = ResolveResult(
        request_id=request_id,
        status=ctx.status,
        triage_reason=ctx.triage_reason,
        planned=[f"{p.kind} ({p.template}) to {p.recipient}" for p in ctx.planned],
    )
    if not send:
        ctx.planned = []
        result.planned = []
    if dry_run:
        result.previews = _previews(ctx, env)
        return result
    # Resolving takes the request out of the queue unless staff must still act
    # (non-member, proposal ...); those keep their reason but are marked decided.
    status = "routed" if ctx.status == "routed" else "resolved"
    with env.store.transaction():
        rounds = env.store.one(
            "SELECT COUNT(*) FROM events WHERE request_id=? AND kind='resolved'", (request_id,)
        )[0]
        env.store.update(
            "requests",
            request_id,
            {
                "group_id": canonical,
                "intent": intent,
                "confidence": 1.0,
                "status": status,
                "triage_reason": None,
                "updated_at": utcnow(),
                "organisation": ctx.membership.organisation,
                "membership": ctx.membership.membership,
                "is_member": int(ctx.membership.counts),
                "member_match": ctx.membership.match,
            },
        )
        register.note_request(ctx, env)  # a person's decision counts in the register
        result.queued = respond.queue_planned(ctx, env, round_no=rounds + 1) if send else []
        result.suppressed = ctx.suppressed
        result.status = status
        env.store.event(
            "resolved",
            actor=env.actor,
            request_id=request_id,
            group=canonical,
            intent=intent,
            note=note,
            would_have_been=ctx.triage_reason,
            queued=result.queued,
        )
        env.store.insert(
            "labelled_examples",
            {
                "request_id": request_id,
                "group_id": canonical,
                "intent": intent,
                "labelled_by": env.actor,
                "labelled_at": utcnow(),
            },
        )
    return result


def _previews(ctx, env: Env) -> list[MailPreview]:  # noqa: ANN001
    """Render what would be sent, exactly as respond would, without queueing anything."""
    previews = []
    for planned in ctx.planned:
        language = ctx.decision.language if planned.kind == "ack" else "en"
        rendered = env.templates.render_mail(
            planned.template, language, respond.template_variables(ctx, env, planned)
        )
        previews.append(
            MailPreview(
                planned.kind,
                planned.template,
                rendered.language,
                planned.recipient,
                rendered.subject,
                rendered.body,
            )
        )
    return previews


def link_sender(
    env: Env, request_id: int, organisation: str, *, add_domain: bool, dry_run: bool = False
) -> str:
    """Record the sender as a contact of an organisation (or its domain as the org's)."""
    import json

    row = _request(env, request_id)
    member = env.store.one("SELECT * FROM members WHERE organisation=?", (organisation,))
    if member is None:
        raise TriageError(f"no organisation {organisation!r} in the roster")
    sender = (row["requester_email"] or "").lower()
    if "@" not in sender:
        raise TriageError("the request has no sender address")
    domains = json.loads(member["domains"])
    contacts = json.loads(member["contact_emails"])
    domain = sender.rsplit("@", 1)[1]
    if add_domain:
        if domain not in domains:
            domains.append(domain)
        what = f"domain {domain}"
    else:
        if sender not in contacts:
            contacts.append(sender)
        what = f"contact {sender}"
    if dry_run:
        return what
    with env.store.transaction():
        env.store.conn.execute(
            "UPDATE members SET domains=?, contact_emails=?, updated_at=? WHERE organisation=?",
            (json.dumps(sorted(domains)), json.dumps(sorted(contacts)), utcnow(), organisation),
        )
        env.store.update(
            "requests",
            request_id,
            {
                "organisation": organisation,
                "membership": member["membership"],
                "is_member": 1,
                "member_match": "domain" if add_domain else "exact",
                "updated_at": utcnow(),
            },
        )
        env.store.event(
            "sender_linked", actor=env.actor, request_id=request_id, organisation=organisation, added=what
        )
    return what


def close(env: Env, request_id: int, *, note: str | None = None, dry_run: bool = False) -> None:
    row = _request(env, request_id)
    if row["status"] == "closed":
        raise TriageError(f"request {request_id} is already closed")
    if dry_run:
        return
    with env.store.transaction():
        env.store.update("requests", request_id, {"status": "closed", "updated_at": utcnow()})
        env.store.event(
            "closed",
            actor=env.actor,
            request_id=request_id,
            note=note,
            previous_status=row["status"],
            triage_reason=row["triage_reason"],
        )


def reopen(env: Env, request_id: int, *, note: str | None = None, dry_run: bool = False) -> None:
    row = _request(env, request_id)
    if row["status"] != "closed":
        raise TriageError(f"request {request_id} is not closed")
    if dry_run:
        return
    with env.store.transaction():
        env.store.update(
            "requests",
            request_id,
            {"status": "triage", "triage_reason": "reopened by staff", "updated_at": utcnow()},
        )
        env.store.event("reopened", actor=env.actor, request_id=request_id, note=note)


def assign(env: Env, request_id: int, person: str | None, *, dry_run: bool = False) -> None:
    _request(env, request_id)
    if dry_run:
        return
    with env.store.transaction():
        env.store.update("requests", request_id, {"assigned_to": person, "updated_at": utcnow()})
        env.store.event("assigned", actor=env.actor, request_id=request_id, to=person)


def add_note(env: Env, request_id: int, text: str, *, dry_run: bool = False) -> None:
    _request(env, request_id)
    if not text.strip():
        raise TriageError("the note is empty")
    if dry_run:
        return
    with env.store.transaction():
        env.store.event("note", actor=env.actor, request_id=request_id, note=text.strip()[:4000])
