"""`intake status`: is everything well? (for people and monitoring)"""

from __future__ import annotations

import json
import sys

import click


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def status(obj, as_json: bool) -> None:
    """Health: exit 1, with one line per problem, when a person is needed.

    Checks: the database (PRAGMA quick_check), free disk, each inbox polled
    successfully, SMTP sending what is queued, no mail stuck in `sending`, failed or
    uncertain mail, shunted messages. --json gives `checks` (name -> "ok" or the
    problem) and `problems` for a monitoring script.

    \b
    Example:
      intake status --json
    """
    from intake import health

    report = health.report(obj.env.store, obj.env.config)
    problems = report["problems"]
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        for i in report.get("inboxes", []):
            click.echo(
                f"inbox {i['name']:<16} last ok {i['last_ok_at'] or 'never'}"
                + (f"  ERROR: {i['last_error']}" if i["last_error"] else "")
            )
        if "backlog" in report:
            click.echo(
                f"service {report['service'] or 'not running'}; backlog {report['backlog']},"
                f" triage {report['triage']}, outbox queued {report['outbox_queued']},"
                f" failed {report['outbox_failed']}, shunted {report['shunted']},"
                f" disk free {report['disk_free_mb']} MB"
            )
        for p in problems:
            click.echo(f"needs a person: {p}")
    sys.exit(1 if problems else 0)


def add_to(main: click.Group) -> None:
    for command in (status,):
        main.add_command(command)
