"""The online form's submissions (intake/form.py, intake/form_token.py). See docs/design.md,
"Persistence"."""

from __future__ import annotations

from typing import cast

from intake.rows import SubmissionRow
from intake.store import Store


def recent(store: Store, *, ip: str | None = None, email: str | None = None, since: str) -> int:
    """Submissions since `since` from one IP address or one e-mail address."""
    column, value = ("ip", ip) if ip is not None else ("email", email)
    return int(
        store.scalar(
            f"SELECT COUNT(*) FROM form_submissions WHERE {column}=? AND created_at>=?", (value, since)
        )
    )


def by_token_hash(store: Store, token_hash: str) -> SubmissionRow | None:
    row = store.one("SELECT * FROM form_submissions WHERE token_hash=?", (token_hash,))
    return None if row is None else cast(SubmissionRow, dict(row))


def mark_confirmed(store: Store, submission_id: int, message_pk: int, at: str) -> bool:
    """Confirmed once: its content now lives in the message. False if it was confirmed already."""
    cursor = store.conn.execute(
        "UPDATE form_submissions SET confirmed_at=?, message_pk=?, payload='{}'"
        " WHERE id=? AND confirmed_at IS NULL",
        (at, message_pk, submission_id),
    )
    return cursor.rowcount == 1


def remove_expired(store: Store, now: str) -> int:
    """Remove submissions past their expiry; how many."""
    return store.conn.execute("DELETE FROM form_submissions WHERE expires_at < ?", (now,)).rowcount


def remove_of(store: Store, email: str) -> None:
    """Every submission from this address (an erasure)."""
    store.conn.execute("DELETE FROM form_submissions WHERE email=?", (email,))


def submission_with_nonce(store: Store, nonce: str) -> int | None:
    """The id of the submission a form token's nonce already made, if any (a replay)."""
    row = store.one("SELECT id FROM form_submissions WHERE nonce=?", (nonce,))
    return None if row is None else int(row["id"])


def language_of_link(store: Store, link_hash: str) -> str | None:
    """The language of the submission behind a confirmation link, if it still waits."""
    row = store.one("SELECT language FROM form_submissions WHERE token_hash=?", (link_hash,))
    return None if row is None else str(row["language"])
