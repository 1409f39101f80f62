"""The register in the desk: proposed groups and their progress, groups and participants,
meetings; and the facilitator's confirmation page (public: the signed link is the key).

The confirmation page acts only on a POST from its own form: mail scanners that open
the link change nothing.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from intake import register, register_links, register_mail
from intake.register import RegisterError
from intake.web import env_for, ext, store_of

bp = Blueprint("register", __name__)
PUBLIC = {"register.link_page"}


def _staff_only() -> None:
    if g.account.is_facilitator:
        abort(404)


def _may_see(group_id: str) -> None:
    if g.account.is_facilitator and g.account.group_id != group_id:
        abort(404)


@bp.route("/p/<token>", methods=["GET", "POST"])
def link_page(token: str):  # noqa: ANN201
    """The facilitator's page behind the link in a forwarded join request."""
    config = ext()["config"]
    store = store_of()
    done = None
    try:
        if request.method == "POST":
            action = request.form.get("action", "")
            if action not in ("confirm", "decline"):
                abort(400, "choose confirm or decline")
            env = env_for("facilitator (link)")
            row = register_mail.decide_by_token(env, token, action)
            done = row
            return render_template(
                "confirm.html",
                row=row,
                done=done,
                error=None,
                token=token,
                group=register.group_row(store, row["group_id"]),
            )
        _link, row = register_links.check(config, store, token)
    except RegisterError as exc:
        return render_template(
            "confirm.html", row=None, done=None, error=str(exc), token=token, group=None
        ), 410
    return render_template(
        "confirm.html",
        row=row,
        done=None,
        error=None,
        token=token,
        group=register.group_row(store, row["group_id"]),
    )


@bp.route("/register")
def overview():  # noqa: ANN201
    store = store_of()
    rows = register.groups_list(store)
    if g.account.is_facilitator:
        rows = [r for r in rows if r["id"] == g.account.group_id]
    proposed = [
        {**r, "interest": register.interest_of(store, r["id"])} for r in rows if r["status"] == "proposed"
    ]
    others = [r for r in rows if r["status"] != "proposed"]
    meetings = {r["id"]: meetings_last_year(r["id"]) for r in others}
    return render_template(
        "register.html",
        proposed=proposed,
        groups=others,
        threshold=register.THRESHOLD,
        meetings=meetings,
        topics=[r["id"] for r in proposed],
    )


def meetings_last_year(group_id: str) -> int:
    since = date.today().replace(year=date.today().year - 1).isoformat()
    return store_of().one("SELECT COUNT(*) FROM meetings WHERE group_id=? AND held_on>=?", (group_id, since))[
        0
    ]


@bp.route("/register/<group_id>")
def group_page(group_id: str):  # noqa: ANN201
    _may_see(group_id)
    store = store_of()
    try:
        row = register.group_row(store, group_id)
    except RegisterError:
        abort(404)
    people = register.participants_list(store, row["id"])
    for p in people:
        p["history"] = register.history(store, p["id"])
    import json

    meetings = [
        dict(m, participants=json.loads(m["participants"]))
        for m in store.query("SELECT * FROM meetings WHERE group_id=? ORDER BY held_on DESC", (row["id"],))
    ]
    return render_template(
        "register_group.html",
        group=row,
        participants=people,
        facilitators=json.loads(row["facilitators"]),
        cues="\n".join(c for items in json.loads(row["cues"]).values() for c in items),
        meetings=meetings,
        recent=meetings_last_year(row["id"]),
        interest=register.interest_of(store, row["id"]),
        today=date.today().isoformat(),
    )


def _act(group_id: str, action, message: str):  # noqa: ANN001, ANN202
    env = env_for(g.account.name)
    try:
        with env.store.transaction():
            action(env)
        flash(message, "ok")
    except RegisterError as exc:
        flash(str(exc), "error")
    return redirect(url_for("register.group_page", group_id=group_id))


@bp.route("/register/<group_id>/start", methods=["POST"])
def start(group_id: str):  # noqa: ANN201
    _staff_only()
    name = request.form.get("name") or None
    facilitators = [f.strip() for f in request.form.get("facilitators", "").split(",") if f.strip()]
    return _act(
        group_id,
        lambda env: register.start_group(env, group_id, name=name, facilitators=facilitators or None),
        "Group started; the facilitator is asked to confirm its participants",
    )


@bp.route("/register/<group_id>/status", methods=["POST"])
def set_status(group_id: str):  # noqa: ANN201
    _staff_only()
    status = request.form.get("status", "")
    return _act(
        group_id, lambda env: register.set_group_status(env, group_id, status), f"Group marked {status}"
    )


@bp.route("/register/<group_id>/cues", methods=["POST"])
def cues(group_id: str):  # noqa: ANN201
    _staff_only()
    lines = request.form.get("cues", "").splitlines()
    return _act(group_id, lambda env: register.edit_cues(env, group_id, lines), "Cues saved")


@bp.route("/register/merge", methods=["POST"])
def merge():  # noqa: ANN201
    _staff_only()
    source, target = request.form.get("source", ""), request.form.get("target", "")
    env = env_for(g.account.name)
    try:
        with env.store.transaction():
            register.merge_topics(env, source, target)
        flash(f"Merged {source} into {target}", "ok")
    except RegisterError as exc:
        flash(str(exc), "error")
    return redirect(url_for("register.overview"))


@bp.route("/register/<group_id>/participants/<int:participant_id>", methods=["POST"])
def participant_action(group_id: str, participant_id: int):  # noqa: ANN201
    _may_see(group_id)
    action = request.form.get("action", "")
    row = register.participant(store_of(), participant_id)
    if row is None or row["group_id"] != group_id:
        abort(404)

    def act(env):  # noqa: ANN001, ANN202
        if action == "leave":
            return register.set_status(env, participant_id, "left", note=request.form.get("note"))
        return register_mail.decide(env, participant_id, action, note=request.form.get("note"))

    return _act(group_id, act, "Saved")


@bp.route("/register/<group_id>/meetings", methods=["POST"])
def record_meeting(group_id: str):  # noqa: ANN201
    _may_see(group_id)
    held_on = request.form.get("held_on", "")
    try:
        date.fromisoformat(held_on)
    except ValueError:
        flash("give the meeting date as YYYY-MM-DD", "error")
        return redirect(url_for("register.group_page", group_id=group_id))
    present = request.form.getlist("present")
    note = request.form.get("note", "").strip() or None
    return _act(
        group_id,
        lambda env: register.record_meeting(env, group_id, held_on, present, note),
        "Meeting recorded",
    )


@bp.route("/register/report")
def report_page():  # noqa: ANN201
    _staff_only()
    from intake import report

    year = request.args.get("year", type=int) or date.today().year
    return render_template("report.html", **report.yearly(store_of(), year), months=report.MONTHS)


@bp.route("/register/report/<int:year>/<kind>.csv")
def report_csv(year: int, kind: str):  # noqa: ANN201
    _staff_only()
    from flask import Response

    from intake import report

    data = report.yearly(store_of(), year)
    if kind not in ("groups", "facilitators"):
        abort(404)
    text = report.groups_csv(data) if kind == "groups" else report.facilitation_csv(data)
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="report-{year}-{kind}.csv"'},
    )
