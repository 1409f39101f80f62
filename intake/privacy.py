"""Access and erasure for one person (GDPR articles 15 and 17): find, export, erase.

A person is found by their address: the requests they started (as writer, or as the
original writer of a forward), every message of those requests and the machine mail
linked to them (a bounce of our reply quotes it), mail they sent on other requests,
outgoing mail about them or to them, roster rows naming them, and events about any of
these or whose personal details name the address.

Erasure keeps every row's shape so counts and reports still add up: the address and
name become a stable pseudonym, HMAC-SHA256 of the address under a key kept outside
the database (privacy.pseudonym_key_*). The same person erased twice gets the same
pseudonym; the database alone cannot be searched for a guessed address; destroying
the key makes the pseudonyms anonymous. Content (raw mail, bodies, subjects, headers,
attachments, outgoing copies, staff notes) is removed, not pseudonymised. See
docs/privacy.md for the reasoning.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import os
import re
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from intake.config import Config
from intake.store import Store, utcnow

log = logging.getLogger("intake.privacy")

PSEUDONYM_DOMAIN = "erased.invalid"  # RFC 2606: can never be a real mailbox
ERASED_TEXT = "[erased]"
# event_personal keys that hold an address (kept if it is someone else's, e.g. the
# facilitator a request was forwarded to); every other personal key is free text
ADDRESS_KEYS = ("recipient", "sender", "email")
UNSENT = ("queued", "failed", "uncertain")  # outgoing mail an erasure suppresses


class PrivacyError(Exception):
    """The request cannot be done (no key, bad address); one line for the user."""


@dataclass
class Footprint:
    """Row ids of everything the database holds about one address."""

    address: str
    names: list[str] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)  # they started these
    linked_requests: list[int] = field(default_factory=list)  # machine mail about those
    forwarded_requests: list[int] = field(default_factory=list)  # they forwarded these
    messages: list[int] = field(default_factory=list)
    outbox: list[int] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    members: list[int] = field(default_factory=list)  # roster rows naming them
    mentioned_in: list[int] = field(default_factory=list)  # others' mail copying them

    def counts(self) -> dict[str, int]:
        return {k: len(v) for k, v in asdict(self).items() if isinstance(v, list) and k != "names"}

    @property
    def empty(self) -> bool:
        return not (
            self.requests
            or self.messages
            or self.outbox
            or self.members
            or self.events
            or self.forwarded_requests
            or self.mentioned_in
        )


def normalise(address: str) -> str:
    addr = (address or "").strip().lower()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", addr):
        raise PrivacyError(f"not an email address: {address!r}")
    return addr


def _ids(store: Store, sql: str, params: tuple = ()) -> list[int]:
    return [r[0] for r in store.query(sql, params)]


def _in(ids: list[int]) -> tuple[str, str]:
    """(SQL fragment, parameter) for `column IN` a list of ids."""
    return "(SELECT value FROM json_each(?))", json.dumps(ids)


def find(store: Store, address: str) -> Footprint:
    addr = normalise(address)
    fp = Footprint(address=addr)
    fp.requests = _ids(store, "SELECT id FROM requests WHERE lower(requester_email)=? ORDER BY id", (addr,))
    unread = _unread_mail_of(store, addr)
    fp.requests = sorted(set(fp.requests) | {rid for _, rid in unread if rid is not None})
    ids, rq = _in(fp.requests)
    fp.linked_requests = _ids(
        store, f"SELECT id FROM requests WHERE linked_request IN {ids} ORDER BY id", (rq,)
    )
    fp.forwarded_requests = _ids(
        store,
        f"SELECT id FROM requests WHERE lower(forwarded_by)=? AND id NOT IN {ids} ORDER BY id",
        (addr, rq),
    )
    every, every_p = _in(fp.requests + fp.linked_requests)
    fp.messages = _ids(
        store,
        f"SELECT id FROM messages WHERE request_id IN {every}"
        " OR lower(sender_email)=? OR lower(reply_to)=? OR id IN (SELECT value FROM json_each(?))"
        " ORDER BY id",
        (every_p, addr, addr, json.dumps([pk for pk, _ in unread])),
    )
    fp.outbox = _ids(
        store,
        f"SELECT id FROM outbox WHERE request_id IN {every} OR lower(recipient)=? ORDER BY id",
        (every_p, addr),
    )
    msgs, msgs_p = _in(fp.messages)
    reqs, reqs_p = _in(fp.requests + fp.linked_requests + fp.forwarded_requests)
    fp.events = _ids(
        store,
        "SELECT e.id FROM events e LEFT JOIN event_personal p"
        f" ON p.event_id=e.id WHERE e.request_id IN {reqs} OR e.message_pk IN"
        f" {msgs} OR instr(lower(p.data), ?) ORDER BY e.id",
        (reqs_p, msgs_p, addr),
    )
    fp.members = [
        r["id"]
        for r in store.query("SELECT id, contact_emails FROM members")
        if addr in json.loads(r["contact_emails"] or "[]")
    ]
    fp.mentioned_in = _ids(
        store,
        f"SELECT id FROM messages WHERE id NOT IN {msgs} AND"
        " (instr(lower(recipients), ?) OR lower(reply_to)=?) ORDER BY id",
        (msgs_p, json.dumps(addr), addr),
    )
    names = store.query(
        "SELECT requester_name FROM requests WHERE lower(requester_email)=?"
        " UNION SELECT sender_name FROM messages WHERE lower(sender_email)=?",
        (addr, addr),
    )
    fp.names = sorted({r[0].strip() for r in names if r[0] and r[0].strip()})
    return fp


def _unread_mail_of(store: Store, address: str) -> list[tuple[int, int | None]]:
    """(message, request) of mail whose fields were never parsed (not processed yet,
    shunted, unparseable) and whose raw bytes name the address: it is theirs too."""
    found = []
    for row in store.query(
        "SELECT id, request_id FROM messages WHERE status IN ('stored', 'shunted', 'unparseable')"
        " OR sender_email IS NULL"
    ):
        raw = store.raw_of(row["id"])
        if raw is not None and address.encode() in raw.lower():
            found.append((row["id"], row["request_id"]))
    return found


# -- access --------------------------------------------------------------------------------


def export(store: Store, address: str, out: Path, *, actor: str) -> Footprint:
    """Write a zip: person.json (every row about them) and their mail as .eml files
    (mail/received/<message id>.eml, mail/sent/<outbox id>.eml). The export is an event
    in the audit trail (the address kept in its personal details, erasable like any)."""
    fp = find(store, address)
    requests, linked = _rows(store, "requests", fp.requests), _rows(store, "requests", fp.linked_requests)
    messages = _rows(store, "messages", fp.messages)
    outgoing = _rows(store, "outbox", fp.outbox)
    ev, ev_p = _in(fp.events)
    document = {
        "address": fp.address,
        "names": fp.names,
        "exported_at": utcnow(),
        "requests": requests,
        "machine_mail_about_their_requests": linked,
        # a forward is about someone else: only what concerns the forwarder
        "requests_they_forwarded": [
            {k: r[k] for k in ("id", "token", "created_at", "status", "group_id", "forwarded_by")}
            for r in _rows(store, "requests", fp.forwarded_requests)
        ],
        "messages": messages,
        "outgoing_mail": [{k: v for k, v in o.items() if k != "raw"} for o in outgoing],
        # a roster row lists other contacts too: only the organisation and their own entry
        "roster": [
            {
                "organisation": m["organisation"],
                "country": m["country"],
                "membership": m["membership"],
                "contact_email": fp.address,
            }
            for m in _rows(store, "members", fp.members)
        ],
        "events": store.event_rows(f"e.id IN {ev}", (ev_p,)),
        "mentioned_in_other_mail": [
            {"message": m["id"], "request": m["request_id"], "date": m["date"]}
            for m in _rows(store, "messages", fp.mentioned_in)
        ],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for m in messages:
            raw = store.raw_of(m["id"])
            m["eml"] = f"mail/received/{m['id']}.eml" if raw is not None else None
            if raw is not None:
                zf.writestr(m["eml"], raw)
        for o in outgoing:
            if o["raw"] and o["recipient"].lower() == fp.address:
                zf.writestr(f"mail/sent/{o['id']}.eml", o["raw"])
        zf.writestr("person.json", json.dumps(document, indent=2, ensure_ascii=False, default=str))
    # personal data: readable by the operator only (the umask may be looser)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(buffer.getvalue())
    with store.transaction():
        store.event("privacy_exported", actor=actor, email=fp.address, **fp.counts())
    return fp


def _rows(store: Store, table: str, ids: list[int]) -> list[dict[str, Any]]:
    sql, param = _in(ids)
    rows = []
    for row in store.query(f'SELECT * FROM "{table}" WHERE id IN {sql} ORDER BY id', (param,)):
        item = dict(row)
        for key, value in item.items():
            if isinstance(value, str) and value[:1] in "[{":
                try:
                    item[key] = json.loads(value)
                except ValueError:
                    pass
        rows.append(item)
    return rows


# -- erasure -------------------------------------------------------------------------------


@dataclass
class Erasure:
    pseudonym: str
    counts: dict[str, int]
    kept_in_roster: int = 0  # roster rows still naming them (without --roster)
    mentioned_in: int = 0  # others' raw mail that copies them (kept)
    imap_deleted: int = 0
    file_clean: bool = True  # the log was emptied into the file
    dry_run: bool = False


def pseudonym_for(config: Config, address: str) -> str:
    key = config.privacy.pseudonym_key.resolve()
    if not key or len(key) < 16:
        raise PrivacyError(
            "no pseudonym key (or shorter than 16 characters): set privacy.pseudonym_key_file"
            " (a 0600 file of 32+ random characters, e.g. `openssl rand -hex 32`) or"
            " privacy.pseudonym_key_env in the config; see docs/privacy.md"
        )
    digest = hmac.new(key.encode(), normalise(address).encode(), hashlib.sha256).hexdigest()
    return f"erased-{digest[:16]}"


def erase(
    store: Store,
    config: Config,
    address: str,
    *,
    actor: str,
    roster: bool = False,
    imap: bool = False,
    dry_run: bool = False,
) -> Erasure:
    """Remove the person's personal data everywhere, keeping rows (and so counts) with
    a pseudonym in place of the address and name; then rebuild the file so the removed
    bytes are gone from it. One transaction: all or nothing. With imap, the original
    mails are deleted from the server first (a failure there erases nothing)."""
    pseudonym = pseudonym_for(config, address)
    fp = find(store, address)
    result = Erasure(
        pseudonym=pseudonym,
        counts=fp.counts(),
        dry_run=dry_run,
        kept_in_roster=0 if roster else len(fp.members),
        mentioned_in=len(fp.mentioned_in),
    )
    if dry_run:
        return result
    if imap:
        from intake.privacy_imap import ImapEraseError, delete_originals

        try:
            result.imap_deleted = delete_originals(config, store, fp.messages)
        except ImapEraseError as exc:
            raise PrivacyError(str(exc)) from None
    scrub = _Scrubber(fp.address, fp.names, pseudonym)
    now = utcnow()
    with store.transaction():
        _erase_requests(store, fp, scrub)
        _erase_messages(store, fp, scrub, now, config)
        _erase_outbox(store, fp, scrub, now)
        _erase_events(store, fp, scrub)
        # the online form's submissions waiting for (or past) confirmation (docs/form.md)
        store.conn.execute("DELETE FROM form_submissions WHERE email=?", (fp.address.lower(),))
        if roster:
            _erase_roster(store, fp)
        for pk in fp.mentioned_in:  # others' mail copying them: the parsed copy only
            row = store.one("SELECT recipients, reply_to FROM messages WHERE id=?", (pk,))
            store.update(
                "messages",
                pk,
                {"recipients": scrub.json(row["recipients"]), "reply_to": scrub.text(row["reply_to"])},
            )
        counts = {
            **fp.counts(),
            "roster_rows_changed": len(fp.members) if roster else 0,
            "imap_deleted": result.imap_deleted,
        }
        store.insert(
            "erasures", {"at": now, "actor": actor, "pseudonym": pseudonym, "counts": json.dumps(counts)}
        )
        store.event("privacy_erased", actor=actor, pseudonym=pseudonym, **counts)
    log.info("erased a person (now %s) at %s's request: %s", pseudonym, actor, counts)
    result.file_clean = store.compact(vacuum=True)
    if config.mail_copy_dir:
        remove_mail_copies(config.mail_copy_dir, fp.outbox)
    return result


class _Scrubber:
    """Replaces the address and names in text and JSON by the pseudonym."""

    def __init__(self, address: str, names: list[str], pseudonym: str) -> None:
        self.address = f"{pseudonym}@{PSEUDONYM_DOMAIN}"
        self.name = pseudonym
        words = [address] + sorted((n for n in names if len(n) >= 3), key=len, reverse=True)
        self.pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
        self.plain = address

    def text(self, value: str | None) -> str | None:
        if value is None:
            return None
        return self.pattern.sub(
            lambda m: self.address if m.group(0).lower() == self.plain else self.name, value
        )

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        return value

    def json(self, text: str | None) -> str | None:
        if text is None:
            return None
        try:
            return json.dumps(self.value(json.loads(text)), ensure_ascii=False)
        except ValueError:
            return self.text(text)


def _erase_requests(store: Store, fp: Footprint, scrub: _Scrubber) -> None:
    for rid in fp.requests + fp.linked_requests + fp.forwarded_requests:
        row = store.one("SELECT * FROM requests WHERE id=?", (rid,))
        own = rid in fp.requests
        store.update(
            "requests",
            rid,
            {
                "requester_email": scrub.address if own else row["requester_email"],
                "requester_name": scrub.name if own else row["requester_name"],
                "forwarded_by": scrub.text(row["forwarded_by"]),
                "auth_evidence": None if own else scrub.text(row["auth_evidence"]),
                "explanation": scrub.json(row["explanation"]),
                "triage_reason": scrub.text(row["triage_reason"]),
            },
        )


def _erase_messages(store: Store, fp: Footprint, scrub: _Scrubber, now: str, config: Config) -> None:
    key = (config.privacy.pseudonym_key.resolve() or "").encode()
    for pk in fp.messages:
        row = store.one(
            "SELECT message_key, sender_email, sender_name, status, status_reason FROM messages WHERE id=?",
            (pk,),
        )
        theirs = (row["sender_email"] or "").lower() == fp.address
        waiting = row["status"] == "stored"  # its raw goes now: the pipeline must not run it
        store.update(
            "messages",
            pk,
            {
                "message_key": "erased:"
                + hmac.new(key, row["message_key"].encode(), hashlib.sha256).hexdigest(),
                "message_id": None,
                "sha256": "",
                "redacted": f"erasure {now}",
                "sender_email": scrub.address if theirs else row["sender_email"],
                "sender_name": scrub.name if theirs else scrub.text(row["sender_name"]),
                "reply_to": None,
                "recipients": "[]",
                "subject": None,
                "body_text": None,
                "attachments": "[]",
                "in_reply_to": None,
                "references_": "[]",
                "auth_results": "[]",
                "auth_results_hops": "[]",
                "headers": "{}",
                "parse_notes": "[]",
                "screening_evidence": "[]",
                "status": "unparseable" if waiting else row["status"],
                "status_reason": "erased before it was processed"
                if waiting
                else scrub.text(row["status_reason"]),
            },
        )
    ids, param = _in(fp.messages)
    store.conn.execute(f"DELETE FROM message_raw WHERE message_pk IN {ids}", (param,))


def _erase_outbox(store: Store, fp: Footprint, scrub: _Scrubber, now: str) -> None:
    for oid in fp.outbox:
        row = store.one(
            "SELECT recipient, rate_mailbox, dedupe_key, last_error, status FROM outbox WHERE id=?", (oid,)
        )
        unsent = row["status"] in UNSENT  # its content is gone: it must never go out now
        store.update(
            "outbox",
            oid,
            {
                "raw": b"",
                "redacted": f"erasure {now}",
                "recipient": scrub.text(row["recipient"]),
                "rate_mailbox": scrub.text(row["rate_mailbox"]),
                "dedupe_key": scrub.text(row["dedupe_key"]),
                "status": "suppressed" if unsent else row["status"],
                "last_error": "erased before it was sent" if unsent else scrub.text(row["last_error"]),
            },
        )


def _erase_events(store: Store, fp: Footprint, scrub: _Scrubber) -> None:
    """The events rows stay as they are (append-only); their personal details are
    replaced: on the person's own requests and messages every free text is removed
    (a staff note may name them in ways no search finds) and addresses become the
    pseudonym; elsewhere only the address and names are replaced."""
    about = set(fp.requests + fp.linked_requests + fp.forwarded_requests)
    messages = set(fp.messages)
    ids, param = _in(fp.events)
    for row in store.query(
        "SELECT e.id, e.request_id, e.message_pk, p.data FROM events e"
        f" JOIN event_personal p ON p.event_id=e.id WHERE e.id IN {ids}",
        (param,),
    ):
        data = json.loads(row["data"])
        if row["request_id"] in about or row["message_pk"] in messages:
            data = {k: scrub.value(v) if k in ADDRESS_KEYS else ERASED_TEXT for k, v in data.items()}
        else:
            data = scrub.value(data)
        store.conn.execute(
            "UPDATE event_personal SET data=? WHERE event_id=?",
            (json.dumps(data, ensure_ascii=False), row["id"]),
        )


def _erase_roster(store: Store, fp: Footprint) -> None:
    for mid in fp.members:
        row = store.one("SELECT contact_emails FROM members WHERE id=?", (mid,))
        contacts = [c for c in json.loads(row["contact_emails"]) if c.lower() != fp.address]
        store.update("members", mid, {"contact_emails": json.dumps(contacts), "updated_at": utcnow()})


def remove_mail_copies(directory: Path, outbox_ids: list[int]) -> int:
    """Delete the .eml copies service.mail_copy_dir holds of these outgoing mails."""
    removed = 0
    for oid in outbox_ids:
        for path in Path(directory).glob(f"{oid:04d}-*.eml"):
            path.unlink(missing_ok=True)
            removed += 1
    return removed
