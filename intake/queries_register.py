"""The register of groups: groups, participants and their changes, topic interest,
confirmation links and meetings (intake/register*.py, intake/report.py). See
docs/design.md, "Persistence"."""

from __future__ import annotations

from typing import Any, TypedDict, cast

from intake.rows import GroupRow, InterestRow, LinkRow, ParticipantRow
from intake.store import Store


class ParticipantWithGroup(ParticipantRow):
    group_name: str


class Change(TypedDict):
    """A participant's change of status."""

    status: str
    at: str
    actor: str
    note: str | None


class OrganisationChange(TypedDict):
    organisation: str
    status: str
    at: str


class Meeting(TypedDict):
    held_on: str
    participants: str  # JSON list of organisations
    note: str | None


# -- groups --------------------------------------------------------------------------------------


def upsert_rules_group(store: Store, group_id: str, status: str, now: str, values: dict[str, Any]) -> None:
    """A group from rules/groups.toml: added, or its name, names, facilitators, inboxes and
    cues (JSON text in `values`) follow the file; a topic's group of the same id is left alone."""
    store.conn.execute(
        "INSERT INTO register_groups (id, name, names, facilitators, inboxes, cues,"
        " updated_at, status, source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
        " 'rules', ?) ON CONFLICT(id) DO UPDATE SET name=excluded.name,"
        " names=excluded.names, facilitators=excluded.facilitators,"
        " inboxes=excluded.inboxes, cues=excluded.cues, updated_at=excluded.updated_at"
        " WHERE register_groups.source='rules' AND (register_groups.name, names,"
        " facilitators, inboxes, cues) IS NOT (excluded.name, excluded.names,"
        " excluded.facilitators, excluded.inboxes, excluded.cues)",
        (
            group_id,
            values["name"],
            values["names"],
            values["facilitators"],
            values["inboxes"],
            values["cues"],
            now,
            status,
            now,
        ),
    )


def groups(store: Store) -> list[GroupRow]:
    return cast(list[GroupRow], store.dicts("SELECT * FROM register_groups"))


def group(store: Store, id_or_topic: str) -> GroupRow | None:
    """A group by its id, or by the classifier topic it was started from."""
    row = store.one("SELECT * FROM register_groups WHERE id=? OR topic=?", (id_or_topic, id_or_topic))
    return None if row is None else cast(GroupRow, dict(row))


def merged_into(store: Store, group_id: str) -> str | None:
    row = store.one("SELECT merged_into FROM register_groups WHERE id=?", (group_id,))
    return None if row is None else row[0]


def group_exists(store: Store, group_id: str) -> bool:
    return store.one("SELECT 1 FROM register_groups WHERE id=?", (group_id,)) is not None


def listed_groups(store: Store) -> list[GroupRow]:
    """Groups not merged into another: open and closed ones first, then proposed topics."""
    return cast(
        list[GroupRow],
        store.dicts("SELECT * FROM register_groups WHERE merged_into IS NULL ORDER BY status='proposed', id"),
    )


def started_groups(store: Store) -> list[GroupRow]:
    """Groups that started (open or closed), not merged into another."""
    return cast(
        list[GroupRow],
        store.dicts(
            "SELECT * FROM register_groups WHERE status != 'proposed' AND merged_into IS NULL ORDER BY id"
        ),
    )


def open_groups(store: Store) -> list[GroupRow]:
    """Groups open to new participants (a group merged into another is not)."""
    return cast(
        list[GroupRow],
        store.dicts("SELECT * FROM register_groups WHERE status='open' AND merged_into IS NULL ORDER BY id"),
    )


# -- topic interest ----------------------------------------------------------------------------


def record_interest(store: Store, values: dict[str, Any]) -> None:
    """A request's interest in a proposed topic; a request decided again replaces its own."""
    store.conn.execute(
        "INSERT INTO topic_interest (group_id, request_id, kind, organisation, email, name,"
        " language, is_member, at) VALUES (:group_id, :request_id, :kind, :organisation, :email,"
        " :name, :language, :is_member, :at) ON CONFLICT(request_id)"
        " DO UPDATE SET group_id=excluded.group_id, kind=excluded.kind,"
        " organisation=excluded.organisation, is_member=excluded.is_member",
        values,
    )


def interest(store: Store, group_id: str) -> list[InterestRow]:
    return cast(
        list[InterestRow],
        store.dicts("SELECT * FROM topic_interest WHERE group_id=? ORDER BY at, id", (group_id,)),
    )


def move_interest(store: Store, source: str, target: str) -> None:
    store.conn.execute("UPDATE topic_interest SET group_id=? WHERE group_id=?", (target, source))


# -- participants -------------------------------------------------------------------------------


def participant(store: Store, participant_id: int) -> ParticipantRow | None:
    row = store.one("SELECT * FROM participants WHERE id=?", (participant_id,))
    return None if row is None else cast(ParticipantRow, dict(row))


def participant_in(store: Store, group_id: str, organisation: str | None) -> ParticipantRow | None:
    """The organisation's participant entry in a group."""
    row = store.one(
        "SELECT * FROM participants WHERE group_id=? AND organisation=?", (group_id, organisation)
    )
    return None if row is None else cast(ParticipantRow, dict(row))


