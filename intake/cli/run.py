"""`intake run`: the service loop (as run_service.py)."""

from __future__ import annotations

import logging
import sqlite3
import sys

import click

from intake.cli.common import Obj
from intake.config import load_config
from intake.store import is_damage


@click.command("run")
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


def add_to(main: click.Group) -> None:
    for command in (run_cmd,):
        main.add_command(command)
