"""`intake members`: the membership roster."""

from __future__ import annotations

import json

import click

from intake import members as roster
from intake.cli.common import Obj, _echo_json, _table


@click.group()
def members() -> None:
    """The membership roster (Participants and Strategic Partners)."""


@members.command("import")
@click.argument("csv_file", metavar="FILE", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--allow-empty", is_flag=True, help="Accept a file with no organisations (empties the roster).")
@click.pass_obj
def members_import(obj: Obj, csv_file: str, dry_run: bool, allow_empty: bool) -> None:
    """Import the roster: a CSV (organisation,country,membership,domains,contact_emails;
    ',' or ';' between columns, UTF-8 or Windows-1252) or an Excel .xlsx with those columns.

    Organisations missing from the file are removed. A bad row stops the import
    with its line number; nothing is half-written. A domain or contact address
    listed by two organisations is refused (both lines named), and so is a file
    with no organisations unless --allow-empty. A public suffix (co.uk, gv.at) is refused
    as a domain, and so is anything in contact_emails that is not an email address.

    \b
    Example:
      intake members import roster.csv --dry-run
    """
    plan = roster.import_file(obj.env.store, csv_file, obj.actor, dry_run=dry_run, allow_empty=allow_empty)
    click.echo(("dry run: would apply " if dry_run else "") + plan.summary())
    for label, names in (("added", plan.added), ("changed", plan.changed), ("removed", plan.removed)):
        for name in names:
            click.echo(f"  {label}: {name}")


@members.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--search", help="Only organisations, domains or addresses containing this.")
@click.pass_obj
def members_list(obj: Obj, as_json: bool, search: str | None) -> None:
    """List the roster.

    \b
    Example:
      intake members list --search heidelberg
    """
    rows = []
    for r in obj.env.store.query("SELECT * FROM members ORDER BY organisation"):
        item = {
            "organisation": r["organisation"],
            "country": r["country"],
            "membership": r["membership"],
            "domains": json.loads(r["domains"]),
            "contact_emails": json.loads(r["contact_emails"]),
        }
        if search and search.lower() not in json.dumps(item, ensure_ascii=False).lower():
            continue
        rows.append(item)
    if as_json:
        _echo_json(rows)
        return
    _table(
        [[r["organisation"], r["country"], r["membership"], ";".join(r["domains"])] for r in rows],
        ["organisation", "country", "membership", "domains"],
    )


@members.command("export")
@click.option(
    "--csv", "as_csv", is_flag=True, default=True, help="CSV in the import's columns (the default)."
)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to this file (default: stdout).")
@click.pass_obj
def members_export(obj: Obj, as_csv: bool, output: str | None) -> None:
    """Export the roster as CSV, in the columns `intake members import` reads. A cell that a
    spreadsheet would run as a formula (starting with = + - @) gets a leading apostrophe.

    \b
    Example:
      intake members export --csv -o roster-backup.csv
    """
    text = roster.export_csv(obj.env.store)
    if output:
        with open(output, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    else:
        click.echo(text, nl=False)


def add_to(main: click.Group) -> None:
    for command in (members,):
        main.add_command(command)