def confirmed_of(store: Store, organisation: str | None, group_id: str | None = None) -> list[ParticipantRow]:
    """The organisation's confirmed participations (in one group, if given)."""
    if group_id is None:
        rows = store.dicts(
            "SELECT * FROM participants WHERE organisation=? AND status='confirmed'", (organisation,)
        )
    else:
        rows = store.dicts(
            "SELECT * FROM participants WHERE organisation=? AND status='confirmed' AND group_id=?",
            (organisation, group_id),
        )
    return cast(list[ParticipantRow], rows)


def participants_with_group(store: Store, group_id: str | None = None) -> list[ParticipantWithGroup]:
    """Participants (of one group, if given) with their group's name, by group and organisation."""
    sql = "SELECT p.*, g.name AS group_name FROM participants p JOIN register_groups g ON g.id = p.group_id"
    params: tuple[str, ...] = ()
    if group_id:
        sql += " WHERE p.group_id=?"
        params = (group_id,)
    return cast(list[ParticipantWithGroup], store.dicts(sql + " ORDER BY p.group_id, p.organisation", params))


def participants_of(store: Store, group_id: str) -> list[ParticipantRow]:
    return cast(
        list[ParticipantRow],
        store.dicts("SELECT * FROM participants WHERE group_id=? ORDER BY organisation", (group_id,)),
    )


def confirmed_organisations(store: Store) -> list[tuple[str, str]]:
    """(group id, organisation) of every confirmed participation, by organisation."""
    return [
        (r[0], r[1])
        for r in store.query(
            "SELECT group_id, organisation FROM participants WHERE status='confirmed' ORDER BY organisation"
        )
    ]


def waiting_of_request(store: Store, request_id: int) -> list[tuple[int, str]]:
    """(participant id, group id) of the participants a request made that wait for an answer."""
    return [
        (r[0], r[1])
        for r in store.query(
            "SELECT id, group_id FROM participants WHERE request_id=?"
            " AND status IN ('requested', 'forwarded')",
            (request_id,),
        )
    ]


def reminders_due(store: Store, asked_before: str) -> list[int]:
    """Waiting participants whose facilitator was asked before `asked_before` and not reminded."""
    return [
        r[0]
        for r in store.query(
            "SELECT id FROM participants WHERE status IN ('requested', 'forwarded')"
            " AND asked_at IS NOT NULL AND asked_at <= ? AND reminded_at IS NULL ORDER BY id",
            (asked_before,),
        )
    ]


def history(store: Store, participant_id: int) -> list[Change]:
    return cast(
        list[Change],
        store.dicts(
            "SELECT status, at, actor, note FROM participant_changes WHERE participant_id=? ORDER BY id",
            (participant_id,),
        ),
    )


def changes_in(store: Store, group_id: str, since: str = "") -> list[OrganisationChange]:
    """The group's participants' changes of status (since `since`), oldest first."""
    return cast(
        list[OrganisationChange],
        store.dicts(
            "SELECT p.organisation, c.status, c.at FROM participant_changes c JOIN participants p"
            " ON p.id = c.participant_id WHERE p.group_id=? AND c.at>=? ORDER BY c.id",
            (group_id, since),
        ),
    )


# -- links and meetings -------------------------------------------------------------------------


def link(store: Store, link_id: str) -> LinkRow | None:
    row = store.one("SELECT * FROM participant_links WHERE id=?", (link_id,))
    return None if row is None else cast(LinkRow, dict(row))


def spend_link(store: Store, link_id: str, *, at: str, actor: str, action: str) -> bool:
    """Mark the link used; False if it was used already."""
    cursor = store.conn.execute(
        "UPDATE participant_links SET used_at=?, used_by=?, action=? WHERE id=? AND used_at IS NULL",
        (at, actor, action, link_id),
    )
    return cursor.rowcount == 1


def meetings_of(store: Store, group_id: str) -> list[Meeting]:
    return cast(
        list[Meeting],
        store.dicts(
            "SELECT held_on, participants, note FROM meetings WHERE group_id=? ORDER BY held_on", (group_id,)
        ),
    )


def meetings_since(store: Store, group_id: str, since: str) -> int:
    """Meetings held on or after `since` (an ISO date)."""
    return int(
        store.scalar("SELECT COUNT(*) FROM meetings WHERE group_id=? AND held_on>=?", (group_id, since))
    )


def requests_created(store: Store, group_id: str, year: int) -> list[str]:
    """When each of the group's requests of `year` came in."""
    return [
        r[0]
        for r in store.query(
            "SELECT created_at FROM requests WHERE group_id=? AND substr(created_at, 1, 4)=?",
            (group_id, str(year)),
        )
    ]


def setting(store: Store, key: str, *, default: str) -> str:
    """A value kept in the database (settings), written as `default` the first time it is read."""
    store.conn.execute("INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)", (key, default))
    return str(store.scalar("SELECT value FROM settings WHERE key=?", (key,)))
