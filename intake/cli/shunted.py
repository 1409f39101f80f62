"""`intake shunted`: messages a stage failed on, and replaying them."""

from __future__ import annotations

import click

from intake import pipeline, triage
from intake.cli.common import Obj, _echo_json, _table


@click.group()
def shunted() -> None:
    """Messages a stage crashed on: kept with the traceback, replayable once fixed."""


@shunted.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.pass_obj
def shunted_list(obj: Obj, as_json: bool) -> None:
    """List shunted messages.

    \b
    Example:
      intake shunted list
    """
    rows = [
        {
            "message": r["id"],
            "request_id": r["request_id"],
            "reason": r["status_reason"],
            "stored_at": r["stored_at"],
            "message_id": r["message_id"],
        }
        for r in obj.env.store.query("SELECT * FROM messages WHERE status='shunted' ORDER BY id")
    ]
    if as_json:
        _echo_json(rows)
        return
    _table(
        [[str(r["message"]), str(r["request_id"]), r["stored_at"], r["reason"] or ""] for r in rows],
        ["message", "request", "stored", "reason"],
    )


@shunted.command("replay")
@click.argument("message_id", type=int)
@click.option("--dry-run", is_flag=True, help="Check only; change nothing.")
@click.pass_obj
def shunted_replay(obj: Obj, message_id: int, dry_run: bool) -> None:
    """Run a shunted message through the pipeline again.

    \b
    Example:
      intake shunted replay 42
    """
    row = obj.env.store.one("SELECT status FROM messages WHERE id=?", (message_id,))
    if row is None or row["status"] != "shunted":
        raise triage.TriageError(f"message {message_id} is not shunted; see `intake shunted list`")
    if dry_run:
        click.echo(f"message {message_id} would be replayed")
        return
    ctx = pipeline.replay(obj.env, message_id)
    after = obj.env.store.one("SELECT status, status_reason FROM messages WHERE id=?", (message_id,))
    if ctx is None or after["status"] == "shunted":
        raise triage.TriageError(f"message {message_id} failed again: {after['status_reason']}")
    click.echo(f"message {message_id} replayed: request {ctx.request_id}, status {ctx.status}")


def add_to(main: click.Group) -> None:
    for command in (shunted,):
        main.add_command(command)
