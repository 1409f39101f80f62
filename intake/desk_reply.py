"""A reply a person writes in the desk: drafted from a canned answer, sent through the outbox.

The reply goes out like every other mail of intake: an outbox row, written in one
transaction with the event that records who sent it, sent at most once by the service
(a relay that leaves it unknown marks it `uncertain`, never resent by itself). It
answers the requester's last mail (In-Reply-To, References, "Re:" and the request's
token in the subject), so their answer comes back into the same request. A person wrote
it: Auto-Submitted is `no` (RFC 3834), while our loop marker and the request for no
out-of-office answers stay.

Sent once per form: the form carries a random idempotency key, kept in the outbox row's
UNIQUE dedupe key (two clicks, the back button, a copied tab: one mail), and the id of
the latest staff reply when the form was opened (a second form opened before a reply
went out is refused, so two people or two tabs do not answer twice).
"""

from __future__ import annotations

import re
import secrets
import sqlite3
from dataclasses import dataclass

from intake import canned, compose, triage
from intake import queries_conversation as q
from intake.context import Env
from intake.stages.respond import salutation_name

MAX_BODY = 20_000  # characters of a reply
_KEY = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_REPLY_PREFIX = re.compile(
    r"^\s*((re|aw|sv|vs|antw|odp|ynt|rif|r|ref|fw|fwd|wg|tr)\s*(\[\d+\])?\s*:\s*)+", re.I
)


class ReplyError(Exception):
    """The reply cannot be drafted or sent as it is; one line for the person."""


class AlreadySent(ReplyError):
    """This form's reply was queued before: nothing is sent again."""

    def __init__(self, outbox_id: int) -> None:
        super().__init__(f"this reply was already queued (outgoing mail #{outbox_id}); it is not sent twice")
        self.outbox_id = outbox_id


@dataclass(frozen=True)
class Draft:
    """What the reply form holds."""

    request_id: int
    language: str
    canned: str  # the canned answer it started from ("" for none)
    subject: str
    body: str
    key: str  # idempotency key of this form
    after: int  # the latest staff reply when the form was opened
    close: bool = False


@dataclass(frozen=True)
class Preview:
    sender: str  # the From line: the intake mailbox, where the answer comes back
    recipient: str
    subject: str
    in_reply_to: str | None
    body: str
    problems: list[str]


@dataclass(frozen=True)
class Sent:
    outbox_id: int
    closed: bool


def new_key() -> str:
    return secrets.token_urlsafe(24)


def _target(env: Env, request_id: int) -> q.ReplyTarget:
    target = q.reply_target(env.store, request_id)
    if target is None:
        raise ReplyError(f"no request {request_id}")
    return target


def reply_subject(target: q.ReplyTarget) -> str:
    """ "Re: " and the requester's subject without its own reply prefixes, with the
    request's token so that the answer to it joins the request."""
    base = _REPLY_PREFIX.sub("", compose.header_text(target.subject, 200)) or "Procura+ Interest Groups"
    if target.token.lower() not in base.lower():
        base = f"{base} [{target.token}]"
    return f"Re: {base}"


def start(
    env: Env, request_id: int, *, language: str | None, canned_name: str | None, staff_name: str
) -> Draft:
    """A new form: the canned answer in the language asked for (by default the sender's)."""
    target = _target(env, request_id)
    templates_dir = env.config.templates_dir
    lang = canned.language_of(templates_dir, language or target.language)
    answers = canned.load(templates_dir, lang)
    name = canned_name if canned_name in answers.answers else ""
    group = env.rules.group(target.group_id) if target.group_id else None
    body = canned.draft(
        answers,
        name or None,
        {
            "sender_name": salutation_name(compose.header_text(target.requester_name, 80)),
            "staff_name": staff_name,
            "group_name": group.display_name(lang) if group else canned.NO_GROUP,
        },
    )
    return Draft(
        request_id=request_id,
        language=lang,
        canned=name,
        subject=reply_subject(target),
        body=body,
        key=new_key(),
        after=q.last_reply_id(env.store, request_id),
    )


