"""`intake privacy`: access, erasure and retention (GDPR)."""

from __future__ import annotations

import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import click

from intake import privacy, retention
from intake.cli.common import Obj, _echo_json


def _fail(message: str) -> None:
    click.echo(f"intake: {message}", err=True)
    sys.exit(1)


@click.group("privacy")
def privacy_group() -> None:
    """A person's data: export it, erase it; retention of stored mail."""


@privacy_group.command("export")
@click.argument("email")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    help="Zip file to write (default: privacy-export-<address>.zip here).",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was exported as JSON.")
@click.pass_obj
def export(obj: Obj, email: str, out: str | None, as_json: bool) -> None:
    """Export everything held about one person (GDPR article 15): a zip of person.json
    (requests, decisions, outgoing mail, roster rows, audit events) and their mail
    as .eml files.

    \b
    Example:
      intake privacy export jane.doe@example.org --out jane.zip
    """
    try:
        address = privacy.normalise(email)
        target = Path(out or f"privacy-export-{address.replace('@', '_at_')}.zip")
        fp = privacy.export(obj.env.store, address, target, actor=obj.actor)
    except privacy.PrivacyError as exc:
        _fail(str(exc))
    if as_json:
        _echo_json({"address": fp.address, "zip": str(target), "counts": fp.counts()})
        return
    if fp.empty:
        click.echo(f"nothing is held about {fp.address}; {target} lists that")
        return
    counts = fp.counts()
    click.echo(
        f"wrote {target}: {counts['requests']} request(s), {counts['messages']}"
        f" message(s), {counts['outbox']} outgoing mail(s), {counts['events']} event(s),"
        f" {counts['members']} roster row(s)"
    )


@privacy_group.command("erase")
@click.argument("email")
@click.option("--roster", is_flag=True, help="Also remove the address from the membership roster's contacts.")
@click.option("--imap", is_flag=True, help="Also delete the original mails from the IMAP server.")
@click.option("--dry-run", is_flag=True, help="Show what would be erased; change nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def erase(obj: Obj, email: str, roster: bool, imap: bool, dry_run: bool, yes: bool, as_json: bool) -> None:
    """Erase one person's personal data (GDPR article 17). Requests, decisions and the
    audit trail keep their shape with a pseudonym in place of the address and name, so
    counts still add up; mail, bodies, subjects, outgoing copies and staff notes on
    their requests are removed, and the database file is rebuilt without them.

    \b
    Example:
      intake privacy erase jane.doe@example.org --dry-run
      intake privacy erase jane.doe@example.org --roster --imap --yes
    """
    env = obj.env
    try:
        address = privacy.normalise(email)
        planned = privacy.erase(env.store, env.config, address, actor=obj.actor, roster=roster, dry_run=True)
        if not dry_run and not yes:
            if as_json:
                _fail("--json does not ask for confirmation: add --yes (or try --dry-run first)")
            _describe(address, planned, roster)
            click.confirm(f"Erase {address} now? This cannot be undone", abort=True)
        result = (
            planned
            if dry_run
            else privacy.erase(env.store, env.config, address, actor=obj.actor, roster=roster, imap=imap)
        )
    except privacy.PrivacyError as exc:
        _fail(str(exc))
    if as_json:
        _echo_json({"address": address, **asdict(result)})
        return
    if dry_run:
        _describe(address, result, roster)
        click.echo("dry run: nothing was changed")
        return
    click.echo(
        f"erased {address}: now {result.pseudonym}; {result.counts['requests']}"
        f" request(s), {result.counts['messages']} message(s),"
        f" {result.counts['outbox']} outgoing mail(s)"
        + (f", {result.imap_deleted} mail(s) deleted on the server" if imap else "")
    )
    if not result.file_clean:
        click.echo(
            "note: another program was reading the database; run `intake privacy"
            " compact` when it is idle so the log file holds no trace",
            err=True,
        )
    if result.kept_in_roster:
        click.echo(
            f"note: the address is still a roster contact of {result.kept_in_roster}"
            " organisation(s); add --roster to remove it",
            err=True,
        )


def _describe(address: str, result: privacy.Erasure, roster: bool) -> None:
    c = result.counts
    click.echo(
        f"{address} would become {result.pseudonym}:\n"
        f"  {c['requests']} request(s) they started, {c['linked_requests']} machine"
        f" mail(s) about them, {c['forwarded_requests']} they forwarded\n"
        f"  {c['messages']} message(s) (raw mail, body, subject, headers removed)\n"
        f"  {c['outbox']} outgoing mail(s) (copies removed)\n"
        f"  {c['events']} audit event(s) (personal details replaced)\n"
        f"  {c['members']} roster row(s) naming them"
        + ("" if roster else " (kept: add --roster to remove the address)")
    )
    if result.mentioned_in:
        click.echo(
            f"  {result.mentioned_in} other person's message(s) copy them: the address"
            " is replaced in the parsed fields, their raw mail is kept"
        )


@privacy_group.command("compact")
@click.pass_obj
def compact(obj: Obj) -> None:
    """Rebuild the database file and empty its write-ahead log, so removed data leaves no
    trace in either (erase does this itself; use it if erase said another program was
    reading).

    \b
    Example:
      intake privacy compact
    """
    if not obj.env.store.compact(vacuum=True):
        _fail("another program is reading the database; stop it (or wait) and run again")
    click.echo("database rebuilt; write-ahead log emptied")


@privacy_group.command("retention")
@click.option("--dry-run", is_flag=True, help="Count what would be removed; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.pass_obj
def retention_run(obj: Obj, dry_run: bool, as_json: bool) -> None:
    """Remove content past its retention period now (the service does this daily).

    \b
    Example:
      intake privacy retention --dry-run
    """
    env = obj.env
    report = retention.enforce(
        env.store,
        env.config.retention,
        now=datetime.now(UTC),
        dry_run=dry_run,
        mail_copy_dir=env.config.mail_copy_dir,
    )
    if as_json:
        _echo_json({**asdict(report), "dry_run": dry_run})
        return
    click.echo(
        f"{'would remove' if dry_run else 'removed'} the content of"
        f" {report.machine_mail} machine mail(s), {report.closed_requests} message(s) of"
        f" finished requests, {report.outgoing_mail} outgoing copies"
    )


def add_to(main: click.Group) -> None:
    for command in (privacy_group,):
        main.add_command(command)
