"""What every `intake` command module shares: the lazily built environment, output helpers."""

from __future__ import annotations

import getpass
import json
import os
from typing import Any

import click

from intake import register
from intake.config import load_config
from intake.context import Env
from intake.rulebook import load_rules
from intake.store import Store
from intake.templating import Templates


class Obj:
    def __init__(self, config_path: str, actor: str | None) -> None:
        self.config_path = config_path
        self.actor = actor or os.environ.get("INTAKE_ACTOR") or _login_name()
        self._env: Env | None = None

    @property
    def env(self) -> Env:
        if self._env is None:
            config = load_config(self.config_path)
            store = Store(config.database)
            store.migrate()
            rules = load_rules(config.rules_dir)
            register.sync_rules(store, rules)
            self._env = Env(
                config=config,
                rules=register.effective_rules(rules, store),
                store=store,
                templates=Templates(config.templates_dir),
                actor=self.actor,
            )
        return self._env

    def where(self) -> str:
        """The database in use (for an error line), or the config file if not yet open."""
        return f"database {self._env.store.path}" if self._env else f"config {self.config_path}"


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001
        return "staff"


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _table(rows: list[list[str]], headers: list[str]) -> None:
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = min(max(widths[i], len(cell)), 48)
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    click.echo(line)
    click.echo("  ".join("-" * w for w in widths))
    for row in rows:
        click.echo("  ".join(c[:w].ljust(w) for c, w in zip(row, widths, strict=True)))
