"""`intake init`, `intake config check`, `intake backup`, `intake restore`, `intake demo`:
installing and operating intake (docs/operators.md)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from intake import backup as backups
from intake import preflight, starter
from intake.cli_common import Obj
from intake.config import ConfigError, load_config


def register(main: click.Group) -> None:
    main.add_command(init)
    main.add_command(config)
    main.add_command(backup)
    main.add_command(restore)
    main.add_command(demo)


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


@click.group()
def config() -> None:
    """The config file."""


@config.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of checks.")
@click.pass_obj
def config_check(obj: Obj, as_json: bool) -> None:
    """Validate the config and reach every server: an IMAP login (and folder select) per
    inbox, SMTP connect, EHLO and login. One line per check; exit 1 if any fails
    (2 if the config itself is invalid).

    \b
    Example:
      intake --config /srv/intake/intake.toml config check
    """
    try:
        cfg = load_config(obj.config_path)
    except ConfigError as exc:
        failed = preflight.Check("config", False, str(exc))
        click.echo(json.dumps([failed.as_dict()]) if as_json else failed.line())
        sys.exit(2)
    checks = preflight.run_checks(cfg)
    if as_json:
        click.echo(json.dumps([c.as_dict() for c in checks], indent=2))
    else:
        for check in checks:
            click.echo(check.line())
    sys.exit(0 if all(c.ok for c in checks) else 1)


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


@click.command()
@click.option("--no-web", is_flag=True, help="Do not serve the desk afterwards.")
@click.option(
    "--web", "web_forever", is_flag=True, help="Serve the desk until Ctrl-C, even without a terminal."
)
@click.option("--out", default="demo-output", show_default=True, help="Where the demo writes its files.")
def demo(no_web: bool, web_forever: bool, out: str) -> None:
    """Run the real service on embedded IMAP and SMTP servers with sample mail (no set-up).

    Without a terminal the desk is served for INTAKE_DEMO_WEB_SECONDS (30) and the demo ends.

    \b
    Example:
      intake demo --no-web
    """
    from intake.demo import main as demo_main

    sys.exit(demo_main(no_web=no_web, web_forever=web_forever, out_dir=out))
