"""`intake notify`: staff notices of the triage queue (docs/desk.md)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

import click

from intake.cli.common import Obj, _echo_json


@click.group()
def notify() -> None:
    """Notices to staff and facilitators about requests waiting in the triage queue."""


@notify.command("digest")
@click.option("--dry-run", is_flag=True, help="Show who would get which digest; queue nothing.")
@click.option(
    "--now",
    "now_flag",
    is_flag=True,
    help="Do not wait for desk.digest_time or a working day: today's digest now (still once a day).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the digests as JSON.")
@click.pass_obj
def notify_digest(obj: Obj, dry_run: bool, now_flag: bool, as_json: bool) -> None:
    """Queue today's digest for the secretariat and each group's facilitators: the requests
    new since their last digest and those overdue (desk.overdue_days working days). Each
    recipient gets one digest a day, whoever sends it (this command or the service); the
    running service's outbox sends the queued mail.

    \b
    Example:
      intake notify digest --dry-run --now
      intake --config /srv/intake/intake.toml notify digest
    """
    from intake import desk_notify

    env = obj.env
    if env.config.desk.notify == "off":
        raise click.ClickException(
            'desk.notify is "off" in the config; set it to "digest" (or "immediate") to send digests'
        )
    now = datetime.now(UTC)
    if not now_flag and not desk_notify.digest_due(env, now):
        click.echo(
            f"not due: the digest goes out on working days from {env.config.desk.digest_time}"
            f" ({env.config.web.timezone}); add --now to send today's now"
        )
        return
    digests = desk_notify.send_digests(env, now=now, force=now_flag, dry_run=dry_run)
    if as_json:
        _echo_json([asdict(d) for d in digests])
        return
    verb = "would queue" if dry_run else "queued"
    if not digests:
        click.echo("nothing to send: no digest due with new or overdue requests (or sent today already)")
    for digest in digests:
        click.echo(
            f"{verb} digest {digest.day} to {digest.recipient}:"
            f" {len(digest.new)} new, {len(digest.overdue)} overdue"
        )
    if not env.config.web.base_url:
        click.echo(f"warning: {desk_notify.NO_BASE_URL}", err=True)


def add_to(main: click.Group) -> None:
    for command in (notify,):
        main.add_command(command)
