"""Telling staff and facilitators that requests wait (desk.notify, docs/desk.md).

Two ways, chosen in the config:
- "immediate": each request that enters the triage queue is announced at once, to the
  secretariat (smtp.staff_address) and to the facilitators of its group;
- "digest": once a day, on working days at desk.digest_time (web.timezone), each of them
  gets one mail listing the requests new since their last digest and those waiting longer
  than desk.overdue_days working days.
With "immediate" the daily digest still goes out when something is overdue (new requests
were announced already). Every notice is an outbox row with a dedupe key, queued in the
transaction that records it (desk_notices, desk_digests): a restart, a second service or
the CLI sends nothing twice, and the outbox sends each row at most once. Notices go to
staff and facilitators only, never to a requester, and carry Auto-Submitted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from intake import compose, queries_notify, register_mail, workdays
from intake.context import Env
from intake.queries_notify import WaitingRequest
from intake.web.access import groups_of

log = logging.getLogger("intake.notify")

NOTICE_WINDOW = timedelta(days=2)  # older requests are not announced one by one (outage, switch-on)
NO_BASE_URL = "Links are missing: set web.base_url in intake.toml to the desk's address."


@dataclass(frozen=True)
class Recipient:
    """Who is told: the secretariat (every waiting request) or a facilitator (their groups')."""

    address: str
    groups: tuple[str, ...] = ()  # empty: the secretariat, who see everything

    @property
    def is_staff(self) -> bool:
        return not self.groups


@dataclass(frozen=True)
class Item:
    """One request as a notice lists it."""

    request_id: int
    token: str
    link: str | None
    group: str
    reason: str
    language: str
    organisation: str
    waiting_days: int
    received: str  # local time, "2026-11-30 09:14"
    sender: str
    subject: str


@dataclass
class Digest:
    recipient: str
    day: str
    new: list[Item] = field(default_factory=list)
    overdue: list[Item] = field(default_factory=list)
    waiting_total: int = 0

    @property
    def empty(self) -> bool:
        return not (self.new or self.overdue)


# -- time -------------------------------------------------------------------------------


def zone(env: Env) -> ZoneInfo:
    return ZoneInfo(env.config.web.timezone)


def parse_stamp(stamp: str) -> datetime:
    """A stored UTC stamp (2026-11-26T01:02:03Z or with microseconds) as an aware datetime."""
    when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def stamp(when: datetime) -> str:
    """As the store writes times (intake.store.utcnow), so that they compare as text."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def waiting_days(request: WaitingRequest, now: datetime, tz: ZoneInfo) -> int:
    """Working days waited (intake/workdays.py: the queue counts the same way)."""
    since = workdays.local_date(parse_stamp(request.waiting_since), tz)
    return workdays.working_days(since, workdays.local_date(now, tz))


def digest_due(env: Env, now: datetime) -> bool:
    """On a working day, at or after desk.digest_time in web.timezone."""
    local = now.astimezone(zone(env))
    hour, minute = (int(x) for x in env.config.desk.digest_time.split(":"))
    return local.weekday() < 5 and local.time() >= time(hour, minute)


# -- who and what -----------------------------------------------------------------------


def desk_link(env: Env, request_id: int) -> str | None:
    """The request's page in the desk, absolute (None without web.base_url)."""
    base = env.config.web.base_url
    return f"{base}/requests/{request_id}" if base else None


def recipients(env: Env) -> list[Recipient]:
    """The secretariat, then each facilitator address with the groups it facilitates."""
    staff = env.config.smtp.staff_address.lower()
    by_address: dict[str, list[str]] = {}
    for group in env.rules.groups:
        for address in group.facilitators:
            if compose.safe_address(address) and address.lower() != staff:
                by_address.setdefault(address.lower(), []).append(group.id)
    return [Recipient(staff)] + [Recipient(a, tuple(sorted(g))) for a, g in sorted(by_address.items())]


def concerns(recipient: Recipient, request: WaitingRequest) -> bool:
    """Whether the recipient is told about the request: staff about every one; a
    facilitator about triage requests of their group; nobody about their own request."""
    if (request.requester_email or "").lower() == recipient.address:
        return False
    if recipient.is_staff:
        return True
    return request.status == "triage" and bool(
        set(groups_of(request.group_id, request.explanation)) & set(recipient.groups)
    )


def _group_name(env: Env, group_id: str | None) -> str:
    if not group_id or group_id == "none":
        return "no group"
    if group_id == "both":
        return "two groups"
    if group_id.startswith("new:"):
        return f"proposed topic: {group_id[4:]}"
    group = env.rules.group(group_id)
    return group.name if group else group_id


def item_of(env: Env, request: WaitingRequest, now: datetime) -> Item:
    tz = zone(env)
    return Item(
        request_id=request.id,
        token=request.token,
        link=desk_link(env, request.id),
        group=_group_name(env, request.group_id),
        reason=request.triage_reason or request.status,
        language=request.language or "?",
        organisation=request.organisation or "not in the roster",
        waiting_days=waiting_days(request, now, tz),
        received=parse_stamp(request.waiting_since).astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        sender=compose.header_text(request.requester_name or request.requester_email or "", 120),
        subject=compose.header_text(request.subject or "", 150),
    )


def build_digest(
    env: Env,
    recipient: Recipient,
    now: datetime,
    waiting: list[WaitingRequest],
    *,
    with_new: bool = True,
) -> Digest:
    """The recipient's digest of the day: new since their last digest (or the last day),
    and overdue (waiting more than desk.overdue_days working days), each oldest first."""
    day = now.astimezone(zone(env)).date().isoformat()
    last = queries_notify.last_digest(env.store, recipient.address)
    since = last.created_at if last else stamp(now - timedelta(days=1))
    digest = Digest(recipient=recipient.address, day=day)
    for request in waiting:
        if not concerns(recipient, request):
            continue
        digest.waiting_total += 1
        item = item_of(env, request, now)
        if item.waiting_days > env.config.desk.overdue_days:
            digest.overdue.append(item)
        elif with_new and request.created_at >= since:
            digest.new.append(item)
    return digest


# -- sending ----------------------------------------------------------------------------


def _variables(env: Env, **values: object) -> dict[str, object]:
    return {
        "overdue_days": env.config.desk.overdue_days,
        "no_base_url": "" if env.config.web.base_url else NO_BASE_URL,
        "queue_link": f"{env.config.web.base_url}/queue" if env.config.web.base_url else "",
        **values,
    }


def send_digests(
    env: Env, *, now: datetime | None = None, force: bool = False, dry_run: bool = False
) -> list[Digest]:
    """Queue today's digest for each recipient who has not had it (nothing to say: no
    mail, and no record, so a later run that day may still send one). force: also before
    desk.digest_time and on a weekend. Returns the digests queued (dry_run: that would be)."""
    now = now or datetime.now(UTC)
    if env.config.desk.notify == "off" or not (force or digest_due(env, now)):
        return []
    with_new = env.config.desk.notify == "digest"
    day = now.astimezone(zone(env)).date().isoformat()
    due = [r for r in recipients(env) if not queries_notify.digest_sent(env.store, r.address, day)]
    waiting = queries_notify.waiting_requests(env.store) if due else []
    queued = []
    for recipient in due:
        digest = build_digest(env, recipient, now, waiting, with_new=with_new)
        if digest.empty:
            continue
        queued.append(digest)
        if dry_run:
            continue
        with env.store.transaction():
            if queries_notify.digest_sent(env.store, recipient.address, day):
                continue  # another process was quicker
            outbox_id = register_mail.queue(
                env,
                key=f"desk-digest:{day}:{recipient.address}",
                request_id=None,
                kind="staff_notice",
                template="desk_digest",
                language="en",
                recipient=recipient.address,
                variables=_variables(
                    env,
                    day=day,
                    new=digest.new,
                    overdue=digest.overdue,
                    waiting_total=digest.waiting_total,
                    groups=[_group_name(env, g) for g in recipient.groups],
                ),
            )
            queries_notify.record_digest(
                env.store,
                recipient.address,
                day,
                outbox_id,
                len(digest.new),
                len(digest.overdue),
                stamp(now),
            )
        log.info("digest for %s: %d new, %d overdue", recipient.address, len(digest.new), len(digest.overdue))
    return queued


def announce(env: Env, *, now: datetime | None = None) -> int:
    """desk.notify = "immediate": one notice per recipient for each request that entered
    the triage queue in the last two days and was not announced yet. Returns the number
    of notices queued."""
    if env.config.desk.notify != "immediate":
        return 0
    now = now or datetime.now(UTC)
    since = stamp(now - NOTICE_WINDOW)
    everyone = recipients(env)
    count = 0
    for request in queries_notify.unannounced_requests(env.store, since):
        item = item_of(env, request, now)
        with env.store.transaction():
            sent = 0
            for recipient in everyone:
                if not concerns(recipient, request):
                    continue
                if queries_notify.has_staff_notice(env.store, request.id, recipient.address):
                    continue  # the pipeline's own notice (a proposal, an offer) told them
                outbox_id = register_mail.queue(
                    env,
                    key=f"desk-notice:{request.id}:{recipient.address}",
                    request_id=request.id,
                    kind="staff_notice",
                    template="desk_notice",
                    language="en",
                    recipient=recipient.address,
                    variables=_variables(env, item=item, for_group=not recipient.is_staff),
                )
                sent += outbox_id is not None
            queries_notify.record_announced(env.store, request.id, sent)
        count += sent
    return count


def run(env: Env, *, now: datetime | None = None) -> None:
    """The service's part, each cycle: announce new requests, and send the digest when due.
    A failure is logged and tried again next cycle; it never stops the service."""
    if env.config.desk.notify == "off":
        return
    try:
        announce(env, now=now)
        send_digests(env, now=now)
    except Exception:  # noqa: BLE001 - the loop must survive it; tried again next cycle
        log.exception("staff notices failed; trying again next cycle")
