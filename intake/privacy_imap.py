"""`intake privacy erase --imap`: delete a person's original mails from the IMAP server.

Runs before the database is erased (afterwards the Message-IDs that find a moved mail
are gone): if the server cannot be reached, nothing is erased and the command can be
run again. A mail is found by the UID stored at delivery (when the folder's UIDVALIDITY
is unchanged) and by its Message-ID in the inbox folder and the folder mail is moved
to; a Message-ID hit is checked exactly (IMAP HEADER search matches substrings), so
nobody else's mail is ever deleted.
"""

from __future__ import annotations

import email
import ssl
from email.policy import compat32

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from intake import mailbox
from intake import queries_privacy as q_privacy
from intake.config import Config, InboxConfig
from intake.store import Store

_MESSAGE_ID = b"BODY[HEADER.FIELDS (MESSAGE-ID)]"


class ImapEraseError(Exception):
    """The server could not be reached or refused; nothing was erased."""


def delete_originals(config: Config, store: Store, message_pks: list[int]) -> int:
    """Delete these stored messages' originals from every inbox that received them;
    returns how many were deleted."""
    rows = q_privacy.deliveries_of(store, message_pks)
    deleted = 0
    for inbox in config.inboxes:
        mine = [r for r in rows if r["inbox"] == inbox.name]
        if not mine:
            continue
        client = None
        try:
            client = mailbox.connect(inbox)
            deleted += _delete_in(client, inbox, mine)
        except mailbox.MailboxError as exc:
            raise ImapEraseError(f"{exc}; nothing was erased") from None
        except (OSError, IMAPClientError, ssl.SSLError) as exc:
            raise ImapEraseError(
                f"inbox {inbox.name!r}: deleting failed"
                f" ({exc.__class__.__name__}: {exc}); nothing was erased"
                " in the database, run the command again"
            ) from None
        finally:
            mailbox.close(client)
    return deleted


def _delete_in(client: IMAPClient, inbox: InboxConfig, rows: list) -> int:  # noqa: ANN001
    message_ids = {r["message_id"] for r in rows if r["message_id"]}
    folders = list(
        dict.fromkeys([r["folder"] for r in rows] + ([inbox.move_to] if inbox.on_handled == "move" else []))
    )
    deleted = 0
    for folder in folders:
        if not client.folder_exists(folder):
            continue
        selected = client.select_folder(folder)
        uidvalidity = int(selected[b"UIDVALIDITY"])
        uids = {r["uid"] for r in rows if r["folder"] == folder and r["uidvalidity"] == uidvalidity}
        uids &= set(client.search(["UID", ",".join(map(str, sorted(uids)))])) if uids else set()
        for message_id in message_ids:
            uids |= _by_message_id(client, message_id)
        if uids:
            client.delete_messages(sorted(uids), silent=True)
            client.uid_expunge(sorted(uids))
            deleted += len(uids)
    return deleted


def _by_message_id(client: IMAPClient, message_id: str) -> set[int]:
    candidates = client.search(["HEADER", "Message-ID", message_id])
    if not candidates:
        return set()
    found = set()
    for uid, data in client.fetch(candidates, [_MESSAGE_ID.replace(b"BODY", b"BODY.PEEK")]).items():
        header = email.message_from_bytes(data.get(_MESSAGE_ID, b""), policy=compat32)
        if (header["Message-ID"] or "").strip().strip("<>") == message_id:
            found.add(uid)
    return found
