"""The `intake` command: `intake <noun> <verb>` for operators and secretariat staff."""

from __future__ import annotations

import logging
import sqlite3
import sys
from typing import Any

import click

from intake import logformat, triage
from intake import members as roster
from intake.accounts import AccountError
from intake.cli.common import Obj
from intake.config import ConfigError
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
        except (StoreError, roster.RosterError, triage.TriageError, FileNotFoundError, AccountError) as exc:
            click.echo(f"intake: {exc}", err=True)
            sys.exit(1)
        except sqlite3.DatabaseError as exc:  # damaged, locked too long, disk full ...
            hint = RESTORE_HINT if is_damage(exc) else "see docs/reliability.md"
            click.echo(f"intake: {ctx.obj.where()}: {exc}; {hint}", err=True)
            sys.exit(1)


@click.group(cls=IntakeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    envvar="INTAKE_CONFIG",
    default=DEFAULT_CONFIG,
    show_default=True,
    help="Config file (or set INTAKE_CONFIG).",
)
@click.option("--actor", help="Your name for the audit trail (default: your login name).")
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level.")
@click.option(
    "--log-format",
    type=click.Choice(logformat.FORMATS),
    default="text",
    show_default=True,
    help="json: one JSON object per log line.",
)
@click.pass_context
def main(ctx: click.Context, config_path: str, actor: str | None, verbose: bool, log_format: str) -> None:
    """Email intake and routing for the Procura+ Interest Groups.

    \b
    Example:
      intake --config intake.toml queue list
    """
    logformat.setup(logging.INFO if verbose else logging.WARNING, log_format)
    ctx.obj = Obj(config_path, actor)


from intake.cli import (  # noqa: E402  (each module adds its commands to main)
    backup,
    config,
    demo,
    evaluate,
    explain,
    init,
    members,
    oauth,
    outbox,
    privacy,
    queue,
    register,
    requests,
    run,
    shunted,
    staff,
    status,
    web,
)

for _module in (
    requests,
    queue,
    members,
    shunted,
    outbox,
    status,
    evaluate,
    explain,
    staff,
    web,
    register,
    privacy,
    init,
    config,
    backup,
    demo,
    oauth,
    run,
):
    _module.add_to(main)
