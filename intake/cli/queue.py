"""`intake queue`: the triage queue and the staff actions on it."""

from __future__ import annotations

import click

from intake import queries, triage
from intake.cli.common import Obj, _echo_json, _table


@click.group()
def queue() -> None:
    """The staff triage queue: what the service could not decide alone."""


@queue.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.pass_obj
def queue_list(obj: Obj, as_json: bool) -> None:
    """List requests waiting for a person, oldest first, with the reason.

    \b
    Example:
      intake queue list
    """
    rows = queries.triage_queue(obj.env.store)
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        click.echo("The triage queue is empty.")
        return
    _table(
        [
            [
                str(r["id"]),
                (r["received_at"] or "")[:16],
                r["triage_reason"] or "",
                r["group"] or "-",
                r["intent"] or "-",
                r["sender_email"] or "-",
            ]
            for r in rows
        ],
        ["id", "received", "reason", "group", "intent", "sender"],
    )


@queue.command("resolve")
@click.argument("request_id", type=int)
@click.option("--group", required=True, help="Group id (srpp-ict, lcc ...), both, none or new:<topic>.")
@click.option(
    "--intent", required=True, help="join, propose, facilitate, question, unsubscribe, followup or other."
)
@click.option("--note", help="Why, for the audit trail.")
@click.option("--send", is_flag=True, help="Also send the mail the new decision calls for.")
@click.option("--dry-run", is_flag=True, help="Show what would happen; change nothing.")
@click.pass_obj
def queue_resolve(
    obj: Obj, request_id: int, group: str, intent: str, note: str | None, send: bool, dry_run: bool
) -> None:
    """Decide a request: set group and intent, re-route, optionally send replies.

    \b
    Example:
      intake queue resolve 12 --group lcc --intent join --send --note "asked by phone"
    """
    result = triage.resolve(
        obj.env, request_id, group=group, intent=intent, note=note, send=send, dry_run=dry_run
    )
    prefix = "would " if dry_run else ""
    click.echo(
        f"request {request_id}: {prefix}set group={group} intent={intent};"
        f" route says {result.status}" + (f" ({result.triage_reason})" if result.triage_reason else "")
    )
    for line in result.planned:
        click.echo(f"  {prefix}queue: {line}")
    for line in result.suppressed:
        click.echo(f"  suppressed: {line}")
    if not send:
        click.echo("  no mail sent (add --send to send what this decision calls for)")


@queue.command("close")
@click.argument("request_id", type=int)
@click.option("--note", help="Why, for the audit trail.")
@click.option("--dry-run", is_flag=True, help="Check only; change nothing.")
@click.pass_obj
def queue_close(obj: Obj, request_id: int, note: str | None, dry_run: bool) -> None:
    """Close a request: nothing more to do.

    \b
    Example:
      intake queue close 12 --note "answered by phone"
    """
    triage.close(obj.env, request_id, note=note, dry_run=dry_run)
    click.echo(f"request {request_id} {'would be ' if dry_run else ''}closed")


@queue.command("reopen")
@click.argument("request_id", type=int)
@click.option("--note", help="Why, for the audit trail.")
@click.option("--dry-run", is_flag=True, help="Check only; change nothing.")
@click.pass_obj
def queue_reopen(obj: Obj, request_id: int, note: str | None, dry_run: bool) -> None:
    """Put a closed request back in the queue.

    \b
    Example:
      intake queue reopen 12
    """
    triage.reopen(obj.env, request_id, note=note, dry_run=dry_run)
    click.echo(f"request {request_id} {'would be ' if dry_run else ''}reopened")


@queue.command("assign")
@click.argument("request_id", type=int)
@click.argument("person")
@click.option("--dry-run", is_flag=True, help="Check only; change nothing.")
@click.pass_obj
def queue_assign(obj: Obj, request_id: int, person: str, dry_run: bool) -> None:
    """Assign a request to a staff member.

    \b
    Example:
      intake queue assign 12 anna
    """
    triage.assign(obj.env, request_id, person, dry_run=dry_run)
    click.echo(f"request {request_id} {'would be ' if dry_run else ''}assigned to {person}")


@queue.command("note")
@click.argument("request_id", type=int)
@click.argument("text")
@click.option("--dry-run", is_flag=True, help="Check only; change nothing.")
@click.pass_obj
def queue_note(obj: Obj, request_id: int, text: str, dry_run: bool) -> None:
    """Add a note to a request's audit trail.

    \b
    Example:
      intake queue note 12 "called them, they will resend with the form"
    """
    triage.add_note(obj.env, request_id, text, dry_run=dry_run)
    click.echo(f"note {'would be ' if dry_run else ''}added to request {request_id}")


def add_to(main: click.Group) -> None:
    for command in (queue,):
        main.add_command(command)
