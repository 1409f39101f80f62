"""Thread stage: does this message continue a conversation we already have?

A reply (In-Reply-To/References naming a stored message or a mail we sent, or
our request token such as [IG-12-5f3a9c01] in the subject) joins the existing
request instead of opening a new one, but only when its sender is part of that
conversation: the same address as someone who wrote in it or whom we wrote to,
or an authenticated mail from the request's organisation. Anyone else claiming
the conversation (a guessed token, a copied Message-ID) opens a new request that
goes to triage, and the attempt is recorded on both. Machine mail that answers
our mail (a bounce of an acknowledgement) is linked to the request, so staff see
"the reply bounced".
"""

from __future__ import annotations

import re

from intake import trust
from intake.context import Context, Env
from intake.screen_marks import OWN_MESSAGE_ID_MARK
from intake.stages import membership

# the Context fields this stage uses, and those it produces (see intake/stage_view.py)
READS: tuple[str, ...] = ("raw", "mail", "message_pk", "is_human")
WRITES: tuple[str, ...] = ("followup_of", "followup_refused", "linked_request", "thread_evidence")

# IG-12 (requests made before tokens had a random part) or IG-12-5f3a9c01
TOKEN = re.compile(r"\[(IG-\d+(?:-[0-9a-f]{8})?)\]", re.I)


def run(ctx: Context, env: Env) -> None:
    if ctx.mail is None:
        return
    found, evidence = find_request(ctx, env)
    if found is None:
        return
    if not ctx.is_human:
        ctx.thread_evidence = evidence
        ctx.linked_request = found
        return
    joined, why = participant(ctx, env, found)
    if not joined:
        ctx.thread_evidence = f"{evidence}; not joined: {why}"
        ctx.followup_refused = {"request_id": found, "evidence": evidence, "reason": why}
        return
    ctx.thread_evidence = f"{evidence}; {why}"
    ctx.followup_of = found


def find_request(ctx: Context, env: Env) -> tuple[int | None, str | None]:
    mail = ctx.mail
    assert mail is not None
    ids = [i for i in [mail.in_reply_to, *reversed(mail.references)] if i]
    if not ctx.is_human:  # a bounce quotes our Message-ID in its body or attached headers
        text = ctx.raw[:262144].decode("ascii", "replace")
        ids += re.findall(r"<([^<>\s]+" + re.escape(OWN_MESSAGE_ID_MARK) + r"[^<>\s]+)>", text)
    store = env.store
    for mid in ids:
        row = store.one("SELECT request_id FROM outbox WHERE message_id=?", (mid,))
        if row and row[0]:
            return row[0], f"replies to our mail <{mid}>"
        row = store.one(
            "SELECT request_id FROM messages WHERE message_id=? AND request_id IS NOT NULL AND id != ?",
            (mid, ctx.message_pk or -1),
        )
        if row and row[0]:
            return row[0], f"replies to stored message <{mid}>"
    token = TOKEN.search(mail.subject or "")
    if token:
        row = store.one("SELECT id FROM requests WHERE token=? COLLATE NOCASE", (token.group(1),))
        if row:
            return row[0], f"subject carries token [{token.group(1)}]"
    return None, None


def participants(env: Env, request_id: int) -> set[str]:
    """Every address that wrote in the conversation or that we wrote to about it."""
    store = env.store
    found = set()
    row = store.one("SELECT requester_email, forwarded_by FROM requests WHERE id=?", (request_id,))
    if row:
        found.update(v for v in row if v)
    found.update(
        r[0]
        for r in store.query(
            "SELECT sender_email FROM messages WHERE request_id=? AND sender_email IS NOT NULL"
            " AND role IN ('request', 'followup')",
            (request_id,),
        )
    )
    found.update(r[0] for r in store.query("SELECT recipient FROM outbox WHERE request_id=?", (request_id,)))
    return {a.strip().lower() for a in found if a}


def participant(ctx: Context, env: Env, request_id: int) -> tuple[bool, str]:
    """(joins, why): the same address as a participant, or authenticated mail from the
    request's organisation. A trusted server's explicit authentication failure for the
    sender's domain (a possible spoof) never joins, whatever the address."""
    mail = ctx.mail
    assert mail is not None
    sender = (mail.sender_email or "").strip().lower()
    if not sender:
        return False, "no sender address"
    auth = trust.evaluate(lambda: ctx.raw, mail, env.config.trust)
    if auth.failed:
        return False, f"sender failed authentication (possible spoof): {auth.evidence}"
    if sender in participants(env, request_id):
        return True, "sender is a participant"
    row = env.store.one("SELECT organisation FROM requests WHERE id=?", (request_id,))
    entry, _ = membership.load_roster(env.store).match(sender)
    if row and row[0] and entry is not None and entry.organisation == row[0]:
        if auth.authenticated is True:
            return True, f"authenticated mail from the same organisation ({row[0]})"
        return False, f"same organisation ({row[0]}) but the mail is not authenticated"
    return False, f"{sender} is not a participant of the conversation"
