"""Confirmation links for facilitators: signed, expiring, single-use, no account needed.

The token is an itsdangerous signature over a random link id (salted apart from the
session cookies); the link row says which participant it is for and, once used, when
and by whom. The page behind the link shows the request and acts only on a POST:
mail scanners open links, they do not submit forms.
"""

from __future__ import annotations

import secrets
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from intake import queries_register as q_register
from intake.config import Config
from intake.register import WAITING, RegisterError, participant
from intake.store import Store, utcnow

SALT = "intake.participant-link"


def signing_key(config: Config, store: Store) -> str:
    """The web desk's secret (config, else the random key kept in the database): the
    service signs links with the key the desk checks them with."""
    configured = config.web.secret_key.resolve()
    if configured:
        return configured
    with store.transaction():
        return q_register.setting(store, "web_secret", default=secrets.token_urlsafe(48))


def _serializer(config: Config, store: Store) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_key(config, store), salt=SALT)


def new_token(config: Config, store: Store, participant_id: int) -> str:
    link_id = secrets.token_urlsafe(12)
    store.insert(
        "participant_links", {"id": link_id, "participant_id": participant_id, "created_at": utcnow()}
    )
    return _serializer(config, store).dumps(link_id)


def url_for_token(config: Config, token: str) -> str | None:
    return f"{config.web.base_url}/p/{token}" if config.web.base_url else None


def check(config: Config, store: Store, token: str) -> tuple[Any, Any]:
    """(link row, participant row) of a valid, unused token whose participant still
    waits for an answer; RegisterError saying why not otherwise."""
    try:
        link_id = _serializer(config, store).loads(token.strip(), max_age=config.register.link_days * 86400)
    except SignatureExpired:
        raise RegisterError("this link has expired; ask the secretariat for a new one") from None
    except BadSignature:
        raise RegisterError("this link is not valid (incomplete or altered)") from None
    link = q_register.link(store, link_id)
    if link is None:
        raise RegisterError("this link is not valid (unknown)")
    if link["used_at"]:
        raise RegisterError(f"this link was already used ({link['action']}, {link['used_at'][:16]})")
    row = participant(store, link["participant_id"])
    if row["status"] not in WAITING:
        raise RegisterError(f"this request was already answered: {row['status']}")
    return link, row


def mark_used(store: Store, link_id: str, action: str, actor: str) -> None:
    """Spend the link (in the caller's transaction, with the decision itself)."""
    if not q_register.spend_link(store, link_id, at=utcnow(), actor=actor, action=action):
        raise RegisterError("this link was already used")
