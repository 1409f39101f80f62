"""How intake marks its own mail, so the screen stage recognises it coming back."""

from __future__ import annotations

LOOP_HEADER_NAME = "X-Intake-Loop"
OWN_MESSAGE_ID_MARK = ".intake@"


def own_message_id(unique: str, domain: str) -> str:
    """Our Message-ID (without <>): recognisable, unique, on the sending domain."""
    return f"{unique}{OWN_MESSAGE_ID_MARK}{domain}"
