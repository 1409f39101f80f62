"""The online form's submissions: checked, kept unconfirmed, confirmed by the mailed link.

Nothing reaches staff or facilitators before the visitor proves the address: a submission
waits in form_submissions and only the confirmation mail goes out. The link's page
confirms on a POST (mail scanners open links; they do not submit forms). Confirming
writes the submission as a message (intake/form_mail.py), stores it through the store's
normal delivery path under the pseudo-inbox "form", and runs it through the pipeline.

Against abuse, without third-party captchas: a honeypot field (a bot that fills it gets
the usual answer, and nothing is stored or sent), a signed timestamp (a form sent faster
than a person can fill it is refused), and limits per IP address and per email address.
Unconfirmed submissions are removed after [form] expire_days.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import time
import tomllib
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from intake import compose, form_mail, pipeline, register_links, register_mail
from intake.context import Env
from intake.form_mail import FORM_INBOX, INTENTS, Filled
from intake.paths import default_dir
from intake.store import Store, utcnow

log = logging.getLogger("intake.form")

STRINGS_FILE = default_dir("templates") / "web" / "form_strings.toml"
TIMESTAMP_SALT = "intake.form-started"
MAX_FORM_AGE = 24 * 3600  # a form left open longer than a day is shown again
LIMITS = {"name": 200, "organisation": 200, "email": 254, "message": 5000, "topic": 200, "aim": 1000}
_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


class FormError(Exception):
    """A confirmation link that cannot be used; its message is shown to the visitor."""


@dataclass
class Outcome:
    """What a submission came to. `shown` is the same for every outcome but `invalid`: a
    bot learns nothing from the answer."""

    status: str  # pending | honeypot | too_fast | limited | invalid
    errors: dict[str, str]
    submission_id: int | None = None


# -- page strings -----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _all_strings(path: Path = STRINGS_FILE) -> dict[str, dict[str, str]]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def languages() -> list[str]:
    """The languages the page is offered in: every language intake answers mail in."""
    mail = default_dir("templates") / "mail"
    return sorted(p.name for p in mail.iterdir() if p.is_dir())


def strings(language: str) -> dict[str, str]:
    """The page's texts in `language`; a string not (yet) written there is English."""
    table = _all_strings()
    return {**table["en"], **table.get(language, {})}


def missing_strings(language: str) -> list[str]:
    """Keys of the English strings that `language` lacks (the report and a test read it)."""
    table = _all_strings()
    return sorted(set(table["en"]) - set(table.get(language, {})))


# -- the signed start time --------------------------------------------------------------------


def _serializer(env: Env) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(register_links.signing_key(env.config, env.store), salt=TIMESTAMP_SALT)


def started_token(env: Env) -> str:
    """The hidden field that says when the form was shown, signed so it cannot be made up."""
    return _serializer(env).dumps(time.time())


def _seconds_since(env: Env, token: str) -> float | None:
    try:
        shown = float(_serializer(env).loads(token, max_age=MAX_FORM_AGE))
    except (BadSignature, ValueError, TypeError):
        return None
    return time.time() - shown


# -- submitting -------------------------------------------------------------------------------


def read(values: dict[str, Any], language: str, open_groups: set[str]) -> tuple[Filled, dict[str, str]]:
    """The submission and, per field, what is wrong with it (keys of the page strings)."""
    text = {k: str(values.get(k, "") or "").strip()[:limit] for k, limit in LIMITS.items()}
    groups = [g for g in values.get("groups", []) if g in open_groups]
    filled = Filled(
        intent=str(values.get("intent", "")),
        name=text["name"],
        organisation=text["organisation"],
        email=text["email"].lower(),
        message=text["message"],
        language=language,
        groups=groups,
        topic=text["topic"],
        aim=text["aim"],
    )
    errors = {}
    if filled.intent not in INTENTS:
        errors["intent"] = "error_intent"
    elif filled.intent == "join" and not groups:
        errors["groups"] = "error_groups"
    elif filled.intent == "propose" and not filled.topic:
        errors["topic"] = "error_topic"
    if not filled.name:
        errors["name"] = "error_name"
    if not filled.organisation:
        errors["organisation"] = "error_organisation"
    if not _EMAIL.match(filled.email) or compose.safe_address(filled.email) is None:
        errors["email"] = "error_email"
    if filled.intent in ("question", "facilitate") and not filled.message:
        errors["message"] = "error_message"
    if values.get("consent") != "yes":
        errors["consent"] = "error_consent"
    return filled, errors


