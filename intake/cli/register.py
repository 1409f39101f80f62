"""`intake groups`, `intake participants`, `intake report`: the Interest Group register."""

from __future__ import annotations

import csv
import io
import sys

import click

from intake import register, register_mail
from intake.cli.common import _echo_json, _table
from intake.register import RegisterError

GROUP_FIELDS = (
    "id",
    "name",
    "status",
    "facilitators",
    "participants",
    "interested",
    "facilitator_offered",
    "ready",
)


PARTICIPANT_FIELDS = ("group", "organisation", "email", "status", "requested_at", "confirmed_at")


def _fail(exc: Exception) -> None:
    click.echo(f"intake: {exc}", err=True)
    sys.exit(1)


@click.group()
def groups() -> None:
    """The Interest Groups: open and closed groups, and proposed topics with their progress."""


@groups.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.pass_obj
def groups_list(obj, as_json: bool) -> None:
    """List groups and proposed topics.

    \b
    `interested` counts the distinct member organisations that proposed or asked to join a
    proposed topic; `ready` is true at 3 of them plus a facilitator's offer.
    Example:
      intake groups list --json | jq '.[] | select(.ready)'
    """
    rows = register.groups_list(obj.env.store)
    if as_json:
        _echo_json([{k: r[k] for k in GROUP_FIELDS} for r in rows])
        return
    _table(
        [
            [
                r["id"],
                r["status"],
                r["name"],
                str(len(r["participants"])),
                f"{r['interested']} of {register.THRESHOLD}" if r["status"] == "proposed" else "-",
                ("yes" if r["facilitator_offered"] else "no") if r["status"] == "proposed" else "-",
                ", ".join(r["facilitators"]),
            ]
            for r in rows
        ],
        ["id", "status", "name", "confirmed", "interested", "facilitator", "facilitators"],
    )


@groups.command("start")
@click.argument("group_id")
@click.option("--name", help="The group's display name (default: from the topic).")
@click.option(
    "--facilitator",
    "facilitators",
    multiple=True,
    help="Facilitator address (repeatable; default: whoever offered).",
)
@click.option("--dry-run", is_flag=True, help="Show who would be asked; change nothing.")
@click.pass_obj
def groups_start(obj, group_id: str, name: str | None, facilitators: tuple[str, ...], dry_run: bool) -> None:
    """Start a proposed group: it opens, its interested organisations become `requested`
    participants, and the facilitator is asked to confirm each.

    \b
    Example:
      intake groups start circular --name "Circular Procurement"
    """
    env = obj.env
    try:
        row = register.group_row(env.store, group_id)
        interest = register.interest_of(env.store, row["id"])
        if dry_run:
            click.echo(
                f"would open {row['id']} and ask about: "
                + ", ".join(o["organisation"] for o in interest["organisations"])
            )
            return
        with env.store.transaction():
            asked = register.start_group(env, group_id, name=name, facilitators=list(facilitators) or None)
    except RegisterError as exc:
        _fail(exc)
    click.echo(f"started {row['id']}; the facilitator is asked to confirm {len(asked)} organisation(s)")


def _status_command(status: str):  # noqa: ANN202
    @click.argument("group_id")
    @click.option("--dry-run", is_flag=True, help="Check only; change nothing.")
    @click.pass_obj
    def command(obj, group_id: str, dry_run: bool) -> None:
        env = obj.env
        try:
            register.group_row(env.store, group_id)
            if not dry_run:
                with env.store.transaction():
                    register.set_group_status(env, group_id, status)
        except RegisterError as exc:
            _fail(exc)
        click.echo(f"{'would mark' if dry_run else 'marked'} {group_id} {status}")

    command.__doc__ = (
        f"Mark a group {status}"
        + (
            " (its join requests are then answered with the closed-group mail)."
            if status == "closed"
            else "."
        )
        + "\n\n    \b\n    Example:\n      intake groups "
        + ("close" if status == "closed" else "reopen")
        + " srpp-ict\n    "
    )
    return command


groups.command("close")(_status_command("closed"))
groups.command("reopen")(_status_command("open"))


@groups.command("merge")
@click.argument("source")
@click.argument("target")
@click.option("--dry-run", is_flag=True, help="Check only; change nothing.")
@click.pass_obj
def groups_merge(obj, source: str, target: str, dry_run: bool) -> None:
    """Merge a proposed topic into another: its proposals and offers count there.

    \b
    Example:
      intake groups merge food catering
    """
    env = obj.env
    try:
        if dry_run:
            register.group_row(env.store, source), register.group_row(env.store, target)
            click.echo(f"would merge {source} into {target}")
            return
        with env.store.transaction():
            register.merge_topics(env, source, target)
    except RegisterError as exc:
        _fail(exc)
    click.echo(f"merged {source} into {target}")


@groups.command("cues")
@click.argument("group_id")
@click.argument("cues", nargs=-1, required=True)
@click.option("--dry-run", is_flag=True, help="Check only; change nothing.")
@click.pass_obj
def groups_cues(obj, group_id: str, cues: tuple[str, ...], dry_run: bool) -> None:
    """Replace the classifier cues of a group started from a topic.

    \b
    Example:
      intake groups cues circular '!circular*' 'reuse' 'economia circolare'
    """
    env = obj.env
    try:
        with env.store.transaction():
            register.edit_cues(env, group_id, list(cues))
            if dry_run:
                raise _DryRun
    except _DryRun:
        click.echo(f"would set {len(cues)} cue(s) on {group_id}")
        return
    except RegisterError as exc:
        _fail(exc)
    click.echo(f"set {len(cues)} cue(s) on {group_id}")


