"""The Interest Group register: groups, participants, and topics on their way to a group.

Why in the database: rules/groups.toml defines the groups of a fresh install, but what
happens to them afterwards (who joined, who confirmed, which proposed topic became a
group, which group closed) is history the secretariat must be able to list and explain.
`sync_rules` seeds the table from the rules; `effective_rules` gives the classifier the
rulebook plus what the register changed (open topic groups, closed groups).

Every participant status change is a row in participant_changes and an event.
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime
from typing import Any

from intake import queries_register as q_register
from intake.context import Context, Env
from intake.cue_index import CueIndex
from intake.rows import GroupRow, ParticipantRow
from intake.rulebook import Cues, Group, Rulebook, compile_cue
from intake.store import Store, utcnow

GROUP_STATUSES = ("proposed", "open", "closed")
PARTICIPANT_STATUSES = ("requested", "forwarded", "confirmed", "declined", "left")
WAITING = ("requested", "forwarded")  # the facilitator has not answered yet
THRESHOLD = 3  # member organisations a topic needs (plus a facilitator) to start
INTEREST_KINDS = ("propose", "facilitate", "join")


class RegisterError(Exception):
    """A register action cannot be done; one line for the user."""


def stamp(now: datetime | None = None) -> str:
    """A timestamp as the store writes them (utcnow), for an injected clock."""
    return utcnow() if now is None else now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# -- groups ----------------------------------------------------------------------------------


def sync_rules(store: Store, rules: Rulebook) -> None:
    """Seed the register from rules/groups.toml: new groups are added; a rules group's
    names, facilitators, inboxes and cues follow the file; its status, once in the
    register, is the register's (staff close and reopen groups there)."""
    now = utcnow()
    with store.transaction():
        for group in rules.groups:
            cues: dict[str, list[str]] = {}
            for cue in group.cues:
                cues.setdefault(cue.language, []).append(("!" if cue.strong else "") + cue.text)
            values = {
                "name": group.name,
                "names": json.dumps(group.names, ensure_ascii=False),
                "facilitators": json.dumps(list(group.facilitators)),
                "inboxes": json.dumps(list(group.inboxes)),
                "cues": json.dumps(cues, ensure_ascii=False),
            }
            q_register.upsert_rules_group(store, group.id, group.status, now, values)


def effective_rules(rules: Rulebook, store: Store) -> Rulebook:
    """The rulebook the classifier and router use: the rules' groups with the status the
    register gives them, plus every open group started from a topic, with its cues."""
    rows = {r["id"]: r for r in q_register.groups(store)}
    groups = []
    for group in rules.groups:
        row = rows.get(group.id)
        if row is not None and row["source"] == "topic":
            continue  # rebuilt from the register below (its cues may have been edited)
        status = "closed" if row is not None and row["status"] == "closed" else group.status
        groups.append(group if status == group.status else dataclasses.replace(group, status=status))
    known = {g.id for g in groups}
    for row in rows.values():
        if row["source"] == "topic" and row["status"] in ("open", "closed") and row["id"] not in known:
            groups.append(_topic_group(row))
    if (
        len(groups) == len(rules.groups)
        and all(a is b for a, b in zip(groups, rules.groups, strict=True))
        and not any(r["source"] == "topic" and r["status"] != "proposed" for r in rows.values())
    ):
        return rules
    every_cue = [c for g in groups for c in g.cues]
    every_cue += [c for table in (rules.intent_cues, rules.topics) for cues in table.values() for c in cues]
    return dataclasses.replace(rules, groups=tuple(groups), cue_index=CueIndex(c.literal for c in every_cue))


def _topic_group(row: Any) -> Group:
    cues = []
    for language, items in json.loads(row["cues"]).items():
        for item in items:
            try:
                cues.append(compile_cue(item, language, where=f"register group {row['id']}"))
            except (ValueError, re.error):
                continue  # edit_cues validates; a bad stored cue is skipped, not fatal
    return Group(
        id=row["id"],
        name=row["name"],
        short_name=row["name"],
        status=row["status"],
        inboxes=tuple(json.loads(row["inboxes"])),
        facilitators=tuple(json.loads(row["facilitators"])),
        names=json.loads(row["names"]),
        aliases=(row["topic"],) if row["topic"] else (),
        cues=Cues(cues),
    )


def group_row(store: Store, group_id: str) -> GroupRow:
    row = q_register.group(store, group_id)
    if row is None:
        raise RegisterError(f"no group {group_id!r}; see `intake groups list`")
    return row


