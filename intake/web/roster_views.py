"""Members page (search, CSV upload with preview) and the overview page."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from intake import members as roster
from intake.web import ext, store_of

bp = Blueprint("roster", __name__)


def _staff_only() -> None:
    if g.account.is_facilitator:
        abort(404)


@bp.route("/members")
def members_page():  # noqa: ANN201
    _staff_only()
    q = request.args.get("q", "").strip().lower()
    rows = []
    for r in store_of().query("SELECT * FROM members ORDER BY organisation"):
        item = {
            "organisation": r["organisation"],
            "country": r["country"],
            "membership": r["membership"],
            "domains": json.loads(r["domains"]),
            "contact_emails": json.loads(r["contact_emails"]),
        }
        if q and q not in json.dumps(item, ensure_ascii=False).lower():
            continue
        rows.append(item)
    return render_template("members.html", rows=rows, q=q, plan=None, csv_text="")


@bp.route("/members/upload", methods=["POST"])
def members_upload():  # noqa: ANN201
    _staff_only()
    upload = request.files.get("roster")
    if upload is None or not upload.filename:
        flash("Choose a CSV file first", "error")
        return redirect(url_for("roster.members_page"))
    try:
        text = roster.decode(upload.read(), upload.filename)  # UTF-8, BOM, UTF-16 or Windows-1252
        plan = roster.plan_import(store_of(), roster.parse_csv(text, upload.filename))
    except UnicodeDecodeError:
        flash("The file is not UTF-8 text; save the CSV as UTF-8", "error")
        return redirect(url_for("roster.members_page"))
    except roster.RosterError as exc:
        flash(str(exc), "error")
        return redirect(url_for("roster.members_page"))
    return render_template("members.html", rows=[], q="", plan=plan, csv_text=text)


@bp.route("/members/apply", methods=["POST"])
def members_apply():  # noqa: ANN201
    _staff_only()
    try:
        plan = roster.plan_import(store_of(), roster.parse_csv(request.form.get("csv_text", "")))
        roster.apply_import(store_of(), plan, g.account.name)
    except roster.RosterError as exc:
        flash(str(exc), "error")
        return redirect(url_for("roster.members_page"))
    flash(f"Roster updated: {plan.summary()}", "ok")
    return redirect(url_for("roster.members_page"))


@bp.route("/overview")
def overview():  # noqa: ANN201
    _staff_only()
    store = store_of()
    weeks = 12
    now = datetime.now(UTC)
    start = (now - timedelta(weeks=weeks - 1)).date()
    start = start - timedelta(days=start.weekday())
    groups = [gr.id for gr in ext()["rules"].groups] + ["other"]
    counts = {gid: [0] * weeks for gid in groups}
    for r in store.query(
        "SELECT r.group_id, COALESCE(m.internal_date, r.created_at) AS at"
        " FROM requests r JOIN messages m ON m.id = r.first_message"
        " WHERE r.status != 'ignored'"
    ):
        try:
            day = datetime.fromisoformat(r["at"].replace("Z", "+00:00")).date()
        except (ValueError, AttributeError):
            continue
        index = (day - start).days // 7
        if 0 <= index < weeks:
            counts[r["group_id"] if r["group_id"] in counts else "other"][index] += 1
    oldest = store.one(
        "SELECT MIN(COALESCE(m.internal_date, r.created_at)) FROM requests r"
        " JOIN messages m ON m.id=r.first_message WHERE r.status='triage'"
    )[0]
    age_days = None
    if oldest:
        age_days = (now - datetime.fromisoformat(oldest.replace("Z", "+00:00"))).days
    stats = {
        "triage": store.one("SELECT COUNT(*) FROM requests WHERE status IN ('triage','shunted')")[0],
        "oldest_days": age_days,
        "queued": store.one("SELECT COUNT(*) FROM outbox WHERE status='queued'")[0],
        "failed": store.one("SELECT COUNT(*) FROM outbox WHERE status IN ('failed','uncertain')")[0],
        "sent": store.one("SELECT COUNT(*) FROM outbox WHERE status='sent'")[0],
    }
    inboxes = [dict(r) for r in store.query("SELECT * FROM checkpoints ORDER BY inbox")]
    labels = [(start + timedelta(weeks=i)).strftime("%d %b") for i in range(weeks)]
    return render_template("overview.html", chart=bar_chart(labels, counts), stats=stats, inboxes=inboxes)


COLORS = ["#2f6f9f", "#d08a1c", "#5b8c3a", "#8a4f9e", "#a33d3d", "#777777"]


def bar_chart(labels: list[str], series: dict[str, list[int]]) -> dict:
    """Stacked bars as plain data for an inline SVG (drawn server-side, no script)."""
    width, height, left, bottom = 640, 220, 30, 30
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    top = max(totals + [1])
    bar_w = (width - left) / len(labels) * 0.7
    bars = []
    for i in range(len(labels)):
        x = left + i * (width - left) / len(labels)
        y = height - bottom
        for j, (name, values) in enumerate(series.items()):
            h = values[i] / top * (height - bottom - 10)
            if h:
                y -= h
                bars.append(
                    {
                        "x": round(x, 1),
                        "y": round(y, 1),
                        "w": round(bar_w, 1),
                        "h": round(h, 1),
                        "color": COLORS[j % len(COLORS)],
                        "title": f"{name}: {values[i]} in week of {labels[i]}",
                    }
                )
    ticks = [
        {"x": round(left + i * (width - left) / len(labels), 1), "label": labels[i]}
        for i in range(0, len(labels), 2)
    ]
    legend = [
        {"name": name, "color": COLORS[j % len(COLORS)], "total": sum(values)}
        for j, (name, values) in enumerate(series.items())
    ]
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "ticks": ticks,
        "legend": legend,
        "top": top,
        "base": height - bottom,
    }
