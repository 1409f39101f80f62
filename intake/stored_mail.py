"""A message as the service parsed it, read back from the database.

The desk's "Preview replies" and "Decide" re-run the route and respond stages on a
request. They start from the stored parse instead of parsing the raw mail again: a
hostile message (a 4 MB subject of encoded words) then costs the desk nothing, and
the service's size and time limits (which only hold in its main thread) were already
applied when it was stored.
"""

from __future__ import annotations

import json

from intake.context import Attachment, ParsedMail
from intake.rows import MessageRow, RequestRow


def stored_mail(message: MessageRow, request: RequestRow) -> ParsedMail:
    """ParsedMail from a messages row (and its request, for a forward's original writer)."""

    def listed(value: str | None) -> list:
        return json.loads(value or "[]")

    forwarded = (
        (request["requester_name"] or "", request["requester_email"] or "")
        if request["forwarded_by"]
        else None
    )
    return ParsedMail(
        sender_email=message["sender_email"] or "",
        sender_name=message["sender_name"] or "",
        reply_to=message["reply_to"],
        recipients=listed(message["recipients"]),
        subject=message["subject"] or "",
        date=message["date"],
        body_text=message["body_text"] or "",
        attachments=[Attachment(**a) for a in listed(message["attachments"])],
        message_id=message["message_id"],
        in_reply_to=message["in_reply_to"],
        references=listed(message["references_"]),
        auth_results=listed(message["auth_results"]),
        headers=json.loads(message["headers"] or "{}"),
        content_types=[],
        notes=listed(message["parse_notes"]),
        forwarded_from=forwarded,
        auth_results_hops=listed(message["auth_results_hops"]),
    )
