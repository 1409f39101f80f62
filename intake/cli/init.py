"""`intake init`: a starter config, secrets and a fresh database."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from intake import starter


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Where to write intake.toml, secrets/ and data/.",
)
@click.option("--dry-run", is_flag=True, help="List what would be written; write nothing.")
def init(directory: str, dry_run: bool) -> None:
    """Start a new installation: a commented intake.toml, secrets/ (0600 files) and a fresh
    database in data/. Never overwrites anything.

    \b
    Example:
      mkdir /srv/intake && intake init --dir /srv/intake
    """
    try:
        plan = starter.init(Path(directory), dry_run=dry_run)
    except starter.InitError as exc:
        click.echo(f"intake: {exc}", err=True)
        sys.exit(1)
    click.echo(("dry run: would write" if dry_run else "wrote") + f" in {plan.directory}:")
    for path in plan.written:
        click.echo(f"  {path}")
    if not dry_run:
        click.echo(
            f"next: edit {plan.config} (lines marked CHANGE), put the mail password in"
            f" {plan.directory / 'secrets' / 'mail-password'}, then run:"
            f" intake --config {plan.config} config check"
        )


def add_to(main: click.Group) -> None:
    for command in (init,):
        main.add_command(command)
