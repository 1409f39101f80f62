"""`intake staff`: desk accounts."""

from __future__ import annotations

import json
import sys

import click

from intake.cli.common import Obj


@click.group()
def staff() -> None:
    """Accounts for the web triage desk (secretariat staff and facilitators)."""


def _read_password(confirm: bool = True) -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=confirm)


@staff.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["staff", "facilitator", "admin"]), required=True)
@click.option("--group", help="For a facilitator: the group id they facilitate.")
@click.option("--no-password", is_flag=True, help="Create without a password (set it later).")
@click.option("--dry-run", is_flag=True, help="Check only; change nothing.")
@click.pass_obj
def staff_add(obj, name: str, role: str, group: str | None, no_password: bool, dry_run: bool) -> None:
    """Add an account; the password is read from a prompt (or one line of stdin).

    \b
    Example:
      intake staff add anna --role staff
      intake staff add erik --role admin   # the first admin; then the desk's Accounts page
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


@staff.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(["staff", "facilitator", "admin"]))
@click.option("--group", help="For a facilitator: the group id they facilitate.")
@click.option("--dry-run", is_flag=True, help="Check only; change nothing.")
@click.pass_obj
def staff_role(obj: Obj, name: str, role: str, group: str | None, dry_run: bool) -> None:
    """Set an account's role (e.g. make the first admin, who manages accounts in the desk).

    \b
    Example:
      intake staff role anna admin
      intake staff role philipp facilitator --group lcc
    """
    from intake import accounts, queries_staff, staff_admin

    store = obj.env.store
    row = next((r for r in queries_staff.staff_rows(store) if r.name == name), None)
    if row is None:
        raise accounts.AccountError(f"no account named {name!r}; see `intake staff list`")
    if dry_run:
        click.echo(f"would make {name} {role}" + (f" of {group}" if group else ""))
        return
    actor = accounts.Account(0, obj.actor, "admin", None)  # the operator at the console
    staff_admin.set_role(store, obj.env.rules, actor, row.id, role, group)
    click.echo(f"{name} is now {role}" + (f" of {group}" if role == "facilitator" else ""))


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
