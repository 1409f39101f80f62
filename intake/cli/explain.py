"""`intake explain`: how one .eml file would be decided, and why."""

from __future__ import annotations

import json
from pathlib import Path

import click

from intake import evaluation


@click.command()
@click.argument("eml", type=click.Path(exists=True, dir_okay=False))
@click.option("--inbox", help="Pretend it arrived at this inbox (a name from the config).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def explain(obj, eml: str, inbox: str | None, as_json: bool) -> None:
    """Show every stage's verdict for one .eml file; stores and sends nothing.

    \b
    Example:
      intake explain ../shared/corpus/dev/0018.eml --inbox lcc
    """
    result = evaluation.explain(obj.env, Path(eml).read_bytes(), inbox=inbox)
    if as_json:
        click.echo(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    else:
        click.echo(evaluation.format_explain(result))


def add_to(main: click.Group) -> None:
    for command in (explain,):
        main.add_command(command)
