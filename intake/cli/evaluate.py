"""`intake eval`: classification and screening measured on labelled mail."""

from __future__ import annotations

import json
from pathlib import Path

import click

from intake import evaluation


@click.group("eval")
def eval_group() -> None:
    """Measure classification and screening on labelled mail."""


@eval_group.command("classify")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--include-staff-labels",
    is_flag=True,
    help="Also score requests staff resolved in triage (labelled examples).",
)
@click.pass_obj
def eval_classify(obj, directory: str, as_json: bool, include_staff_labels: bool) -> None:
    """Accuracy per field, confusion tables, triage rate, misclassified files.

    DIRECTORY holds .eml files and labels.csv (file,intent,group,language,...).

    \b
    Example:
      intake eval classify ../shared/corpus/dev
    """
    result = evaluation.evaluate_classification(obj.env, Path(directory), include_staff=include_staff_labels)
    if as_json:
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        click.echo(evaluation.format_classification(result))


@eval_group.command("screening")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def eval_screening(obj, directory: str, as_json: bool) -> None:
    """Precision and recall per screening class.

    DIRECTORY holds labels.csv with source,relpath,label (realworld corpus) or
    file,intent (dev corpus, where intent 'auto' means a machine).

    \b
    Example:
      intake eval screening ../shared/corpus/realworld
    """
    result = evaluation.evaluate_screening(obj.env, Path(directory))
    if as_json:
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        click.echo(evaluation.format_screening(result))


def add_to(main: click.Group) -> None:
    for command in (eval_group,):
        main.add_command(command)
