"""Read queries of the online form's submissions (intake/form.py, intake/form_token.py)."""

from __future__ import annotations

from intake.store import Store


def submission_with_nonce(store: Store, nonce: str) -> int | None:
    """The id of the submission a form token's nonce already made, if any (a replay)."""
    row = store.one("SELECT id FROM form_submissions WHERE nonce=?", (nonce,))
    return None if row is None else int(row["id"])


def language_of_link(store: Store, link_hash: str) -> str | None:
    """The language of the submission behind a confirmation link, if it still waits."""
    row = store.one("SELECT language FROM form_submissions WHERE token_hash=?", (link_hash,))
    return None if row is None else str(row["language"])