def topic_id(topic: str) -> str:
    """The register id of a classifier topic (new:social_inclusion -> social-inclusion)."""
    return re.sub(r"[^a-z0-9]+", "-", topic.strip().lower()).strip("-") or "other"


def _merged_target(store: Store, group_id: str) -> str:
    seen = {group_id}
    while True:
        target = q_register.merged_into(store, group_id)
        if not target or target in seen:
            return group_id
        group_id = target
        seen.add(group_id)


def ensure_topic(store: Store, topic: str) -> str:
    """The proposed group of a topic (created on first interest), after merges."""
    gid = topic_id(topic)
    if not q_register.group_exists(store, gid):
        now = utcnow()
        store.insert(
            "register_groups",
            {
                "id": gid,
                "topic": topic,
                "name": topic.replace("_", " ").capitalize(),
                "status": "proposed",
                "source": "topic",
                "created_at": now,
                "updated_at": now,
            },
        )
        store.event("topic_proposed", group=gid)
    return _merged_target(store, gid)


# -- what the pipeline tells the register -----------------------------------------------------


def note_request(ctx: Context, env: Env) -> None:
    """Record what a decided request means for the register (same transaction):
    a forwarded member join is a `forwarded` participant; a proposal, offer or join for
    a topic that is not yet a group counts towards that topic."""
    if ctx.request_id is None or ctx.mail is None or not ctx.is_human or ctx.followup_of:
        return
    d = ctx.decision
    forwards = {p.recipient.lower() for p in ctx.planned if p.kind == "forward"}
    if d.intent == "join" and forwards and ctx.membership.organisation:
        from intake.stages import route

        for group in route.groups_of(d, env):
            if {f.lower() for f in group.facilitators} & forwards:
                _forwarded_join(ctx, env, group.id, ctx.membership.organisation)
        return
    if d.intent == "unsubscribe" and ctx.membership.organisation:
        _leave(ctx, env)
        return
    topic = _topic_of(ctx, env)
    if topic is None:
        return
    gid = ensure_topic(env.store, topic)
    if group_row(env.store, gid)["status"] != "proposed":
        return
    requester_name, requester_email = ctx.mail.forwarded_from or (ctx.mail.sender_name, ctx.mail.sender_email)
    m = ctx.membership
    q_register.record_interest(
        env.store,
        {
            "group_id": gid,
            "request_id": ctx.request_id,
            "kind": d.intent,
            "organisation": m.organisation,
            "email": requester_email,
            "name": requester_name,
            "language": d.language,
            "is_member": int(bool(m.counts and m.organisation)),
            "at": utcnow(),
        },
    )
    env.store.event(
        "topic_interest",
        actor=env.actor,
        request_id=ctx.request_id,
        group=gid,
        kind=d.intent,
        organisation=m.organisation,
    )
    from intake import register_mail

    register_mail.notify_if_ready(env, gid)


def _topic_of(ctx: Context, env: Env) -> str | None:
    d = ctx.decision
    if d.intent not in INTEREST_KINDS:
        return None
    if d.confidence < env.config.classify.confidence_threshold:
        return None  # doubt goes to triage; a person's decision (resolve) counts
    mail = ctx.mail
    assert mail is not None  # note_request runs only for a parsed mail
    topic: str | None
    if d.group and d.group.startswith("new:"):
        topic = d.group[4:]
    elif d.group in (None, "none") and d.intent in ("facilitate", "join"):
        topic = detect_topic(f"{mail.subject}\n{mail.body_text}", env.rules)
    else:
        return None
    return topic if topic and topic != "other" else None


def detect_topic(text: str, rules: Rulebook) -> str | None:
    """The topic whose cues occur most in the text (first listed wins a tie)."""
    text = text.lower()
    best, best_hits = None, 0
    for topic, cues in rules.topics.items():
        hits = sum(1 for cue in cues if cue.pattern.search(text))
        if hits > best_hits:
            best, best_hits = topic, hits
    return best


def _leave(ctx: Context, env: Env) -> None:
    """An unsubscribe request: the exact roster contact whose mail is authenticated leaves
    at once; anyone else's request waits for staff (leave_requested_at, in the desk)."""
    m, store = ctx.membership, env.store
    assert ctx.request_id is not None  # note_request runs only for a request
    group = env.rules.group(ctx.decision.group)
    rows = q_register.confirmed_of(store, m.organisation, group.id if group else None)
    at_once = m.match == "exact" and m.authenticated is True
    for row in rows:
        if at_once:
            set_status(
                env,
                row["id"],
                "left",
                note=f"unsubscribe request IG-{ctx.request_id} from an authenticated roster contact",
            )
        else:
            store.update("participants", row["id"], {"leave_requested_at": utcnow()})
            store.event(
                "participant_leave_requested",
                actor=env.actor,
                request_id=ctx.request_id,
                participant=row["id"],
                group=row["group_id"],
            )
    if rows and at_once:
        store.update("requests", ctx.request_id, {"status": "routed", "triage_reason": None})