def submit(
    env: Env,
    values: dict[str, Any],
    *,
    ip: str,
    language: str,
    confirm_base: str,
    open_groups: set[str],
    now: datetime | None = None,
) -> Outcome:
    """Check a submission; keep it unconfirmed and queue the confirmation mail, or drop it
    quietly (honeypot, too fast, over a limit). The event says which, without the content."""
    store = env.store
    now = now or datetime.now(UTC)
    filled, errors = read(values, language, open_groups)
    if str(values.get("website", "")).strip():  # the honeypot: hidden from people
        return _dropped(store, "honeypot")
    if filled.email == env.config.smtp.from_address.lower():
        errors["email"] = "error_email"  # intake's own address: its mail would be screened as a loop
    if errors:  # shown again (nothing is kept or sent), however fast it came
        return Outcome("invalid", errors)
    elapsed = _seconds_since(env, str(values.get("started", "")))
    if elapsed is None or elapsed < env.config.form.min_seconds:
        return _dropped(store, "too_fast")
    with store.transaction():
        expire(store, now=now)
        hour_ago = _stamp(now - timedelta(hours=1))
        day_ago = _stamp(now - timedelta(days=1))
        by_ip = store.one(
            "SELECT COUNT(*) FROM form_submissions WHERE ip=? AND created_at>=?", (ip, hour_ago)
        )[0]
        by_email = store.one(
            "SELECT COUNT(*) FROM form_submissions WHERE email=? AND created_at>=?", (filled.email, day_ago)
        )[0]
        if by_ip >= env.config.form.per_ip_per_hour or by_email >= env.config.form.per_email_per_day:
            store.event(
                "form_dropped",
                actor="form",
                why="limit",
                limit="ip" if by_ip >= env.config.form.per_ip_per_hour else "email",
            )
            return Outcome("limited", {})
        secret = secrets.token_urlsafe(24)
        submission_id = store.insert(
            "form_submissions",
            {
                "token_hash": secret_hash(secret),
                "email": filled.email,
                "ip": ip,
                "language": language,
                "payload": json.dumps(asdict(filled), ensure_ascii=False),
                "created_at": _stamp(now),
                "expires_at": _stamp(now + timedelta(days=env.config.form.expire_days)),
            },
        )
        register_mail.queue(
            env,
            key=f"form:{submission_id}:confirm",
            request_id=None,
            kind="form_confirm",
            template="form_confirm",
            language=language,
            recipient=filled.email,
            variables={
                "sender_name": filled.name,
                "link": f"{confirm_base}/{secret}",
                "expire_days": env.config.form.expire_days,
                "staff_address": env.config.smtp.staff_address,
            },
        )
        store.event(
            "form_submitted", actor="form", submission=submission_id, intent=filled.intent, language=language
        )
    return Outcome("pending", {}, submission_id)


def _dropped(store: Store, why: str) -> Outcome:
    """Nothing stored, nothing sent; an event (without content) lets staff see bot traffic."""
    with store.transaction():
        store.event("form_dropped", actor="form", why=why)
    log.info("form submission dropped: %s", why)
    return Outcome(why, {})


# -- confirming -------------------------------------------------------------------------------


def pending(store: Store, secret: str, *, now: datetime | None = None) -> Any:
    """The unconfirmed, unexpired submission behind a link; FormError otherwise."""
    row = store.one("SELECT * FROM form_submissions WHERE token_hash=?", (secret_hash(secret),))
    if row is None:
        raise FormError("error_link_unknown")
    if row["confirmed_at"]:
        raise FormError("error_link_used")
    if row["expires_at"] < _stamp(now or datetime.now(UTC)):
        raise FormError("error_link_expired")
    return row


def confirm(env: Env, secret: str) -> int | None:
    """Store the submission as a message (once), then run it through the pipeline.
    Returns the request id (None if the pipeline shunted it: staff see it in triage)."""
    store = env.store
    with store.transaction():
        row = pending(store, secret)
        filled = Filled(**json.loads(row["payload"]))
        subject = strings(filled.language)["mail_subject"]
        raw = form_mail.build(filled, to=env.config.smtp.from_address, subject=subject)
        message_pk, _new = store.store_delivery(
            inbox=FORM_INBOX, folder="web", uidvalidity=1, uid=row["id"], raw=raw, internal_date=utcnow()
        )
        cursor = store.conn.execute(
            "UPDATE form_submissions SET confirmed_at=?, message_pk=?, payload='{}'"
            " WHERE id=? AND confirmed_at IS NULL",
            (utcnow(), message_pk, row["id"]),
        )
        if cursor.rowcount != 1:
            raise FormError("error_link_used")
        store.event("form_confirmed", actor="form", message_pk=message_pk, submission=row["id"])
    pipeline.process(env, message_pk)  # returns None if the service ran it first: same result
    request_id = store.one("SELECT request_id FROM messages WHERE id=?", (message_pk,))["request_id"]
    with store.transaction():
        _note_disagreement(store, request_id, message_pk)
        delivery = store.query(
            "SELECT id FROM deliveries WHERE message_pk=? AND inbox=? AND filed_at IS NULL",
            (message_pk, FORM_INBOX),
        )
        if delivery:  # nothing to file away on a mail server
            store.mark_filed([d["id"] for d in delivery], "form")
    return request_id


def _note_disagreement(store: Store, request_id: int | None, message_pk: int) -> None:
    """Where the classifier read the text otherwise than the visitor chose, a note on the
    request says so (read from the recorded decision, whoever ran the pipeline; once)."""
    if request_id is None:
        return
    row = store.one("SELECT explanation FROM requests WHERE id=?", (request_id,))
    said = (
        json.loads(row["explanation"] or "{}").get("classification", {}).get("form", {}).get("disagreement")
    )
    if not said or store.one(
        "SELECT 1 FROM events WHERE request_id=? AND kind='note' AND actor='form'", (request_id,)
    ):
        return
    store.event(
        "note",
        actor="form",
        request_id=request_id,
        message_pk=message_pk,
        note="The visitor's choice was taken as given; the classifier read the text otherwise: "
        + "; ".join(said),
    )


def expire(store: Store, *, now: datetime | None = None) -> int:
    """Remove submissions past their expiry (retention): unconfirmed ones with their content,
    confirmed ones (whose content is in their message by then) with the address and IP
    address the limits counted. The number removed."""
    cursor = store.conn.execute(
        "DELETE FROM form_submissions WHERE expires_at < ?",
        (_stamp(now or datetime.now(UTC)),),
    )
    return cursor.rowcount


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
