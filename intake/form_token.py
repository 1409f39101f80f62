"""The online form's CSRF token: a signed, time-limited hidden field, no cookie needed.

The form may be shown in an iframe on the network's site (docs/form.md, "Embedding"). A
browser does not send the desk's SameSite=Lax session cookie into a cross-site frame, so
the form cannot keep its CSRF token in the session like the desk does. Instead each page
carries a token that is its own proof: HMAC-SHA256 (itsdangerous, keyed with the web app's
secret) over what it is for, a random nonce, when the form was first shown, and when the
token was made. The server checks it on every POST of the form's pages:

- missing or tampered (signature wrong, made for another page): refused (400);
- expired (older than MAX_AGE): nothing happens; the page is shown again with a new token;
- replayed: a submission records its token's nonce (form_submissions.nonce, unique), so
  one token makes at most one submission; a confirmation link confirms once by itself.

`shown_at` is the time the form was first shown. A form shown again (with its errors)
keeps it, so the minimum time to fill in counts from the first view, not the last.
The threat model is in docs/security.md.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "intake.form-token"
MAX_AGE = 24 * 3600  # a page left open longer than a day is shown again with a new token
SUBMIT = "interest"  # the purpose of the form's own token; a confirmation page's is confirm_purpose()


class TokenError(Exception):
    """The POST's token cannot be used; `kind` is missing, tampered or expired."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass(frozen=True)
class Token:
    """What a valid token says."""

    purpose: str
    nonce: str
    shown_at: float


def _serializer(key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key, salt=SALT, signer_kwargs={"digest_method": hashlib.sha256})


def confirm_purpose(link_hash: str) -> str:
    """A confirmation page's token is good for that link only."""
    return f"confirm:{link_hash}"


def issue(key: str, purpose: str, *, shown_at: float | None = None) -> str:
    """A new token for a page; `shown_at` carries over the first view of a form shown again."""
    shown = time.time() if shown_at is None else shown_at
    payload = {"p": purpose, "n": secrets.token_urlsafe(16), "s": shown}
    return _serializer(key).dumps(payload)


def check(key: str, token: str | None, purpose: str, *, max_age: int = MAX_AGE) -> Token:
    """The token's content if it is genuine, made for `purpose` and not too old; TokenError if not.
    (Whether it was used before is for its page to say: see the module's docstring.)"""
    if not token:
        raise TokenError("missing")
    try:
        payload = _serializer(key).loads(token, max_age=max_age)
    except SignatureExpired:
        raise TokenError("expired") from None
    except BadSignature:
        raise TokenError("tampered") from None
    if not isinstance(payload, dict) or payload.get("p") != purpose:
        raise TokenError("tampered")
    nonce, shown_at = payload.get("n"), payload.get("s")
    if not isinstance(nonce, str) or not isinstance(shown_at, int | float):
        raise TokenError("tampered")
    return Token(purpose=purpose, nonce=nonce, shown_at=float(shown_at))