def _forwarded_join(ctx: Context, env: Env, group_id: str, organisation: str) -> None:
    mail = ctx.mail
    assert mail is not None  # note_request runs only for a parsed mail
    name, email = mail.forwarded_from or (mail.sender_name, mail.sender_email)
    pid = upsert_participant(
        env,
        group_id=group_id,
        organisation=organisation,
        email=email,
        name=name,
        language=ctx.decision.language,
        request_id=ctx.request_id,
        status="forwarded",
    )
    if pid is not None:
        env.store.update("participants", pid, {"asked_at": utcnow()})


# -- participants ------------------------------------------------------------------------------


def upsert_participant(
    env: Env,
    *,
    group_id: str,
    organisation: str,
    email: str,
    name: str | None,
    language: str | None,
    request_id: int | None,
    status: str,
) -> int | None:
    """Create the participant, or move a known one to `status` (a confirmed participant
    asking again stays confirmed). Returns its id, or None when nothing changed."""
    store = env.store
    row = q_register.participant_in(store, group_id, organisation)
    now = utcnow()
    if row is None:
        pid = store.insert(
            "participants",
            {
                "group_id": group_id,
                "organisation": organisation,
                "email": email,
                "name": name,
                "language": language,
                "status": status,
                "request_id": request_id,
                "requested_at": now,
                "updated_at": now,
            },
        )
        _history(env, pid, status, request_id, group_id, organisation)
        return pid
    if row["status"] == "confirmed" or (row["status"] == status and row["request_id"] == request_id):
        return None
    contacts = json.loads(row["contacts"])
    if email.lower() != row["email"].lower() and email.lower() not in contacts:
        contacts.append(email.lower())
    store.update(
        "participants",
        row["id"],
        {
            "status": status,
            "request_id": request_id,
            "email": email,
            "name": name,
            "language": language,
            "contacts": json.dumps(contacts),
            "requested_at": now,
            "confirmed_at": None,
            "reminded_at": None,
            "updated_at": now,
        },
    )
    _history(env, row["id"], status, request_id, group_id, organisation)
    return row["id"]


def set_status(
    env: Env, participant_id: int, status: str, *, note: str | None = None, now: datetime | None = None
) -> Any:
    """Move a participant to a new status, as env.actor; returns the updated row."""
    if status not in PARTICIPANT_STATUSES:
        raise RegisterError(f"unknown participant status {status!r}")
    store = env.store
    row = participant(store, participant_id)
    when = stamp(now)
    values: dict[str, Any] = {"status": status, "updated_at": when}
    if status == "confirmed":
        values["confirmed_at"] = when
    store.update("participants", participant_id, values)
    _history(
        env,
        participant_id,
        status,
        row["request_id"],
        row["group_id"],
        row["organisation"],
        note=note,
        at=when,
    )
    return participant(store, participant_id)


def _history(
    env: Env,
    pid: int,
    status: str,
    request_id: int | None,
    group_id: str,
    organisation: str,
    *,
    note: str | None = None,
    at: str | None = None,
) -> None:
    env.store.insert(
        "participant_changes",
        {"participant_id": pid, "status": status, "at": at or utcnow(), "actor": env.actor, "note": note},
    )
    env.store.event(
        f"participant_{status}",
        actor=env.actor,
        request_id=request_id,
        participant=pid,
        group=group_id,
        organisation=organisation,
        note=note,
    )


def participant(store: Store, participant_id: int) -> ParticipantRow:
    row = q_register.participant(store, participant_id)
    if row is None:
        raise RegisterError(f"no participant {participant_id}; see `intake participants list`")
    return row


def history(store: Store, participant_id: int) -> list[q_register.Change]:
    return q_register.history(store, participant_id)


def participants_list(store: Store, group_id: str | None = None) -> list[dict[str, Any]]:
    """The `intake participants list` rows (field names are an interface)."""
    rows = q_register.participants_with_group(store, group_row(store, group_id)["id"] if group_id else None)
    return [
        {
            "group": r["group_id"],
            "organisation": r["organisation"],
            "email": r["email"],
            "status": r["status"],
            "requested_at": r["requested_at"],
            "confirmed_at": r["confirmed_at"],
            "id": r["id"],
            "group_name": r["group_name"],
            "request_id": r["request_id"],
            "asked_at": r["asked_at"],
            "reminded_at": r["reminded_at"],
            "leave_requested_at": r["leave_requested_at"],
        }
        for r in rows
    ]


