"""The network's yearly update per Interest Group: participants, joins and leavers,
meetings, requests by month, and which organisation facilitated for how many months
(facilitators get 50 % off their fee: the finance team reads that table).

One function computes the figures; the HTML page (SVG bar charts drawn here, no
JavaScript) and the CSV files are two views of them. `intake report --year 2026`
writes the files; the desk shows the same page.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jinja2

from intake import queries_members as q_members
from intake import queries_register as q_register
from intake.store import Store

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass
class GroupYear:
    id: str
    name: str
    status: str
    facilitators: list[str]
    participants: list[str]  # confirmed at the end of the year (or now)
    joined: list[str]  # confirmed during the year
    left: list[str]  # left during the year
    meetings: list[dict[str, Any]]
    requests_by_month: list[int]
    marked: bool  # fewer than two meetings in the last twelve months
    chart: dict[str, Any] = field(default_factory=dict)


def _in_year(stamp: str | None, year: int) -> bool:
    return stamp is not None and stamp[:4] == str(year)


def organisation_of(store: Store, address: str) -> str:
    """The roster organisation of an address (exact contact, else its domain); the
    address itself when it is not in the roster (e.g. secretariat staff)."""
    address = address.lower()
    domain = address.rsplit("@", 1)[-1]
    by_domain = None
    for row in q_members.members(store):
        if address in [c.lower() for c in json.loads(row["contact_emails"])]:
            return row["organisation"]
        if domain in [d.lower() for d in json.loads(row["domains"])]:
            by_domain = by_domain or row["organisation"]
    return by_domain or address


def months_open(group: Any, year: int, today: date) -> list[int]:
    """Months (1-12) of `year` in which the group was open: from its start (a group from
    the rules without a start date counts from January) to its closing, not beyond today."""
    first = date(year, 1, 1)
    start = date.fromisoformat(group["started_at"][:10]) if group["started_at"] else first
    end = date.fromisoformat(group["closed_at"][:10]) if group["closed_at"] else date(year, 12, 31)
    end = min(end, today, date(year, 12, 31))
    if group["status"] == "proposed" or start > end or end < first:
        return []
    start = max(start, first)
    return list(range(start.month, end.month + 1))


def yearly(store: Store, year: int, *, today: date | None = None) -> dict[str, Any]:
    today = today or date.today()
    participants_by_name = {
        m["organisation"] for m in q_members.members(store) if m["membership"] == "participant"
    }
    groups = []
    facilitation = []
    for g in q_register.started_groups(store):
        people = q_register.participants_of(store, g["id"])
        changes = q_register.changes_in(store, g["id"])
        meetings = [
            dict(m, participants=json.loads(m["participants"]))
            for m in q_register.meetings_of(store, g["id"])
        ]
        by_month = [0] * 12
        for created_at in q_register.requests_created(store, g["id"], year):
            by_month[int(created_at[5:7]) - 1] += 1
        since = today.replace(year=today.year - 1).isoformat()
        recent = [m for m in meetings if m["held_on"] >= since]
        facilitators = json.loads(g["facilitators"])
        group = GroupYear(
            id=g["id"],
            name=g["name"],
            status=g["status"],
            facilitators=facilitators,
            participants=[p["organisation"] for p in people if p["status"] == "confirmed"],
            joined=sorted(
                {c["organisation"] for c in changes if c["status"] == "confirmed" and _in_year(c["at"], year)}
            ),
            left=sorted(
                {c["organisation"] for c in changes if c["status"] == "left" and _in_year(c["at"], year)}
            ),
            meetings=[m for m in meetings if m["held_on"][:4] == str(year)],
            requests_by_month=by_month,
            marked=g["status"] == "open" and len(recent) < 2,
        )
        group.chart = bar_chart(by_month)
        groups.append(group)
        months = months_open(g, year, today)
        for organisation in dict.fromkeys(organisation_of(store, f) for f in facilitators):
            if months:
                facilitation.append(
                    {
                        "organisation": organisation,
                        "group": g["id"],
                        "months": len(months),
                        "from": MONTHS[months[0] - 1],
                        "to": MONTHS[months[-1] - 1],
                        "participant": organisation in participants_by_name,  # the 50 % fee rule
                    }
                )
    return {"year": year, "groups": groups, "facilitation": facilitation}


def bar_chart(values: list[int], *, width: int = 360, height: int = 120) -> dict[str, Any]:
    """Twelve bars as SVG coordinates (the desk's way of drawing charts, no JavaScript)."""
    top = max(values) or 1
    base = height - 20
    slot = (width - 30) / 12
    bars = []
    for i, value in enumerate(values):
        h = round(value / top * (base - 10), 1)
        bars.append(
            {
                "x": round(30 + i * slot + 2, 1),
                "y": round(base - h, 1),
                "w": round(slot - 4, 1),
                "h": h,
                "value": value,
                "label": MONTHS[i][0],
                "title": f"{MONTHS[i]}: {value} request(s)",
            }
        )
    return {"width": width, "height": height, "base": base, "top": top, "bars": bars}


def groups_csv(data: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "year",
            "group",
            "name",
            "status",
            "facilitators",
            "participants",
            "joined",
            "left",
            "meetings",
            "fewer_than_two_meetings",
            *[m.lower() for m in MONTHS],
        ]
    )
    for g in data["groups"]:
        writer.writerow(
            [
                data["year"],
                g.id,
                g.name,
                g.status,
                "; ".join(g.facilitators),
                len(g.participants),
                len(g.joined),
                len(g.left),
                len(g.meetings),
                "yes" if g.marked else "no",
                *g.requests_by_month,
            ]
        )
    return out.getvalue()


def facilitation_csv(data: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(
        out,
        fieldnames=["year", "organisation", "participant", "group", "months", "from", "to"],
        lineterminator="\n",
    )
    writer.writeheader()
    for row in data["facilitation"]:
        writer.writerow({"year": data["year"], **row, "participant": "yes" if row["participant"] else "no"})
    return out.getvalue()


def write(store: Store, templates_dir: Path, year: int, out_dir: Path) -> list[Path]:
    """report-<year>.html, report-<year>-groups.csv, report-<year>-facilitators.csv."""
    data = yearly(store, year)
    out_dir.mkdir(parents=True, exist_ok=True)
    pages = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir / "web")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    files = {
        out_dir / f"report-{year}.html": pages.get_template("report_file.html").render(**data, months=MONTHS),
        out_dir / f"report-{year}-groups.csv": groups_csv(data),
        out_dir / f"report-{year}-facilitators.csv": facilitation_csv(data),
    }
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return list(files)
