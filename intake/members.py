"""Roster import: CSV -> members table, as one idempotent upsert.

Columns: organisation,country,membership,domains,contact_emails (lists are
';'-separated). The whole file is validated before anything is written: a bad
row stops the import with its line number and the database is unchanged. A domain or
contact address belongs to one organisation (two claiming it would decide a sender's
membership by list order), and a file with no organisations never empties the roster
by accident.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from intake.store import Store, utcnow

COLUMNS = ("organisation", "country", "membership", "domains", "contact_emails")
MEMBERSHIPS = ("participant", "strategic_partner")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_EMAIL = re.compile(r"^[^@\s;,]+@([a-z0-9.-]+\.[a-z]{2,63})$")


class RosterError(Exception):
    """The CSV cannot be imported; the message names the line and what is wrong."""


@dataclass
class ImportPlan:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    rows: list[dict] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.added)} added, {len(self.changed)} changed,"
                f" {len(self.removed)} removed, {self.unchanged} unchanged")


def parse_csv(text: str, source: str = "roster") -> list[dict]:
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise RosterError(f"{source}: the file is empty") from None
    header = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise RosterError(f"{source}: line 1: missing column(s) {', '.join(missing)};"
                          f" expected {','.join(COLUMNS)}")
    rows, seen = [], {}
    claimed: dict[str, tuple[str, int]] = {}  # domain or address -> (organisation, line)
    for line_no, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            raise RosterError(f"{source}: line {line_no}: expected {len(header)} fields,"
                              f" found {len(values)} (quote names that contain commas)")
        row = dict(zip(header, (v.strip() for v in values), strict=True))
        org = row["organisation"]
        if not org:
            raise RosterError(f"{source}: line {line_no}: organisation is empty")
        if org.lower() in seen:
            raise RosterError(f"{source}: line {line_no}: organisation {org!r} already on line"
                              f" {seen[org.lower()]}")
        seen[org.lower()] = line_no
        membership = row["membership"].lower().replace(" ", "_")
        if membership not in MEMBERSHIPS:
            raise RosterError(f"{source}: line {line_no}: membership {row['membership']!r}"
                              f" must be participant or strategic_partner")
        domains = [d.strip().lower().lstrip("@").rstrip(".") for d in row["domains"].split(";")
                   if d.strip()]
        for domain in domains:
            if not _DOMAIN.match(domain):
                raise RosterError(f"{source}: line {line_no}: {domain!r} is not a domain name")
        emails = [e.strip().lower() for e in row["contact_emails"].split(";") if e.strip()]
        for address in emails:
            if not _EMAIL.match(address):
                raise RosterError(f"{source}: line {line_no}: {address!r} is not an email address")
        if not domains and not emails:
            raise RosterError(f"{source}: line {line_no}: give at least one domain or contact email")
        for item in dict.fromkeys(domains + emails):
            owner = claimed.setdefault(item, (org, line_no))
            if owner[0] != org:
                kind = "contact" if "@" in item else "domain"
                raise RosterError(f"{source}: line {line_no}: {kind} {item!r} of {org!r} is already"
                                  f" claimed by {owner[0]!r} on line {owner[1]}; one organisation"
                                  f" per {kind}")
        rows.append({"organisation": org, "country": row["country"].upper(),
                     "membership": membership, "domains": sorted(set(domains)),
                     "contact_emails": sorted(set(emails))})
    return rows


def plan_import(store: Store, rows: list[dict], *, allow_empty: bool = False) -> ImportPlan:
    """What importing `rows` would change. A file with no organisations would remove the
    whole roster (a truncated export, a header-only file): refused unless allow_empty."""
    plan = ImportPlan(rows=rows)
    current = {r["organisation"]: r for r in store.query("SELECT * FROM members")}
    if not rows and current and not allow_empty:
        raise RosterError(f"the file lists no organisations: importing it would remove all"
                          f" {len(current)} from the roster; check the file, or pass"
                          f" --allow-empty if the roster is really to be emptied")
    for row in rows:
        old = current.pop(row["organisation"], None)
        if old is None:
            plan.added.append(row["organisation"])
        elif (old["country"], old["membership"], json.loads(old["domains"]),
              json.loads(old["contact_emails"])) != (row["country"], row["membership"],
                                                      row["domains"], row["contact_emails"]):
            plan.changed.append(row["organisation"])
        else:
            plan.unchanged += 1
    plan.removed = sorted(current)
    return plan


def apply_import(store: Store, plan: ImportPlan, actor: str) -> None:
    """Write the plan in one transaction: removed organisations deleted, new and changed
    ones upserted by name (sqlite-utils stores the domain and address lists as JSON)."""
    now = utcnow()
    members = store.db["members"]
    with store.transaction():
        for org in plan.removed:
            members.delete_where("organisation = ?", [org])
        touched = set(plan.added) | set(plan.changed)
        members.upsert_all(
            [{**row, "updated_at": now} for row in plan.rows if row["organisation"] in touched],
            pk="organisation")
        store.event("roster_imported", actor=actor, added=len(plan.added),
                    changed=len(plan.changed), removed=len(plan.removed))


def import_file(store: Store, path: str | Path, actor: str, *, dry_run: bool = False,
                allow_empty: bool = False) -> ImportPlan:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RosterError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise RosterError(f"{path}: not UTF-8 text (byte {exc.start}); save the CSV as UTF-8")\
            from None
    plan = plan_import(store, parse_csv(text, str(path)), allow_empty=allow_empty)
    if not dry_run:
        apply_import(store, plan, actor)
    return plan
