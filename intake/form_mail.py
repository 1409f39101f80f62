"""A confirmed form submission as a mail, and what the pipeline reads back from it.

One pipeline (issue 22): a confirmed submission is written as an RFC 5322 message, From
the visitor, stored under the pseudo-inbox "form" by the store's normal delivery path, and
run through the same stages as any mail. Its headers name the channel and what the
visitor chose; they are believed only for a message delivered to the "form" inbox (no
IMAP inbox may have that name), never for a mail that merely carries them.

The message is the visitor's words, not intake's own mail: it carries no X-Intake-Loop
header and no intake Message-ID mark, so the screen stage reads it as a person's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import format_datetime, formataddr, make_msgid

from intake import group_set
from intake.context import Context, Env
from intake.topics import group_names, topic_slug

FORM_INBOX = "form"  # the pseudo-inbox of confirmed submissions (deliveries.inbox)
CHANNEL_HEADER = "X-Intake-Channel"
INTENT_HEADER = "X-Intake-Form-Intent"
GROUPS_HEADER = "X-Intake-Form-Groups"
LANGUAGE_HEADER = "X-Intake-Form-Language"
INTENTS = ("join", "propose", "facilitate", "question")


@dataclass(frozen=True)
class Choice:
    """What the visitor chose on the form: taken as given by the pipeline."""

    intent: str
    groups: tuple[str, ...]
    language: str
    topic: str = ""


@dataclass
class Filled:
    """The fields of one submission (as kept in form_submissions.payload)."""

    intent: str
    name: str
    organisation: str
    email: str
    message: str
    language: str
    groups: list[str] = field(default_factory=list)
    topic: str = ""
    aim: str = ""


def build(filled: Filled, *, to: str, subject: str, confirmed_at: datetime | None = None) -> bytes:
    """The message a confirmed submission becomes: the visitor's words first, the fields
    the form asked for after a signature separator (so the classifier reads the words)."""
    msg = EmailMessage(policy=default_policy)
    msg["From"] = formataddr((filled.name, filled.email))
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(confirmed_at or datetime.now(UTC))
    msg["Message-ID"] = make_msgid(idstring="form", domain=filled.email.rsplit("@", 1)[1])
    msg["Content-Language"] = filled.language
    msg[CHANNEL_HEADER] = "form"
    msg[INTENT_HEADER] = filled.intent
    if filled.groups:
        msg[GROUPS_HEADER] = ", ".join(filled.groups)
    msg[LANGUAGE_HEADER] = filled.language
    parts = []
    if filled.topic:
        parts.append(filled.topic)
    if filled.aim:
        parts.append(filled.aim)
    if filled.message:
        parts.append(filled.message)
    fields = [
        "Sent with the online form; the address was confirmed by its owner.",
        f"Name: {filled.name}",
        f"Organisation: {filled.organisation}",
        f"Email: {filled.email}",
        f"Wants to: {filled.intent}",
    ]
    if filled.groups:
        fields.append(f"Groups: {', '.join(filled.groups)}")
    if filled.topic:
        fields.append(f"Proposed topic: {filled.topic}")
    if filled.aim:
        fields.append(f"Aim: {filled.aim}")
    fields.append(f"Language: {filled.language}")
    msg.set_content("\n\n".join(parts) + "\n\n-- \n" + "\n".join(fields) + "\n")
    return msg.as_bytes()


def choice_of(ctx: Context) -> Choice | None:
    """The visitor's choice, if this message came from the form (its delivery says so)."""
    if FORM_INBOX not in ctx.inboxes:
        return None
    headers = BytesHeaderParser(policy=default_policy).parsebytes(ctx.raw)
    if str(headers.get(CHANNEL_HEADER, "")).strip() != "form":
        return None
    intent = str(headers.get(INTENT_HEADER, "")).strip()
    if intent not in INTENTS:
        return None
    groups = tuple(g.strip() for g in str(headers.get(GROUPS_HEADER, "")).split(",") if g.strip())
    topic = ""
    if intent in ("propose", "facilitate") and ctx.mail is not None:
        topic = ctx.mail.body_text.split("\n\n", 1)[0].strip()
    return Choice(
        intent=intent,
        groups=groups,
        language=str(headers.get(LANGUAGE_HEADER, "en")).strip() or "en",
        topic=topic,
    )


def apply_choice(ctx: Context, env: Env) -> None:
    """After the classifier ran: the visitor's group and intent stand; where the classifier
    read the text otherwise, that is kept in the explanation and shown to staff."""
    choice = choice_of(ctx)
    if choice is None or not ctx.is_human:
        return
    d = ctx.decision
    read = {"group": d.group, "intent": d.intent, "confidence": d.confidence, "language": d.language}
    group = d.group
    if choice.intent == "join" and choice.groups:  # any number of groups: intake/group_set.py
        group, detail = group_set.chosen(list(choice.groups))
        d.explanation.setdefault("group", {}).update(detail)
    elif choice.intent == "propose" or (choice.intent == "facilitate" and not choice.groups):
        if not (d.group or "").startswith("new:"):
            text = choice.topic or (ctx.mail.body_text if ctx.mail else "")
            slug, _how = topic_slug(text, env.rules.directory, group_names(env.rules))
            group = f"new:{slug or 'other'}"
    elif choice.groups:
        group = choice.groups[0]
    disagreement = []
    if read["intent"] != choice.intent:
        disagreement.append(f"intent: the form says {choice.intent}, the text reads as {read['intent']}")
    if group != read["group"] and not (group or "").startswith("new:"):
        disagreement.append(f"group: the form says {group}, the text reads as {read['group']}")
    d.group, d.intent, d.language, d.confidence = group, choice.intent, choice.language, 1.0
    d.explanation["form"] = {
        "channel": "form",
        "chosen": {"intent": choice.intent, "groups": list(choice.groups), "language": choice.language},
        "classifier": read,
        "disagreement": disagreement,
    }
