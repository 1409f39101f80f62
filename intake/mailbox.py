"""IMAP: connect, fetch new mail incrementally, file handled mail away.

Reading never marks mail \\Seen (BODY.PEEK[]), and nothing is flagged or moved
until the message is stored and handled. The checkpoint (UIDVALIDITY, last UID)
advances in the same transaction that stores each message, so a crash at any
point resumes exactly where it stopped.
"""

from __future__ import annotations

import logging
import socket
import ssl
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from intake.config import InboxConfig
from intake.store import Store
from intake.tls import client_context

log = logging.getLogger("intake.mailbox")


class MailboxError(Exception):
    """An inbox could not be reached or read; one line for the log, retried later."""


@dataclass
class PollResult:
    inbox: str
    fetched: int = 0
    new: int = 0
    skipped_fetch: bool = False  # nothing new according to STATUS: no FETCH was sent
    stopped: bool = False  # the service was stopping: the rest waits for the next start


def connect(inbox: InboxConfig) -> IMAPClient:
    """Open and log in; every failure becomes a MailboxError naming the inbox."""
    where = f"inbox {inbox.name!r} ({inbox.host}:{inbox.port})"
    try:
        context = client_context() if inbox.security != "none" else None
        client = IMAPClient(
            inbox.host,
            port=inbox.port,
            ssl=inbox.security == "tls",
            ssl_context=context,
            timeout=inbox.timeout,
            use_uid=True,
        )
        _no_delay(client)
        if inbox.security == "starttls":
            client.starttls(context)
        if inbox.oauth2 is not None:
            _oauth2_login(client, inbox, where)
            return client
        password = inbox.password.resolve()
        if password is None:
            raise MailboxError(f"{where}: no password available (check password_env/password_file)")
        client.login(inbox.username, password)
        return client
    except LoginError:
        raise MailboxError(
            f"{where}: login failed for user {inbox.username!r}; check the username and password"
        ) from None
    except (ConnectionRefusedError, TimeoutError) as exc:
        raise MailboxError(
            f"{where}: cannot connect ({exc.__class__.__name__}: {exc});"
            " is the server running and the port right?"
        ) from None
    except (OSError, IMAPClientError, ssl.SSLError) as exc:
        raise MailboxError(f"{where}: {exc.__class__.__name__}: {exc}") from None


def _oauth2_login(client: IMAPClient, inbox: InboxConfig, where: str) -> None:
    """SASL XOAUTH2 or OAUTHBEARER with a token from intake/oauth.py (never logged)."""
    from intake import oauth

    def login(token: str) -> None:
        if inbox.oauth2.mechanism == "OAUTHBEARER":
            client.oauthbearer_login(inbox.username, token)
        else:
            client.oauth2_login(inbox.username, token)

    try:
        oauth.with_token(inbox.oauth2, login, LoginError)
    except oauth.OAuthError as exc:
        raise MailboxError(f"{where}: {exc}") from None
    except LoginError:
        raise MailboxError(
            f"{where}: the server refused the OAuth2 token for {inbox.username!r}"
            f" (oauth2 {inbox.oauth2.name}); check the app's permissions for this"
            " mailbox"
        ) from None


def _no_delay(client: IMAPClient) -> None:
    """Small commands (APPEND, FETCH) crawl with Nagle's algorithm on loopback."""
    try:
        client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):
        pass


def close(client: IMAPClient | None) -> None:
    if client is None:
        return
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - a dead connection is fine to drop
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001
            pass


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def poll(
    client: IMAPClient, inbox: InboxConfig, store: Store, stop: Callable[[], bool] | None = None
) -> PollResult:
    """Fetch every message above the checkpoint into the store, batch by batch (one
    commit per batch). `stop()` is asked between batches: a service told to stop does
    not download the rest of a large import first (the checkpoint then stays at the
    last stored message).
    """
    result = PollResult(inbox=inbox.name)
    folder = inbox.folder
    try:
        status = client.folder_status(folder, [b"UIDVALIDITY", b"UIDNEXT"])
        uidvalidity = int(status[b"UIDVALIDITY"])
        uidnext = int(status[b"UIDNEXT"])
        checkpoint = store.checkpoint(inbox.name, folder)
        last_uid = 0
        if checkpoint is not None and checkpoint["uidvalidity"] == uidvalidity:
            last_uid = checkpoint["last_uid"]
            if uidnext <= last_uid + 1:
                result.skipped_fetch = True
                return result
        elif checkpoint is not None and checkpoint["uidvalidity"] not in (0, uidvalidity):
            log.warning(
                "inbox %s folder %s: UIDVALIDITY changed %s -> %s; re-scanning"
                " (messages already stored are not stored again)",
                inbox.name,
                folder,
                checkpoint["uidvalidity"],
                uidvalidity,
            )
            with store.transaction():
                store.event(
                    "uidvalidity_changed",
                    inbox=inbox.name,
                    folder=folder,
                    old=checkpoint["uidvalidity"],
                    new=uidvalidity,
                )
        client.select_folder(folder, readonly=True)
        uids = sorted(u for u in client.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid)
        progress = _progress(len(uids), inbox.name)
        for batch in _chunks(uids, inbox.batch_size):
            if stop is not None and stop():
                result.stopped = True
                if progress is not None:
                    progress.close()
                return result
            response = client.fetch(batch, ["BODY.PEEK[]", "INTERNALDATE", "FLAGS"])
            present = [uid for uid in batch if uid in response]
            # (a uid missing from the response was expunged between SEARCH and FETCH)
            fetched = [
                (uid, bytes(response[uid].get(b"BODY[]") or b""), _iso(response[uid].get(b"INTERNALDATE")))
                for uid in present
            ]
            with store.transaction():  # one commit per batch
                results = store.store_batch(
                    inbox=inbox.name, folder=folder, uidvalidity=uidvalidity, fetched=fetched
                )
                handled = [
                    pk
                    for uid, (pk, is_new) in zip(present, results, strict=True)
                    if is_new and _has_flag(response[uid], inbox.flag_keyword)
                ]
                if handled:
                    store.mark_handled_before(handled, inbox.flag_keyword)
            stored = [pk for pk, is_new in results if is_new]
            result.fetched += len(results)
            result.new += len(stored)
            if progress is not None:
                progress.update(len(batch))
        if progress is not None:
            progress.close()
        with store.transaction():
            store.set_checkpoint(inbox.name, folder, uidvalidity, max([last_uid, *uids]), uidnext)
        return result
    except (OSError, IMAPClientError, ssl.SSLError) as exc:
        raise MailboxError(
            f"inbox {inbox.name!r} folder {folder!r}: {exc.__class__.__name__}: {exc}"
        ) from None


