"""Reading mail headers: RFC 2047 decoding done right, addresses, ids, dates, and the
headers screening looks at. Used by the parse stage; no MIME walking here."""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime
from email.header import Header, decode_header, make_header
from email.message import Message
from typing import Any

SCREEN_HEADERS = (
    "auto-submitted",
    "precedence",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "list-id",
    "list-unsubscribe",
    "list-post",
    "return-path",
    "x-failed-recipients",
    "x-spam-flag",
    "x-spam-status",
    "content-type",
    "x-loop",
    "x-intake-loop",
    "feedback-id",
    "x-mailer",
    "x-ms-exchange-generated-message-source",
    "x-mailgun-tag",
    "x-campaign",
    "x-precedence",
    "delivered-to",
    "thread-topic",
    "x-original-to",
    "x-ms-exchange-inbox-rules-loop",
    "message-id",
    "list-help",
    "x-report-abuse",
    "x-csa-complaints",
)
_SCREEN_SET = frozenset(SCREEN_HEADERS)


def header_str(value: Any) -> str:
    """A header value as text. Raw 8-bit bytes in a header (RFC 6532 allows UTF-8 there;
    older mailers send Latin-1 or Windows-1252) reach us as an email.header.Header of
    "unknown-8bit" chunks, which str() turns into U+FFFD: they are read as UTF-8 when they
    are UTF-8, else as Windows-1252 (decode_bytes)."""
    if not isinstance(value, Header):
        return "" if value is None else str(value)
    return "".join(
        data
        if isinstance(data, str)
        else decode_bytes(data, charset if charset not in (None, "unknown-8bit") else "utf-8")
        for data, charset in decode_header(value)
    )


def decode_bytes(data: bytes, charset: str) -> str:
    """Bytes as text in the charset they claim, else UTF-8, else Windows-1252, else
    Latin-1 (which never fails): mail mislabels its charset often."""
    for candidate in (charset, "utf-8", "cp1252"):
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


def decode_text_header(value: Any) -> str:
    """Decode RFC 2047 words as the RFC says: whitespace between encoded words drops,
    whitespace next to plain text stays. Undecodable bytes never raise."""
    if value is None:
        return ""
    text = unfold(header_str(value))
    if "=?" not in text:
        decoded = text  # no encoded word: decoding would return it as it is
    else:
        try:
            decoded = str(make_header(decode_header(text)))
        except Exception:  # noqa: BLE001 - unknown charset, broken base64 ...
            decoded = text
    if "\x1b" in decoded:
        decoded = fix_escape_charset(decoded)
    return re.sub(r"[\r\n\t]+", " ", decoded).strip()


def unfold(text: str) -> str:
    """A folded header value on one line."""
    return re.sub(r"\r?\n[ \t]+", " ", text).replace("\r", "").replace("\n", " ")


def squash(text: str) -> str:
    """Without any white space: to compare two decodings that differ only in spacing."""
    return re.sub(r"\s+", "", text)


_MAILBOX = re.compile(r"^[^@\s]+@(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])$")


_ANGLE_ADDRESS = re.compile(r"<([^<>@\s]+@[^<>@\s]+)>")


def all_addresses(values: list[Any]) -> list[str]:
    """Every address in these headers (To and Cc), lower-case, in order."""
    texts = [decode_text_header(v) for v in values]
    return [a.lower() for _, a in email.utils.getaddresses(texts) if "@" in a]


def first_address(value: Any) -> tuple[str, str]:
    """(display name, lower-case address) of the first address in a header.

    The address list is split before the names are decoded: an encoded name may hold a
    comma ("=?iso-8859-1?Q?Kr=F6ger=2C_Sabine?=" is "Kröger, Sabine"). A header whose
    address itself sits inside an encoded word (seen from broken mailers) is decoded
    first, as a fallback."""
    raw = unfold(header_str(value))
    if not raw.strip():
        return "", ""  # absent (Reply-To mostly is)
    for text, decode_name in ((raw, True), (decode_text_header(value), False)):
        pairs = [(name, addr.strip()) for name, addr in email.utils.getaddresses([text]) if "@" in addr]
        if not pairs:
            continue
        # a stray "@" in a garbled name ("@0 <anna@city.example>") reads as an address of
        # its own: the first one that looks like a mailbox wins, else the first at all
        name, addr = next((pair for pair in pairs if _MAILBOX.match(pair[1])), pairs[0])
        name = decode_text_header(name) if decode_name else name
        return name.strip().strip('"').strip(), addr.lower()
    # Python 3.13's address parser refuses a garbled list as a whole ("@0 <anna@x.eu>"
    # gives nothing); the mailbox in angle brackets is still the writer's
    angle = _ANGLE_ADDRESS.search(raw)
    if angle and _MAILBOX.match(angle.group(1)):
        return decode_text_header(raw[: angle.start()]).strip().strip('"').strip(), angle.group(1).lower()
    pairs = email.utils.getaddresses([decode_text_header(value)])
    return (pairs[0][0] if pairs else ""), ""


def single_mailbox(values: list[Any]) -> bool:
    """Whether a message's From is one mailbox: one From header naming one address (not a
    list, not a group, not empty). Only then is there one writer to answer."""
    if len(values) != 1:
        return False
    raw = unfold(header_str(values[0]))
    # a stray "@" in a garbled name ("@0 <anna@city.example>") is not a second mailbox
    found = [addr for _, addr in email.utils.getaddresses([raw]) if _MAILBOX.match(addr.strip())]
    if not found:  # Python 3.13 refuses a garbled list whole: count the mailboxes in <...>
        found = [a for a in _ANGLE_ADDRESS.findall(raw) if _MAILBOX.match(a)]
    return len(found) == 1


def message_id_of(value: Any) -> str | None:
    """The id inside <...>, or the bare value a sloppy mailer wrote."""
    found = re.search(r"<([^<>\s]+)>", str(value or ""))
    if found:
        return found.group(1)
    text = str(value or "").strip()
    return text or None


def parsed_date(parsed: Any) -> str | None:
    """mail-parser's reading of the Date header, in UTC (it also honours an offset that
    follows a comment, "00:19:00 (EDT) -0400", which the standard library drops)."""
    when = getattr(parsed, "date", None)
    if not isinstance(when, datetime):
        return None
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def header_date(value: Any) -> str | None:
    """A Date header in UTC by the standard library (when mail-parser could not read it)."""
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def screen_headers(msg: Message) -> dict[str, str]:
    """The first value of each screening header, in SCREEN_HEADERS order (one pass over
    the headers, not one scan per name)."""
    found: dict[str, str] = {}
    for name, value in msg.items():
        key = name.lower()
        if key in _SCREEN_SET and key not in found:
            found[key] = unfold(str(value))[:500]
    return {name: found[name] for name in SCREEN_HEADERS if name in found}


def fix_escape_charset(text: str) -> str:
    """Decode text that still carries ISO-2022 escape sequences (mail-parser's fault)."""
    try:
        data = text.encode("latin-1")
    except UnicodeEncodeError:
        return text
    for charset in ("iso-2022-jp", "iso-2022-jp-2", "iso-2022-kr"):
        try:
            return data.decode(charset)
        except UnicodeDecodeError:
            continue
    return text
