"""The register's mail: confirmation requests, welcomes, reminders, "ready to start".

Each mail is an outbox row with a dedupe key naming the participant or group and the
occasion, queued in the transaction of the decision that calls for it: a re-run queues
nothing twice, and the outbox sends it like any other mail.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from intake import compose, register, register_links
from intake import queries_outbox as q_outbox
from intake import queries_register as q_register
from intake.context import Env
from intake.register import WAITING, RegisterError
from intake.store import utcnow

HOW_IT_WORKS_DAYS = 2  # the network's rule: at most two days a year of work for participants


def queue(
    env: Env,
    *,
    key: str,
    request_id: int | None,
    kind: str,
    template: str,
    language: str | None,
    recipient: str,
    variables: dict[str, Any],
) -> int | None:
    """One outbox row, unless one with this dedupe key exists. Returns its id or None."""
    store, cfg = env.store, env.config
    if q_outbox.has_dedupe_key(store, key):
        return None
    rendered = env.templates.render_mail(template, language, variables)
    token = f"IG-{request_id}" if request_id else None
    message_id, raw = compose.build(
        from_address=cfg.smtp.from_address,
        from_name=cfg.smtp.from_name,
        to=recipient,
        subject=rendered.subject,
        body=rendered.body,
        in_reply_to=None,
        references=[],
        auto_submitted="auto-generated",
        language=rendered.language,
        token=token,
    )
    now = utcnow()
    outbox_id = store.insert(
        "outbox",
        {
            "request_id": request_id,
            "kind": kind,
            "template": template,
            "language": rendered.language,
            "recipient": recipient,
            "message_id": message_id,
            "raw": raw,
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "dedupe_key": key,
        },
    )
    store.event(
        "reply_queued",
        actor=env.actor,
        request_id=request_id,
        outbox_id=outbox_id,
        kind=kind,
        template=template,
        language=rendered.language,
        recipient=recipient,
    )
    return outbox_id


def _group(env: Env, group_id: str) -> Any:
    return register.group_row(env.store, group_id)


def _participant_vars(env: Env, row: Any, *, language: str = "en") -> dict[str, Any]:
    group = _group(env, row["group_id"])
    names = json.loads(group["names"])
    return {
        "group_id": group["id"],
        "group_name": names.get(language, group["name"]),
        "group_name_en": group["name"],
        "organisation": row["organisation"],
        "sender_name": row["name"] or "",
        "sender_email": row["email"],
        "facilitators": json.loads(group["facilitators"]),
        "token": f"IG-{row['request_id']}" if row["request_id"] else f"P-{row['id']}",
        "staff_address": env.config.smtp.staff_address,
        "days_per_year": HOW_IT_WORKS_DAYS,
        "link_days": env.config.register.link_days,
    }


def confirm_link(env: Env, participant_id: int) -> str | None:
    """A fresh confirmation link for the participant (None without web.base_url)."""
    if not env.config.web.base_url:
        return None
    token = register_links.new_token(env.config, env.store, participant_id)
    return register_links.url_for_token(env.config, token)


def links_for_request(env: Env, request_id: int | None) -> dict[str, str]:
    """{group id: confirmation link} for the participants a request made: what the
    forward of a join request carries."""
    if request_id is None or not env.store.in_transaction:
        return {}  # a preview (queue resolve --dry-run, the desk's preview) makes no link
    links = {}
    for participant_id, group_id in q_register.waiting_of_request(env.store, request_id):
        link = confirm_link(env, participant_id)
        if link:
            links[group_id] = link
    return links


def ask_facilitator(env: Env, participant_id: int) -> None:
    """Ask the group's facilitator(s) to confirm a participant (a group started from a
    topic, where nobody forwarded a join request)."""
    row = register.participant(env.store, participant_id)
    variables = {**_participant_vars(env, row), "link": confirm_link(env, participant_id)}
    for facilitator in variables["facilitators"]:
        queue(
            env,
            key=f"participant{participant_id}:ask:{facilitator.lower()}",
            request_id=row["request_id"],
            kind="forward",
            template="confirm_participant",
            language="en",
            recipient=facilitator,
            variables=variables,
        )


def decide(env: Env, participant_id: int, action: str, *, note: str | None = None) -> Any:
    """Confirm or decline a waiting participant; a confirmation queues the welcome mail
    in the requester's language. Call inside a transaction."""
    if action not in ("confirm", "decline"):
        raise RegisterError(f"unknown action {action!r}; use confirm or decline")
    row = register.participant(env.store, participant_id)
    if row["status"] not in WAITING:
        raise RegisterError(f"{row['organisation']} in {row['group_id']} is already {row['status']}")
    row = register.set_status(
        env, participant_id, "confirmed" if action == "confirm" else "declined", note=note
    )
    if action == "confirm":
        language = row["language"] or "en"
        queue(
            env,
            key=f"participant{participant_id}:welcome:{row['confirmed_at']}",
            request_id=row["request_id"],
            kind="ack",
            template="welcome",
            language=language,
            recipient=row["email"],
            variables=_participant_vars(env, row, language=language),
        )
    return row