def _progress(total: int, name: str):  # noqa: ANN202
    """A progress bar for long first imports, on a terminal only (never in logs)."""
    if total < 500 or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=f"fetching {name}", unit="msg")


def file_away(client: IMAPClient, inbox: InboxConfig, store: Store, *, page: int = 500) -> int:
    """Flag or move every handled delivery of this inbox; the last step for a message.
    Works a page of deliveries at a time, each page recorded as filed once the server
    has it, so a large first import is never held in memory and a failure keeps what
    was done."""
    folder = inbox.folder
    filed = 0
    action = f"flag {inbox.flag_keyword}" if inbox.on_handled == "flag" else f"move {inbox.move_to}"
    try:
        status = client.folder_status(folder, [b"UIDVALIDITY"])
        uidvalidity = int(status[b"UIDVALIDITY"])
        while rows := store.unfiled_deliveries(inbox.name, folder, uidvalidity, limit=page):
            if not filed:
                problem = keyword_problem(inbox, client.select_folder(folder, readonly=False))
                if problem:  # never flag in vain: the deliveries stay unfiled, the error logged
                    raise MailboxError(problem)
                if inbox.on_handled != "flag" and not client.folder_exists(inbox.move_to):
                    client.create_folder(inbox.move_to)
            uids = [r["uid"] for r in rows]
            if inbox.on_handled == "flag":
                client.add_flags(uids, [inbox.flag_keyword.encode()], silent=True)
            else:
                if client.has_capability("MOVE"):
                    client.move(uids, inbox.move_to)
                else:
                    client.copy(uids, inbox.move_to)
                    client.delete_messages(uids, silent=True)
                    if client.has_capability("UIDPLUS"):
                        client.uid_expunge(uids)
                    else:  # without UIDPLUS only a plain EXPUNGE exists
                        client.expunge()
            store.mark_filed([r["id"] for r in rows], action)
            filed += len(rows)
        if filed:
            with store.transaction():
                store.event("filed", inbox=inbox.name, folder=folder, count=filed, action=action)
        return filed
    except (OSError, IMAPClientError, ssl.SSLError) as exc:
        raise MailboxError(
            f"inbox {inbox.name!r}: filing away failed after {filed}: {exc.__class__.__name__}: {exc}"
        ) from None


def keyword_problem(inbox: InboxConfig, selected: dict) -> str | None:
    """Why this server cannot keep our handled keyword (from the PERMANENTFLAGS that
    SELECT answered), or None. Exchange Online keeps no custom keywords: there mail
    must be moved (on_handled = "move") or it would be flagged in vain every cycle."""
    if inbox.on_handled != "flag" or b"PERMANENTFLAGS" not in selected:
        return None  # RFC 3501: no PERMANENTFLAGS means every flag can be kept
    permanent = {bytes(f).lower() for f in selected.get(b"PERMANENTFLAGS", ())}
    if b"\\*" in permanent or inbox.flag_keyword.encode().lower() in permanent:
        return None
    shown = " ".join(sorted(f.decode(errors="replace") for f in permanent)) or "none"
    return (
        f"inbox {inbox.name!r}: the server cannot keep the keyword {inbox.flag_keyword}"
        f' (PERMANENTFLAGS: {shown}); set on_handled = "move" for this inbox'
    )


def check_keyword(inbox: InboxConfig) -> str | None:
    """At service start: the keyword_problem of a flagging inbox, or None (also when the
    inbox cannot be reached now: the first poll reports that)."""
    if inbox.on_handled != "flag":
        return None
    client = None
    try:
        client = connect(inbox)
        return keyword_problem(inbox, client.select_folder(inbox.folder, readonly=False))
    except (MailboxError, OSError, IMAPClientError, ssl.SSLError):
        return None
    finally:
        close(client)


def _has_flag(data: dict, keyword: str) -> bool:
    """Whether a FETCH response's FLAGS hold this keyword (IMAP keywords ignore case)."""
    wanted = keyword.lower().encode()
    return any(flag.lower() == wanted for flag in data.get(b"FLAGS") or ())


def _iso(value: object) -> str | None:
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.astimezone()
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