class _DryRun(Exception):
    """Rolls a checked change back."""


@click.group()
def participants() -> None:
    """Organisations in the groups and the status of each (requested ... confirmed, left)."""


@participants.command("list")
@click.option("--group", "group_id", help="Only this group.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (for a spreadsheet).")
@click.pass_obj
def participants_list(obj, group_id: str | None, as_json: bool, as_csv: bool) -> None:
    """List participants.

    \b
    Example:
      intake participants list --group lcc --csv > lcc.csv
    """
    try:
        rows = register.participants_list(obj.env.store, group_id)
    except RegisterError as exc:
        _fail(exc)
    if as_json:
        _echo_json([{k: r[k] for k in PARTICIPANT_FIELDS} for r in rows])
        return
    if as_csv:
        out = io.StringIO()
        writer = csv.DictWriter(
            out, fieldnames=PARTICIPANT_FIELDS, extrasaction="ignore", lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)
        click.echo(out.getvalue(), nl=False)
        return
    _table(
        [
            [
                str(r["id"]),
                r["group"],
                r["organisation"],
                r["email"],
                r["status"],
                (r["requested_at"] or "")[:10],
                (r["confirmed_at"] or "")[:10],
            ]
            for r in rows
        ],
        ["id", "group", "organisation", "email", "status", "requested", "confirmed"],
    )


def _decide_command(action: str):  # noqa: ANN202
    @click.argument("token")
    @click.option("--dry-run", is_flag=True, help="Check the token only; change nothing.")
    @click.pass_obj
    def command(obj, token: str, dry_run: bool) -> None:
        from intake import register_links

        env = obj.env
        try:
            if dry_run:
                _, row = register_links.check(env.config, env.store, token)
                click.echo(f"would {action} {row['organisation']} in {row['group_id']}")
                return
            row = register_mail.decide_by_token(env, token, action)
        except RegisterError as exc:
            _fail(exc)
        click.echo(
            f"{row['organisation']} in {row['group_id']}: {row['status']}"
            + ("; welcome mail queued" if action == "confirm" else "")
        )

    command.__doc__ = (
        f"{action.capitalize()} a participant with the token from a facilitator's"
        f" link (the part after /p/).\n\n    \b\n    Example:\n"
        f"      intake participants {action} 'eyJsIjoi...'\n    "
    )
    return command


participants.command("confirm")(_decide_command("confirm"))
participants.command("decline")(_decide_command("decline"))


@participants.command("set")
@click.argument("participant_id", type=int)
@click.argument("action", type=click.Choice(["confirm", "decline", "leave"]))
@click.option("--note", help="Why, for the audit trail.")
@click.option("--dry-run", is_flag=True, help="Check only; change nothing.")
@click.pass_obj
def participants_set(obj, participant_id: int, action: str, note: str | None, dry_run: bool) -> None:
    """Confirm, decline or mark as left a participant by id (staff; see `participants list`).

    \b
    Example:
      intake participants set 12 leave --note "asked by phone"
    """
    env = obj.env
    try:
        row = register.participant(env.store, participant_id)
        if dry_run:
            click.echo(f"would {action} {row['organisation']} in {row['group_id']}")
            return
        with env.store.transaction():
            if action == "leave":
                row = register.set_status(env, participant_id, "left", note=note)
            else:
                row = register_mail.decide(env, participant_id, action, note=note)
    except RegisterError as exc:
        _fail(exc)
    click.echo(f"{row['organisation']} in {row['group_id']}: {row['status']}")


@participants.command("remind")
@click.option("--dry-run", is_flag=True, help="List who is due; send nothing.")
@click.pass_obj
def participants_remind(obj, dry_run: bool) -> None:
    """Queue the one reminder to facilitators for joins unanswered after
    register.remind_after_days (the service does this daily; running it again is harmless).

    \b
    Example:
      intake participants remind --dry-run
    """
    due = register_mail.send_reminders(obj.env, dry_run=dry_run)
    click.echo(f"{'would remind' if dry_run else 'reminded'} facilitators about {len(due)} participant(s)")


@click.command("report")
@click.option("--year", type=int, required=True, help="The calendar year to report on.")
@click.option(
    "--out",
    "out_dir",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Directory for the HTML and CSV files.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON; write no file.")
@click.pass_obj
def report_cmd(obj, year: int, out_dir: str, as_json: bool) -> None:
    """The network's yearly update per group: participants, joins and leavers, meetings,
    requests by month (HTML with SVG charts, and CSV), and the months each facilitator
    organisation facilitated (for the finance team).

    \b
    Example:
      intake report --year 2026 --out reports/
    """
    from dataclasses import asdict
    from pathlib import Path

    from intake import report

    env = obj.env
    if as_json:
        data = report.yearly(env.store, year)
        _echo_json(
            {
                "year": year,
                "facilitation": data["facilitation"],
                "groups": [{k: v for k, v in asdict(g).items() if k != "chart"} for g in data["groups"]],
            }
        )
        return
    for path in report.write(env.store, env.config.templates_dir, year, Path(out_dir)):
        click.echo(str(path))


def add_to(main: click.Group) -> None:
    for command in (
        groups,
        participants,
        report_cmd,
    ):
        main.add_command(command)
