"""`intake outbox`: outgoing mail and its status."""

from __future__ import annotations

import json
import sys

import click

from intake.store import utcnow


@click.group()
def outbox() -> None:
    """Outgoing mail: acknowledgements, forwards, staff notices."""


@outbox.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--status", help="Only rows with this status (queued, sent, failed, uncertain ...).")
@click.pass_obj
def outbox_list(obj, as_json: bool, status: str | None) -> None:
    """List outgoing mail.

    \b
    Example:
      intake outbox list --status failed
    """
    sql = (
        "SELECT id, request_id, kind, template, language, recipient, status, attempts,"
        " last_error, created_at, sent_at FROM outbox"
    )
    params: tuple = ()
    if status:
        sql += " WHERE status=?"
        params = (status,)
    rows = [dict(r) for r in obj.env.store.query(sql + " ORDER BY id", params)]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        click.echo(
            f"#{r['id']:<5} req {r['request_id']!s:<5} {r['kind']:<12} {r['template']:<16}"
            f" {r['language'] or '-':<3} {r['status']:<10} {r['recipient']}"
            + (f"  ({r['last_error']})" if r["last_error"] else "")
        )


@outbox.command("retry")
@click.argument("outbox_id", type=int)
@click.option("--dry-run", is_flag=True, help="Check only; change nothing.")
@click.pass_obj
def outbox_retry(obj, outbox_id: int, dry_run: bool) -> None:
    """Queue a failed or uncertain mail again (staff checked it was not received).

    \b
    Example:
      intake outbox retry 7
    """
    store = obj.env.store
    row = store.one("SELECT status, redacted FROM outbox WHERE id=?", (outbox_id,))
    if row is None or row["status"] not in ("failed", "uncertain"):
        click.echo(f"intake: outbox #{outbox_id} is not failed or uncertain", err=True)
        sys.exit(1)
    if row["redacted"]:  # its copy is gone (docs/privacy.md)
        click.echo(f"intake: outbox #{outbox_id} was removed ({row['redacted']}); nothing to send", err=True)
        sys.exit(1)
    if dry_run:
        click.echo(f"outbox #{outbox_id} would be queued again")
        return
    with store.transaction():  # compare and set: only the status just checked is changed
        store.conn.execute(
            "UPDATE outbox SET status='queued', attempts=0, next_attempt_at=? WHERE id=? AND status=?",
            (utcnow(), outbox_id, row["status"]),
        )
        store.event("send_retry", actor=obj.actor, outbox_id=outbox_id)
    click.echo(f"outbox #{outbox_id} queued again; it goes out in the next cycle")


def add_to(main: click.Group) -> None:
    for command in (outbox,):
        main.add_command(command)
