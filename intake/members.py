"""Roster import: CSV or .xlsx -> members table, as one idempotent upsert.

Columns: organisation,country,membership,domains,contact_emails (lists separated by
';', ',' or spaces). A CSV may use ',', ';' or tab between columns (sniffed), be UTF-8
with or without BOM, UTF-16 or Windows-1252, as spreadsheets save it. Domains are
checked against the bundled public suffix list (co.uk is nobody's), addresses with
email-validator; internationalised domains are accepted. The whole file is validated
before anything is written: a bad row stops the import with its line number and the
database is unchanged. A domain or contact address belongs to one organisation (two
claiming it would decide a sender's membership by list order), and a file with no
organisations never empties the roster by accident.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

from intake import domains
from intake.store import Store, utcnow

COLUMNS = ("organisation", "country", "membership", "domains", "contact_emails")
MEMBERSHIPS = ("participant", "strategic_partner")
# checked on the A-label (xn--) form, so internationalised names pass
_DOMAIN = re.compile(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$"
)
_LIST_SEPARATORS = re.compile(r"[;,\s]+")


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
        return (
            f"{len(self.added)} added, {len(self.changed)} changed,"
            f" {len(self.removed)} removed, {self.unchanged} unchanged"
        )


def parse_csv(text: str, source: str = "roster") -> list[dict]:
    """Rows of a roster CSV given as text; the delimiter (',', ';' or tab) is sniffed."""
    return parse_records(csv_records(text, source), source)


def csv_records(text: str, source: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of a CSV. The delimiter is sniffed from the header line alone:
    the cells below hold ';'-separated lists, which would fool a sniffer reading them."""
    if text.startswith("\ufeff"):
        text = text[1:]
    first = text.split("\n", 1)[0]
    try:
        dialect = csv.Sniffer().sniff(first, delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","  # one column, or no header: the column check below says what is wrong
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for values in reader:
            yield reader.line_num, values
    except csv.Error as exc:
        raise RosterError(f"{source}: line {reader.line_num}: {exc}") from None


def xlsx_records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells as text) of the first sheet of an Excel workbook."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise RosterError(f"{path}: not an Excel workbook (.xlsx) that can be read: {exc}") from None
    try:
        sheet = book.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(v) for v in row]
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def decode(data: bytes, source: str) -> str:
    """A CSV as secretariats save it: UTF-8 (with or without BOM), UTF-16 with BOM
    ("Unicode text"), or Windows-1252 (Excel's "CSV" in Western Europe)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise RosterError(
            f"{source}: neither UTF-8 nor Windows-1252 text (byte {exc.start}); save the file as CSV UTF-8"
        ) from None


def _split(cell: str) -> list[str]:
    """A list cell: entries separated by ';', ',' or spaces (none occurs in a domain or
    an address)."""
    return [item for item in _LIST_SEPARATORS.split(cell) if item]


def _domain(text: str, source: str, line_no: int) -> list[str]:
    """A listed domain, checked: its A-label (xn--) form, and its Unicode form when that
    differs, so a sender writing either matches. A public suffix is refused."""
    raw = text.strip().lower().lstrip("@").rstrip(".")
    try:
        ascii_form = domains.to_ascii(raw)
    except ValueError:
        raise RosterError(f"{source}: line {line_no}: {text!r} is not a domain name") from None
    if not _DOMAIN.match(ascii_form):
        raise RosterError(f"{source}: line {line_no}: {text!r} is not a domain name")
    if domains.is_public_suffix(ascii_form):
        raise RosterError(
            f"{source}: line {line_no}: {text!r} is a public suffix: every domain under"
            f" it would count as this member; give the organisation's own domain"
        )
    return list(dict.fromkeys([ascii_form, domains.to_unicode(ascii_form)]))


def _address(text: str, source: str, line_no: int) -> list[str]:
    """A contact address, checked by email-validator (no DNS): its normalised form, and
    its ASCII form when the domain is internationalised."""
    try:
        valid = validate_email(text.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise RosterError(f"{source}: line {line_no}: {text!r} is not an email address ({exc})") from None
    forms = [valid.normalized.lower()]
    if valid.ascii_email:
        forms.append(valid.ascii_email.lower())
    return list(dict.fromkeys(forms))


def parse_records(records: Iterable[tuple[int, list[str]]], source: str = "roster") -> list[dict]:
    """Validate every row (numbered as the file numbers them) before anything is written."""
    records = iter(records)
    try:
        _, header = next(records)
    except StopIteration:
        raise RosterError(f"{source}: the file is empty") from None
    header = [h.strip().lower() for h in header]
    while header and not header[-1]:
        header.pop()  # spreadsheets carry empty columns on the right
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise RosterError(
            f"{source}: line 1: missing column(s) {', '.join(missing)}; expected {','.join(COLUMNS)}"
        )
    rows, seen = [], {}
    claimed: dict[str, tuple[str, int]] = {}  # domain or address -> (organisation, line)
    for line_no, values in records:
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(header) and not any(v.strip() for v in values[len(header) :]):
            values = values[: len(header)]
        if len(values) != len(header):
            raise RosterError(
                f"{source}: line {line_no}: expected {len(header)} fields,"
                f" found {len(values)} (quote names that contain the delimiter)"
            )
        row = dict(zip(header, (v.strip() for v in values), strict=True))
        org = row["organisation"]
        if not org:
            raise RosterError(f"{source}: line {line_no}: organisation is empty")
        if org.lower() in seen:
            raise RosterError(
                f"{source}: line {line_no}: organisation {org!r} already on line {seen[org.lower()]}"
            )
        seen[org.lower()] = line_no
        membership = row["membership"].lower().replace(" ", "_")
        if membership not in MEMBERSHIPS:
            raise RosterError(
                f"{source}: line {line_no}: membership {row['membership']!r}"
                f" must be participant or strategic_partner"
            )
        listed = [form for d in _split(row["domains"]) for form in _domain(d, source, line_no)]
        emails = [form for e in _split(row["contact_emails"]) for form in _address(e, source, line_no)]
        if not listed and not emails:
            raise RosterError(f"{source}: line {line_no}: give at least one domain or contact email")
        for item in dict.fromkeys(listed + emails):
            owner = claimed.setdefault(item, (org, line_no))
            if owner[0] != org:
                kind = "contact" if "@" in item else "domain"
                raise RosterError(
                    f"{source}: line {line_no}: {kind} {item!r} of {org!r} is already"
                    f" claimed by {owner[0]!r} on line {owner[1]}; one organisation"
                    f" per {kind}"
                )
        rows.append(
            {
                "organisation": org,
                "country": row["country"].upper(),
                "membership": membership,
                "domains": sorted(set(listed)),
                "contact_emails": sorted(set(emails)),
            }
        )
    return rows


def plan_import(store: Store, rows: list[dict], *, allow_empty: bool = False) -> ImportPlan:
    """What importing `rows` would change. A file with no organisations would remove the
    whole roster (a truncated export, a header-only file): refused unless allow_empty."""
    plan = ImportPlan(rows=rows)
    current = {r["organisation"]: r for r in store.query("SELECT * FROM members")}
    if not rows and current and not allow_empty:
        raise RosterError(
            f"the file lists no organisations: importing it would remove all"
            f" {len(current)} from the roster; check the file, or pass"
            f" --allow-empty if the roster is really to be emptied"
        )
    for row in rows:
        old = current.pop(row["organisation"], None)
        if old is None:
            plan.added.append(row["organisation"])
        elif (
            old["country"],
            old["membership"],
            json.loads(old["domains"]),
            json.loads(old["contact_emails"]),
        ) != (row["country"], row["membership"], row["domains"], row["contact_emails"]):
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
            pk="organisation",
        )
        store.event(
            "roster_imported",
            actor=actor,
            added=len(plan.added),
            changed=len(plan.changed),
            removed=len(plan.removed),
        )


def import_file(
    store: Store, path: str | Path, actor: str, *, dry_run: bool = False, allow_empty: bool = False
) -> ImportPlan:
    """Import a roster file: CSV (any of the usual encodings and delimiters) or .xlsx."""
    path = Path(path)
    if not path.is_file():
        raise RosterError(f"{path}: file not found")
    if path.suffix.lower() == ".xlsx":
        records: Iterable[tuple[int, list[str]]] = xlsx_records(path)
    else:
        records = csv_records(decode(path.read_bytes(), str(path)), str(path))
    plan = plan_import(store, parse_records(records, str(path)), allow_empty=allow_empty)
    if not dry_run:
        apply_import(store, plan, actor)
    return plan


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(cell: str) -> str:
    """A cell a spreadsheet would run as a formula (=, +, -, @ first) gets a leading
    apostrophe, so an exported roster opened in Excel shows text and runs nothing."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def export_csv(store: Store) -> str:
    """The roster as CSV in the import's columns (lists ';'-separated), formula-safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in store.query("SELECT * FROM members ORDER BY organisation"):
        cells = [
            r["organisation"],
            r["country"],
            r["membership"],
            ";".join(json.loads(r["domains"])),
            ";".join(json.loads(r["contact_emails"])),
        ]
        writer.writerow([neutralize(c or "") for c in cells])
    return out.getvalue()
