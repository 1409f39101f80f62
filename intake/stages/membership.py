"""Membership stage: is the sender's organisation in the network, and can we trust it?

Matching: the exact contact address first, then the sender's domain equal to a
listed domain, then a subdomain of one (mail.stadt-x.de -> stadt-x.de). Only
whole DNS labels match, so look-alikes (stadt-x-de.com, stadt-x.de.evil.io,
region-stadt-x.de) never do. The trust policy decides whether an unauthenticated
match counts (see intake/trust.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from intake import form_mail, trust
from intake.context import Context, Env, Membership
from intake.store import Store

# the Context fields this stage uses, and those it produces (see intake/stage_view.py)
READS: tuple[str, ...] = ("raw", "mail", "inboxes")
WRITES: tuple[str, ...] = ("membership",)


@dataclass(frozen=True)
class RosterEntry:
    organisation: str
    membership: str
    domains: tuple[str, ...]
    contacts: tuple[str, ...]


class Roster:
    """The roster indexed by contact address and by domain: a match costs a few dict
    lookups (one per label of the sender's domain), however many organisations the
    network has. Where two organisations list the same address or domain, the first
    in roster order wins."""

    def __init__(self, entries: list[RosterEntry]) -> None:
        self._contacts: dict[str, RosterEntry] = {}
        self._domains: dict[str, RosterEntry] = {}
        for entry in entries:
            for contact in entry.contacts:
                self._contacts.setdefault(contact, entry)
            for domain in entry.domains:
                self._domains.setdefault(domain, entry)

    def match(self, email: str) -> tuple[RosterEntry | None, str]:
        """Return (entry, how): how is exact, domain, subdomain or none."""
        email = (email or "").strip().lower()
        if "@" not in email:
            return None, "none"
        if (entry := self._contacts.get(email)) is not None:
            return entry, "exact"
        domain = email.rsplit("@", 1)[1].rstrip(".")
        if (entry := self._domains.get(domain)) is not None:
            return entry, "domain"
        labels = domain.split(".")
        for i in range(1, len(labels)):  # the longest listed parent domain first
            if (entry := self._domains.get(".".join(labels[i:]))) is not None:
                return entry, "subdomain"
        return None, "none"


def load_roster(store: Store) -> Roster:
    """The roster as it is now (a few hundred rows at most: read for every message)."""
    return Roster(
        [
            RosterEntry(
                r["organisation"],
                r["membership"],
                tuple(d.lower() for d in json.loads(r["domains"])),
                tuple(c.lower() for c in json.loads(r["contact_emails"])),
            )
            for r in store.query("SELECT * FROM members ORDER BY organisation")
        ]
    )


def run(ctx: Context, env: Env) -> None:
    """Match every sender, machines included: staff like to see that an out-of-office or a
    read receipt came from a member; only a person's mail is ever answered."""
    if ctx.mail is None or not ctx.mail.sender_email:
        return
    sender = ctx.mail.sender_email
    if ctx.mail.forwarded_from and _same_org(ctx.mail.sender_email, ctx.mail.forwarded_from[1]):
        sender = ctx.mail.forwarded_from[1]
    entry, how = load_roster(env.store).match(sender)
    auth = trust.evaluate(ctx.raw, ctx.mail, env.config.trust)
    if form_mail.choice_of(ctx) is not None:  # the visitor proved the address by its link
        auth = trust.AuthResult(True, "address confirmed through the online form's mailed link")
    m = Membership(
        organisation=entry.organisation if entry else None,
        membership=entry.membership if entry else None,
        match=how,
        authenticated=auth.authenticated,
        auth_evidence=auth.evidence,
    )
    policy = env.config.trust.policy
    m.counts = entry is not None
    m.possible_spoof = auth.failed
    if auth.failed:  # under every policy: never a member while a trusted server says fail
        m.counts = False
        m.note = "possible spoof: authentication failed"
    elif entry is not None and policy == "off":
        m.note = "not checked (trust policy is off)"
    elif entry is not None and auth.authenticated is not True:
        if policy == "enforce" and how in ("domain", "subdomain"):
            m.counts = False
            m.note = "member domain not authenticated"
        else:
            m.note = "sender not verified"
    ctx.membership = m


def _same_org(a: str, b: str) -> bool:
    da, db = a.rsplit("@", 1)[-1], b.rsplit("@", 1)[-1]
    return da == db or da.endswith("." + db) or db.endswith("." + da)