def problems_of(draft: Draft) -> list[str]:
    """Why the reply cannot go out as it is (empty: it can)."""
    found = []
    if not draft.body.strip():
        found.append("the reply is empty")
    if len(draft.body) > MAX_BODY:
        found.append(f"the reply is longer than {MAX_BODY:,} characters")
    left = canned.fill_ins(draft.body) + canned.fill_ins(draft.subject)
    if left:
        found.append(f"fill in or remove: {', '.join(dict.fromkeys(left))}")
    if not compose.header_text(draft.subject):
        found.append("the subject is empty")
    if not _KEY.fullmatch(draft.key):
        found.append("the form is incomplete; open the reply form again")
    return found


def preview(env: Env, draft: Draft) -> Preview:
    """What the requester will get, and what stops it from going out."""
    target = _target(env, draft.request_id)
    problems = problems_of(draft)
    recipient = compose.safe_address(target.requester_email)
    if recipient is None:
        problems.append("the request has no valid sender address to answer")
    if target.screening not in (None, "human"):  # never a loop, never backscatter (RFC 3834)
        problems.append(
            f"the request was opened by automatic mail (screening: {target.screening}); the desk does"
            " not answer machines"
        )
    smtp = env.config.smtp
    return Preview(
        sender=f"{smtp.from_name} <{smtp.from_address}>",
        recipient=recipient or (target.requester_email or ""),
        subject=compose.header_text(draft.subject, 250),
        in_reply_to=target.message_id,
        body=_normalised(draft.body),
        problems=problems,
    )


def _normalised(body: str) -> str:
    return body.replace("\r\n", "\n").replace("\r", "\n").strip("\n") + "\n"


def send(env: Env, draft: Draft) -> Sent:
    """Queue the reply (once per form), record who sent it, and close the request if asked."""
    store = env.store
    dedupe_key = f"req{draft.request_id}:reply:{draft.key}"
    try:
        with store.transaction():
            existing = q.reply_by_key(store, dedupe_key)
            if existing is not None:
                raise AlreadySent(existing)
            shown = preview(env, draft)
            if shown.problems:
                raise ReplyError("; ".join(shown.problems))
            latest = q.last_reply_id(store, draft.request_id)
            if latest > draft.after:
                raise ReplyError(
                    f"another reply to this request was queued after you opened the form (outgoing mail"
                    f" #{latest}); read it in the conversation, then open the reply form again"
                )
            target = _target(env, draft.request_id)
            message_id, raw = compose.build(
                from_address=env.config.smtp.from_address,
                from_name=env.config.smtp.from_name,
                to=shown.recipient,
                subject=shown.subject,
                body=shown.body,
                in_reply_to=target.message_id,
                references=target.references,
                auto_submitted="no",  # a person wrote it (RFC 3834)
                language=draft.language,
                token=target.token,
            )
            outbox_id = q.queue_reply(
                store,
                request_id=draft.request_id,
                template=f"canned:{draft.canned}" if draft.canned else "written",
                language=draft.language,
                recipient=shown.recipient,
                message_id=message_id,
                raw=raw,
                dedupe_key=dedupe_key,
            )
            store.event(
                "staff_reply",
                actor=env.actor,
                request_id=draft.request_id,
                outbox_id=outbox_id,
                canned=draft.canned or None,
                language=draft.language,
                recipient=shown.recipient,
                close=draft.close,
            )
            closed = False
            if draft.close and q.request_status(store, draft.request_id) != "closed":
                triage.close(env, draft.request_id, note="closed with the reply")
                closed = True
    except sqlite3.IntegrityError:  # the same key, queued by a request that ran alongside
        existing = q.reply_by_key(store, dedupe_key)
        if existing is None:
            raise
        raise AlreadySent(existing) from None
    return Sent(outbox_id=outbox_id, closed=closed)
