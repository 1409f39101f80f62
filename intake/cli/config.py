"""`intake config check`: the config, and every server it names."""

from __future__ import annotations

import json
import sys

import click

from intake import preflight
from intake.cli.common import Obj
from intake.config import ConfigError, load_config


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


def add_to(main: click.Group) -> None:
    for command in (config,):
        main.add_command(command)
