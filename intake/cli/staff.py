"""`intake staff`: desk accounts."""

from __future__ import annotations

import json
import sys

import click


@click.group()
def staff() -> None:
    """Accounts for the web triage desk (secretariat staff and facilitators)."""


def _read_password(confirm: bool = True) -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=confirm)


@staff.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["staff", "facilitator"]), required=True)
@click.option("--group", help="For a facilitator: the group id they facilitate.")
@click.option("--no-password", is_flag=True, help="Create without a password (set it later).")
@click.option("--dry-run", is_flag=True, help="Check only; change nothing.")
@click.pass_obj
def staff_add(obj, name: str, role: str, group: str | None, no_password: bool, dry_run: bool) -> None:
    """Add an account; the password is read from a prompt (or one line of stdin).

    \b
    Example:
      intake staff add anna --role staff
      echo 'a long passphrase' | intake staff add philipp --role facilitator --group lcc
    """
    from intake import accounts

    env = obj.env
    if group and env.rules.group(group) is None:
        raise accounts.AccountError(f"unknown group {group!r}")
    if dry_run:
        click.echo(f"would add {role} {name}" + (f" for {group}" if group else ""))
        return
    password = None if no_password else _read_password()
    accounts.add(env.store, name, role, env.rules.canonical_group(group) if group else None, password)
    click.echo(f"added {role} {name}" + (f" ({group} facilitator)" if role == "facilitator" else ""))


@staff.command("passwd")
@click.argument("name")
@click.pass_obj
def staff_passwd(obj, name: str) -> None:
    """Set an account's password (prompt, or one line of stdin).

    \b
    Example:
      intake staff passwd anna
    """
    from intake import accounts

    accounts.set_password(obj.env.store, name, _read_password())
    click.echo(f"password set for {name}")


@staff.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def staff_list(obj, as_json: bool) -> None:
    """List accounts.

    \b
    Example:
      intake staff list
    """
    from intake import accounts

    rows = accounts.list_accounts(obj.env.store)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        click.echo(
            f"{r['name']:<20} {r['role']:<12} {r['group'] or '':<10}"
            f" {'password set' if r['has_password'] else 'NO PASSWORD'}"
        )


def add_to(main: click.Group) -> None:
    for command in (staff,):
        main.add_command(command)