# -- the overview -------------------------------------------------------------------------------


def interest_of(store: Store, group_id: str) -> dict[str, Any]:
    """Progress of a topic towards a group: distinct member organisations that proposed or
    asked to join, and who offered to facilitate (members only), with when."""
    rows = q_register.interest(store, group_id)
    organisations: dict[str, dict] = {}
    offers: list[dict] = []
    others: list[dict] = []
    for r in rows:
        entry = {
            "organisation": r["organisation"],
            "email": r["email"],
            "kind": r["kind"],
            "at": r["at"],
            "request_id": r["request_id"],
            "language": r["language"],
        }
        if not r["is_member"]:
            others.append(entry)
        elif r["kind"] == "facilitate":
            offers.append(entry)
        elif r["organisation"]:  # a member's interest carries its organisation
            organisations.setdefault(r["organisation"], entry)
    return {
        "organisations": list(organisations.values()),
        "offers": offers,
        "non_members": others,
        "interested": len(organisations),
        "facilitator_offered": bool(offers),
        "ready": len(organisations) >= THRESHOLD and bool(offers),
    }


def groups_list(store: Store) -> list[dict[str, Any]]:
    """The `intake groups list` rows (field names are an interface)."""
    confirmed: dict[str, list[str]] = {}
    for group_id, organisation in q_register.confirmed_organisations(store):
        confirmed.setdefault(group_id, []).append(organisation)
    rows = []
    for g in q_register.listed_groups(store):
        interest = interest_of(store, g["id"]) if g["status"] == "proposed" else None
        rows.append(
            {
                "id": g["id"],
                "name": g["name"],
                "status": g["status"],
                "facilitators": json.loads(g["facilitators"]),
                "participants": confirmed.get(g["id"], []),
                "interested": interest["interested"] if interest else 0,
                "facilitator_offered": interest["facilitator_offered"] if interest else False,
                "ready": interest["ready"] if interest else False,
                "topic": g["topic"],
                "started_at": g["started_at"],
                "source": g["source"],
                "ready_notified_at": g["ready_notified_at"],
            }
        )
    return rows


# -- staff actions on groups ---------------------------------------------------------------------


def start_group(
    env: Env, group_id: str, *, name: str | None = None, facilitators: list[str] | None = None
) -> list[int]:
    """A proposed topic becomes an `open` group; its interested member organisations become
    `requested` participants, and the facilitator is asked to confirm each. Returns the
    participant ids asked about."""
    from intake import register_mail

    store = env.store
    row = group_row(store, group_id)
    if row["status"] != "proposed":
        raise RegisterError(f"group {row['id']} is {row['status']}, not proposed")
    interest = interest_of(store, row["id"])
    chosen = facilitators or list(dict.fromkeys(o["email"].lower() for o in interest["offers"]))
    if not chosen:
        raise RegisterError(f"group {row['id']} has no facilitator; name one (--facilitator)")
    topic_cues = env.rules.topics.get(row["topic"] or "", ())
    cues = {"any": [c.text for c in topic_cues]} if topic_cues else {}
    now = utcnow()
    store.update(
        "register_groups",
        row["id"],
        {
            "status": "open",
            "started_at": now,
            "updated_at": now,
            "name": (name or row["name"]).strip(),
            "facilitators": json.dumps(chosen),
            "cues": json.dumps(cues, ensure_ascii=False),
        },
    )
    store.event("group_started", actor=env.actor, group=row["id"], facilitators=chosen)
    offered_orgs = {o["organisation"] for o in interest["offers"] if o["email"].lower() in chosen}
    asked = []
    for entry in interest["organisations"] + [o for o in interest["offers"]]:
        status = "confirmed" if entry["organisation"] in offered_orgs else "requested"
        pid = upsert_participant(
            env,
            group_id=row["id"],
            organisation=entry["organisation"],
            email=entry["email"],
            name=None,
            language=entry["language"],
            request_id=entry["request_id"],
            status=status,
        )
        if pid is None:
            continue
        if status == "confirmed":
            store.update("participants", pid, {"confirmed_at": now})
            continue
        store.update("participants", pid, {"asked_at": now})
        register_mail.ask_facilitator(env, pid)
        asked.append(pid)
    return asked