def decide_by_token(env: Env, token: str, action: str) -> Any:
    """The link page's and `intake participants confirm|decline TOKEN`'s action."""
    with env.store.transaction():
        link, row = register_links.check(env.config, env.store, token)
        register_links.mark_used(env.store, link["id"], action, env.actor)
        return decide(env, row["id"], action, note="by confirmation link")


def notify_if_ready(env: Env, group_id: str) -> int | None:
    """Exactly one "ready to start" notice to staff when a topic reaches the threshold."""
    group = _group(env, group_id)
    if group["status"] != "proposed" or group["ready_notified_at"]:
        return None
    interest = register.interest_of(env.store, group["id"])
    if not interest["ready"]:
        return None
    env.store.update("register_groups", group["id"], {"ready_notified_at": utcnow()})
    env.store.event(
        "topic_ready",
        actor=env.actor,
        group=group["id"],
        organisations=[o["organisation"] for o in interest["organisations"]],
    )
    return queue(
        env,
        key=f"group:{group['id']}:ready",
        request_id=None,
        kind="staff_notice",
        template="ready_to_start",
        language="en",
        recipient=env.config.smtp.staff_address,
        variables={
            "group_id": group["id"],
            "group_name": group["name"],
            "organisations": interest["organisations"],
            "offers": interest["offers"],
            "threshold": register.THRESHOLD,
            "desk_link": (f"{env.config.web.base_url}/register" if env.config.web.base_url else ""),
        },
    )


def send_reminders(env: Env, *, now: datetime | None = None, dry_run: bool = False) -> list[int]:
    """One reminder per waiting participant, to each facilitator, once the facilitator has
    not answered for register.remind_after_days. Idempotent: reminded_at and the dedupe
    key make a second run (or a second service) a no-op. Returns the participant ids."""
    now = now or datetime.now(UTC)
    cutoff = register.stamp(now - timedelta(days=env.config.register.remind_after_days))
    store = env.store
    due = q_register.reminders_due(store, cutoff)
    if dry_run:
        return due
    for pid in due:
        with store.transaction():
            row = register.participant(store, pid)
            if row["reminded_at"] or row["status"] not in WAITING:
                continue
            variables = {
                **_participant_vars(env, row),
                "link": confirm_link(env, pid),
                "asked_on": (row["asked_at"] or "")[:10],
                "days": env.config.register.remind_after_days,
            }
            for facilitator in variables["facilitators"]:
                queue(
                    env,
                    key=f"participant{pid}:reminder:{facilitator.lower()}",
                    request_id=row["request_id"],
                    kind="forward",
                    template="facilitator_reminder",
                    language="en",
                    recipient=facilitator,
                    variables=variables,
                )
            store.update("participants", pid, {"reminded_at": register.stamp(now)})
            store.event(
                "participant_reminder",
                actor=env.actor,
                request_id=row["request_id"],
                participant=pid,
                group=row["group_id"],
            )
    return due


def send_digests(env: Env, *, now: datetime | None = None) -> list[str]:
    """With register.weekly_digest: once per ISO week, each open group's facilitators get
    pending joins, new participants and leavers of the last seven days (nothing to say,
    no mail). Run daily; the week in the dedupe key makes it weekly. Returns group ids."""
    if not env.config.register.weekly_digest:
        return []
    now = now or datetime.now(UTC)
    since = register.stamp(now - timedelta(days=7))
    year, week, _ = now.isocalendar()
    store, sent = env.store, []
    for group in q_register.open_groups(store):
        people = register.participants_list(store, group["id"])
        changes = q_register.changes_in(store, group["id"], since)
        variables = {
            "group_name_en": group["name"],
            "week": f"{year}-W{week:02d}",
            "pending": [p for p in people if p["status"] in WAITING],
            "joined": sorted({c["organisation"] for c in changes if c["status"] == "confirmed"}),
            "left": sorted({c["organisation"] for c in changes if c["status"] == "left"}),
            "desk_link": (
                f"{env.config.web.base_url}/register/{group['id']}" if env.config.web.base_url else ""
            ),
        }
        if not (variables["pending"] or variables["joined"] or variables["left"]):
            continue
        with store.transaction():
            for facilitator in json.loads(group["facilitators"]):
                queue(
                    env,
                    key=f"digest:{group['id']}:{year}-W{week:02d}:{facilitator.lower()}",
                    request_id=None,
                    kind="forward",
                    template="facilitator_digest",
                    language="en",
                    recipient=facilitator,
                    variables=variables,
                )
        sent.append(group["id"])
    return sent
