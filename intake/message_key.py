"""The key that recognises one message across deliveries and inboxes."""

from __future__ import annotations

import hashlib


def message_key(raw: bytes) -> tuple[str, str | None]:
    """The dedup key: the Message-ID, or a hash of what stays the same across deliveries.

    Trace headers (Received, Delivered-To, Return-Path, X-*) differ between two
    copies of one message, so the synthetic key hashes only the author's headers
    and the body.
    """
    head, _, body = raw.partition(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.partition(b"\n\n")
    fields = _header_fields(head)
    mid = fields.get("message-id", "").strip().strip("<>").strip()
    if mid and len(mid) < 900 and " " not in mid:
        return f"mid:{mid.lower()}", mid
    digest = hashlib.sha256()
    for name in ("from", "to", "cc", "date", "subject"):
        digest.update(name.encode() + b":" + fields.get(name, "").encode("utf-8", "replace"))
    digest.update(b"\n" + body.replace(b"\r\n", b"\n"))
    return f"synthetic:{digest.hexdigest()}", None


def _header_fields(head: bytes) -> dict[str, str]:
    """First occurrence of each header, unfolded, decoded leniently. No MIME parsing."""
    fields: dict[str, str] = {}
    current: str | None = None
    for line in head.replace(b"\r\n", b"\n").split(b"\n"):
        text = line.decode("utf-8", "replace")
        if text[:1] in (" ", "\t"):
            if current is not None:
                fields[current] += " " + text.strip()
            continue
        name, sep, value = text.partition(":")
        if not sep:
            current = None
            continue
        current = name.strip().lower()
        if current in fields:
            current = None  # keep the first occurrence only
            continue
        fields[current] = value.strip()
    return fields