def set_group_status(env: Env, group_id: str, status: str) -> None:
    if status not in GROUP_STATUSES:
        raise RegisterError(f"unknown group status {status!r}; use open or closed")
    row = group_row(env.store, group_id)
    now = utcnow()
    env.store.update(
        "register_groups",
        row["id"],
        {"status": status, "updated_at": now, "closed_at": now if status == "closed" else None},
    )
    env.store.event(f"group_{status}", actor=env.actor, group=row["id"])


def edit_cues(env: Env, group_id: str, cues: list[str]) -> None:
    """Staff edit the cues of a group started from a topic (rules groups: edit groups.toml)."""
    row = group_row(env.store, group_id)
    if row["source"] == "rules":
        raise RegisterError(f"{row['id']} is defined in rules/groups.toml: edit its cues there")
    clean = [c.strip() for c in cues if c.strip()]
    for cue in clean:
        try:
            compile_cue(cue, "any", where="cue")
        except (ValueError, re.error) as exc:
            raise RegisterError(f"bad cue {cue!r}: {exc}") from None
    env.store.update(
        "register_groups",
        row["id"],
        {"cues": json.dumps({"any": clean}, ensure_ascii=False), "updated_at": utcnow()},
    )
    env.store.event("group_cues_edited", actor=env.actor, group=row["id"], cues=clean)


def merge_topics(env: Env, source: str, target: str) -> None:
    """Count a proposed topic's interest towards another proposed topic."""
    src, dst = group_row(env.store, source), group_row(env.store, target)
    if src["id"] == dst["id"]:
        raise RegisterError("a topic cannot be merged into itself")
    if src["status"] != "proposed" or dst["status"] != "proposed":
        raise RegisterError("only proposed topics can be merged")
    q_register.move_interest(env.store, src["id"], dst["id"])
    env.store.update("register_groups", src["id"], {"merged_into": dst["id"], "updated_at": utcnow()})
    env.store.event("topics_merged", actor=env.actor, source=src["id"], target=dst["id"])
    from intake import register_mail

    register_mail.notify_if_ready(env, dst["id"])


# -- meetings ---------------------------------------------------------------------------------------


def record_meeting(env: Env, group_id: str, held_on: str, present: list[str], note: str | None) -> int:
    """A facilitator's record of a meeting: when, which participants took part, a note."""
    row = group_row(env.store, group_id)
    known = {p["organisation"] for p in participants_list(env.store, row["id"])}
    unknown = sorted(set(present) - known)
    if unknown:
        raise RegisterError(f"not participants of {row['id']}: {', '.join(unknown)}")
    meeting_id = env.store.insert(
        "meetings",
        {
            "group_id": row["id"],
            "held_on": held_on,
            "participants": json.dumps(sorted(present)),
            "note": note,
            "recorded_by": env.actor,
            "recorded_at": utcnow(),
        },
    )
    env.store.event(
        "meeting_recorded", actor=env.actor, group=row["id"], held_on=held_on, participants=len(present)
    )
    return meeting_id


# -- guidelines ---------------------------------------------------------------------------------------

GUIDELINES = re.compile(
    r"(?<!\w)(guidelines?|guidance document|leitf[aä]den|richtlinien|lignes directrices|"
    r"directrices|linee guida|richtlijnen|riktlinjer|wytyczn\w*|diretrizes|orienta[cç][oõ]es|"
    r"retningslinjer|ohjee[nt]?)(?!\w)",
    re.IGNORECASE,
)
GROUP_WORDS = re.compile(
    r"interest group|interessengrupp|groupe d'int[eé]r[eê]t|grupo de inter[eé]s|"
    r"gruppo di interesse|interessegroep|intressegrupp|grup\w* interes|grupo de interesse|"
    r"interessegruppe|intressiryhm|procura\+?",
    re.IGNORECASE,
)


def asks_for_guidelines(ctx: Context, env: Env) -> bool:
    """A request for the network's Interest Group guidelines ("available upon request"):
    it names guidelines and the groups, and register.guidelines is configured."""
    if not env.config.register.guidelines or ctx.mail is None:
        return False
    text = f"{ctx.mail.subject}\n{(ctx.mail.body_text or '')[:3000]}"
    return bool(GUIDELINES.search(text) and GROUP_WORDS.search(text))


def guidelines_for(config: Any, language: str | None) -> str:
    """The configured guidelines (a link or document) in the language, else English, else
    the first configured."""
    found = config.register.guidelines
    return found.get(language or "en") or found.get("en") or next(iter(found.values()), "")
