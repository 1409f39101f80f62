"""`intake requests`: list and show requests."""

from __future__ import annotations

from typing import Any

import click

from intake import queries, triage
from intake.cli.common import Obj, _echo_json, _table


@click.group()
def requests() -> None:
    """Stored requests: one per conversation (machine mail has its own, status ignored)."""


@requests.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--status", help="Only this status (new, routed, triage, ignored, closed ...).")
@click.option("--limit", type=int, help="At most this many.")
@click.pass_obj
def requests_list(obj: Obj, as_json: bool, status: str | None, limit: int | None) -> None:
    """List requests.

    \b
    Example:
      intake requests list --json | jq '.[] | select(.is_member) | .sender_email'
    """
    rows = queries.list_requests(obj.env.store, status=status, limit=limit)
    if as_json:
        _echo_json(rows)
        return
    _table(
        [
            [
                str(r["id"]),
                r["status"],
                r["group"] or "-",
                r["intent"] or "-",
                r["language"] or "-",
                (r["sender_email"] or "-"),
                (r["subject"] or ""),
            ]
            for r in rows
        ],
        ["id", "status", "group", "intent", "lang", "sender", "subject"],
    )


@requests.command("show")
@click.argument("request_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def requests_show(obj: Obj, request_id: int, as_json: bool) -> None:
    """Show one request with its messages, decision, outgoing mail and audit trail.

    \b
    Example:
      intake requests show 12
    """
    detail = queries.request_detail(obj.env.store, request_id)
    if detail is None:
        raise triage.TriageError(f"no request {request_id}")
    if as_json:
        _echo_json(detail)
        return
    _print_detail(detail)


def _print_detail(d: dict[str, Any]) -> None:
    click.echo(
        f"Request {d['id']} [{d['token']}]  status: {d['status']}"
        + (f"  (triage: {d['triage_reason']})" if d["triage_reason"] else "")
    )
    click.echo(f"  From:        {d['sender_name']} <{d['sender_email']}>")
    click.echo(f"  Subject:     {d['subject']}")
    click.echo(f"  Inbox:       {', '.join(d['inbox'])}   received {d['received_at']}")
    click.echo(f"  Screening:   {d['screening']}")
    click.echo(
        f"  Decision:    group={d['group']} intent={d['intent']} language={d['language']}"
        f" confidence={d['confidence']}"
    )
    click.echo(
        f"  Member:      {d['organisation'] or '-'} (match: {d['member_match']},"
        f" authenticated: {d['authenticated']})"
    )
    click.echo(f"  Replies:     acknowledged={d['acknowledged']} forwarded_to={d['forwarded_to']}")
    for m in d["messages"]:
        click.echo(f"\n--- message {m['id']} ({m['role']}, {m['status']}) {m['date'] or ''}")
        click.echo((m["body_text"] or "")[:2000])
    click.echo("\nOutgoing mail:")
    for o in d["outbox"]:
        click.echo(
            f"  #{o['id']} {o['kind']} {o['template']} ({o['language']}) to {o['recipient']}:"
            f" {o['status']}" + (f" - {o['last_error']}" if o["last_error"] else "")
        )
    click.echo("\nAudit trail:")
    for e in d["events"]:
        click.echo(f"  {e['at']}  {e['actor']:<10} {e['kind']}")


def add_to(main: click.Group) -> None:
    for command in (requests,):
        main.add_command(command)
