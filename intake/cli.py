"""The `intake` command: `intake <noun> <verb>` for operators and secretariat staff."""

from __future__ import annotations

import logging
import sqlite3
import sys
from typing import Any

import click

from intake import logformat, queries, triage
from intake import members as roster
from intake.accounts import AccountError
from intake.cli_common import Obj, _echo_json, _table
from intake.config import ConfigError, load_config
from intake.store import RESTORE_HINT, StoreError, is_damage

DEFAULT_CONFIG = "intake.toml"


GLOBAL_OPTIONS = ("--config", "--actor", "--log-format")


def hoist_global_options(args: list[str]) -> list[str]:
    """Accept `intake web --config FILE` as well as `intake --config FILE web`."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in GLOBAL_OPTIONS and i + 1 < len(args):
            front += [arg, args[i + 1]]
            i += 2
            continue
        if any(arg.startswith(f"{o}=") for o in GLOBAL_OPTIONS):
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


class IntakeGroup(click.Group):
    """Turns expected errors into one line on stderr and a non-zero exit code."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(list(args)))

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            click.echo(f"intake: config error: {exc}", err=True)
            sys.exit(2)
        except (StoreError, roster.RosterError, triage.TriageError, FileNotFoundError,
                AccountError) as exc:
            click.echo(f"intake: {exc}", err=True)
            sys.exit(1)
        except sqlite3.DatabaseError as exc:  # damaged, locked too long, disk full ...
            hint = RESTORE_HINT if is_damage(exc) else "see docs/reliability.md"
            click.echo(f"intake: {ctx.obj.where()}: {exc}; {hint}", err=True)
            sys.exit(1)


@click.group(cls=IntakeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", envvar="INTAKE_CONFIG", default=DEFAULT_CONFIG,
              show_default=True, help="Config file (or set INTAKE_CONFIG).")
@click.option("--actor", help="Your name for the audit trail (default: your login name).")
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level.")
@click.option("--log-format", type=click.Choice(logformat.FORMATS), default="text", show_default=True,
              help="json: one JSON object per log line.")
@click.pass_context
def main(ctx: click.Context, config_path: str, actor: str | None, verbose: bool, log_format: str) -> None:
    """Email intake and routing for the Procura+ Interest Groups.

    \b
    Example:
      intake --config intake.toml queue list
    """
    logformat.setup(logging.INFO if verbose else logging.WARNING, log_format)
    ctx.obj = Obj(config_path, actor)


# -- requests -----------------------------------------------------------------------------

@main.group()
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
    _table([[str(r["id"]), r["status"], r["group"] or "-", r["intent"] or "-",
             r["language"] or "-", (r["sender_email"] or "-"), (r["subject"] or "")]
            for r in rows], ["id", "status", "group", "intent", "lang", "sender", "subject"])


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
    click.echo(f"Request {d['id']} [{d['token']}]  status: {d['status']}"
               + (f"  (triage: {d['triage_reason']})" if d["triage_reason"] else ""))
    click.echo(f"  From:        {d['sender_name']} <{d['sender_email']}>")
    click.echo(f"  Subject:     {d['subject']}")
    click.echo(f"  Inbox:       {', '.join(d['inbox'])}   received {d['received_at']}")
    click.echo(f"  Screening:   {d['screening']}")
    click.echo(f"  Decision:    group={d['group']} intent={d['intent']} language={d['language']}"
               f" confidence={d['confidence']}")
    click.echo(f"  Member:      {d['organisation'] or '-'} (match: {d['member_match']},"
               f" authenticated: {d['authenticated']})")
    click.echo(f"  Replies:     acknowledged={d['acknowledged']} forwarded_to={d['forwarded_to']}")
    for m in d["messages"]:
        click.echo(f"\n--- message {m['id']} ({m['role']}, {m['status']}) {m['date'] or ''}")
        click.echo((m["body_text"] or "")[:2000])
    click.echo("\nOutgoing mail:")
    for o in d["outbox"]:
        click.echo(f"  #{o['id']} {o['kind']} {o['template']} ({o['language']}) to {o['recipient']}:"
                   f" {o['status']}" + (f" - {o['last_error']}" if o["last_error"] else ""))
    click.echo("\nAudit trail:")
    for e in d["events"]:
        click.echo(f"  {e['at']}  {e['actor']:<10} {e['kind']}")


# -- queue ------------------------------------------------------------------------------------

@main.group()
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
    _table([[str(r["id"]), (r["received_at"] or "")[:16], r["triage_reason"] or "",
             r["group"] or "-", r["intent"] or "-", r["sender_email"] or "-"] for r in rows],
           ["id", "received", "reason", "group", "intent", "sender"])


@queue.command("resolve")
@click.argument("request_id", type=int)
@click.option("--group", required=True, help="Group id (srpp-ict, lcc ...), both, none or new:<topic>.")
@click.option("--intent", required=True,
              help="join, propose, facilitate, question, unsubscribe, followup or other.")
@click.option("--note", help="Why, for the audit trail.")
@click.option("--send", is_flag=True, help="Also send the mail the new decision calls for.")
@click.option("--dry-run", is_flag=True, help="Show what would happen; change nothing.")
@click.pass_obj
def queue_resolve(obj: Obj, request_id: int, group: str, intent: str, note: str | None,
                  send: bool, dry_run: bool) -> None:
    """Decide a request: set group and intent, re-route, optionally send replies.

    \b
    Example:
      intake queue resolve 12 --group lcc --intent join --send --note "asked by phone"
    """
    result = triage.resolve(obj.env, request_id, group=group, intent=intent, note=note,
                            send=send, dry_run=dry_run)
    prefix = "would " if dry_run else ""
    click.echo(f"request {request_id}: {prefix}set group={group} intent={intent};"
               f" route says {result.status}"
               + (f" ({result.triage_reason})" if result.triage_reason else ""))
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


# -- service --------------------------------------------------------------------------------------

@main.command("run")
@click.option("--once", is_flag=True, help="Run one cycle and exit.")
@click.pass_obj
def run_cmd(obj: Obj, once: bool) -> None:
    """Run the service (same as run_service.py).

    \b
    Example:
      intake --config intake.toml run --once
    """
    from intake.service import Service
    from intake.store import DatabaseUnusable, unusable

    logging.getLogger().setLevel(logging.INFO)
    config = load_config(obj.config_path)
    try:
        service = Service(config)
        try:
            if once:
                report = service.run_cycle()
                sys.exit(0 if report.ok else 1)
            service.run_forever()
        finally:
            service.close()
    except (DatabaseUnusable, sqlite3.DatabaseError) as exc:
        # exit 3, as run_service.py: restarting cannot help (RestartPreventExitStatus=3)
        if isinstance(exc, sqlite3.DatabaseError) and not is_damage(exc):
            raise
        line = exc if isinstance(exc, DatabaseUnusable) else unusable(config.database, exc)
        click.echo(f"intake: {line}", err=True)
        sys.exit(3)


from intake import (  # noqa: E402  (they register their commands)
    cli_members,
    cli_more,
    cli_oauth,
    cli_ops,
    cli_privacy,
    cli_register,
)

cli_members.register(main)
cli_more.register(main)
cli_ops.register(main)
cli_oauth.register(main)
cli_privacy.register(main)
cli_register.register_commands(main)

if __name__ == "__main__":  # pragma: no cover
    main()

