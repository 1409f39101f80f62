"""`intake backup` and `intake restore`: consistent copies of the database."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from intake import backup as backups
from intake.cli.common import Obj
from intake.config import load_config


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--overwrite", is_flag=True, help="Replace FILE if it exists.")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@click.pass_obj
def backup(obj: Obj, file: str, overwrite: bool, as_json: bool) -> None:
    """Copy the database to FILE, consistently, while the service runs (SQLite's online
    backup API). The copy is checked and written 0600.

    \b
    Example:
      intake --config intake.toml backup /var/backups/intake/$(date +%F).sqlite3
    """
    cfg = load_config(obj.config_path)
    result = backups.backup(cfg.database, Path(file), overwrite=overwrite)
    if as_json:
        click.echo(json.dumps(asdict(result)))
    else:
        click.echo(f"backup {result.path}: {result.messages} messages, {result.bytes} bytes, quick_check ok")


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--dry-run", is_flag=True, help="Check the backup and the lock; change nothing.")
@click.pass_obj
def restore(obj: Obj, file: str, dry_run: bool) -> None:
    """Put the backup FILE in place of the database. Refused while the service runs (stop it
    first, and the desk); the database it replaces is kept beside it.

    \b
    Example:
      systemctl stop intake intake-desk
      intake --config intake.toml restore /var/backups/intake/2026-11-30.sqlite3
    """
    cfg = load_config(obj.config_path)
    result, kept = backups.restore(Path(file), cfg.database, dry_run=dry_run)
    prefix = "dry run: would restore" if dry_run else "restored"
    click.echo(f"{prefix} {result.path} ({result.messages} messages) to {cfg.database}")
    if kept is not None:
        click.echo(f"  {'would keep' if dry_run else 'kept'} the replaced database as {kept}")


def add_to(main: click.Group) -> None:
    for command in (
        backup,
        restore,
    ):
        main.add_command(command)
