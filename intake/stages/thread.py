"""Thread stage: does this message continue a conversation we already have?

A reply (In-Reply-To/References naming a stored message or a mail we sent, or
our request token such as [IG-12] in the subject) joins the existing request
instead of opening a new one. Machine mail that answers our mail (a bounce of
an acknowledgement) is linked to the request, so staff see "the reply bounced".
"""

from __future__ import annotations

import re

from intake.context import Context, Env
from intake.screen_marks import OWN_MESSAGE_ID_MARK

TOKEN = re.compile(r"\[IG-(\d+)\]", re.I)


def run(ctx: Context, env: Env) -> None:
    if ctx.mail is None:
        return
    found, evidence = find_request(ctx, env)
    if found is None:
        return
    ctx.thread_evidence = evidence
    if ctx.is_human:
        ctx.followup_of = found
    else:
        ctx.linked_request = found


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
        row = store.one("SELECT request_id FROM messages WHERE message_id=? AND request_id"
                        " IS NOT NULL AND id != ?", (mid, ctx.message_pk or -1))
        if row and row[0]:
            return row[0], f"replies to stored message <{mid}>"
    token = TOKEN.search(mail.subject or "")
    if token:
        row = store.one("SELECT id FROM requests WHERE id=?", (int(token.group(1)),))
        if row:
            return row[0], f"subject carries token [IG-{token.group(1)}]"
    return None, None
