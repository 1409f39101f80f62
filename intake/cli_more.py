"""`intake` commands beyond the spine: outbox, status, eval, explain."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from intake import evaluation
from intake.store import utcnow


def register(main: click.Group) -> None:
    main.add_command(staff)
    main.add_command(web)
    main.add_command(outbox)
    main.add_command(status)
    main.add_command(eval_group)
    main.add_command(explain)


@click.group()
def outbox() -> None:
    """Outgoing mail: acknowledgements, forwards, staff notices."""


@outbox.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--status", help="Only rows with this status (queued, sent, failed, uncertain ...).")
@click.pass_obj
def outbox_list(obj, as_json: bool, status: str | None) -> None:
    """List outgoing mail.

    \b
    Example:
      intake outbox list --status failed
    """
    sql = ("SELECT id, request_id, kind, template, language, recipient, status, attempts,"
           " last_error, created_at, sent_at FROM outbox")
    params: tuple = ()
    if status:
        sql += " WHERE status=?"
        params = (status,)
    rows = [dict(r) for r in obj.env.store.query(sql + " ORDER BY id", params)]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        click.echo(f"#{r['id']:<5} req {r['request_id']!s:<5} {r['kind']:<12} {r['template']:<16}"
                   f" {r['language'] or '-':<3} {r['status']:<10} {r['recipient']}"
                   + (f"  ({r['last_error']})" if r["last_error"] else ""))


@outbox.command("retry")
@click.argument("outbox_id", type=int)
@click.option("--dry-run", is_flag=True, help="Check only; change nothing.")
@click.pass_obj
def outbox_retry(obj, outbox_id: int, dry_run: bool) -> None:
    """Queue a failed or uncertain mail again (staff checked it was not received).

    \b
    Example:
      intake outbox retry 7
    """
    store = obj.env.store
    row = store.one("SELECT status, redacted FROM outbox WHERE id=?", (outbox_id,))
    if row is None or row["status"] not in ("failed", "uncertain"):
        click.echo(f"intake: outbox #{outbox_id} is not failed or uncertain", err=True)
        sys.exit(1)
    if row["redacted"]:  # its copy is gone (docs/privacy.md)
        click.echo(f"intake: outbox #{outbox_id} was removed ({row['redacted']}); nothing to send",
                   err=True)
        sys.exit(1)
    if dry_run:
        click.echo(f"outbox #{outbox_id} would be queued again")
        return
    with store.transaction():  # compare and set: only the status just checked is changed
        store.conn.execute("UPDATE outbox SET status='queued', attempts=0, next_attempt_at=?"
                           " WHERE id=? AND status=?", (utcnow(), outbox_id, row["status"]))
        store.event("send_retry", actor=obj.actor, outbox_id=outbox_id)
    click.echo(f"outbox #{outbox_id} queued again; it goes out in the next cycle")


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
            click.echo(f"inbox {i['name']:<16} last ok {i['last_ok_at'] or 'never'}"
                       + (f"  ERROR: {i['last_error']}" if i["last_error"] else ""))
        if "backlog" in report:
            click.echo(f"service {report['service'] or 'not running'}; backlog {report['backlog']},"
                       f" triage {report['triage']}, outbox queued {report['outbox_queued']},"
                       f" failed {report['outbox_failed']}, shunted {report['shunted']},"
                       f" disk free {report['disk_free_mb']} MB")
        for p in problems:
            click.echo(f"needs a person: {p}")
    sys.exit(1 if problems else 0)


@click.group("eval")
def eval_group() -> None:
    """Measure classification and screening on labelled mail."""


@eval_group.command("classify")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--include-staff-labels", is_flag=True,
              help="Also score requests staff resolved in triage (labelled examples).")
@click.pass_obj
def eval_classify(obj, directory: str, as_json: bool, include_staff_labels: bool) -> None:
    """Accuracy per field, confusion tables, triage rate, misclassified files.

    DIRECTORY holds .eml files and labels.csv (file,intent,group,language,...).

    \b
    Example:
      intake eval classify ../shared/corpus/dev
    """
    result = evaluation.evaluate_classification(obj.env, Path(directory),
                                                include_staff=include_staff_labels)
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
def staff_add(obj, name: str, role: str, group: str | None, no_password: bool,
              dry_run: bool) -> None:
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
    accounts.add(env.store, name, role, env.rules.canonical_group(group) if group else None,
                 password)
    click.echo(f"added {role} {name}" + (f" ({group} facilitator)" if role == "facilitator"
                                          else ""))


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
        click.echo(f"{r['name']:<20} {r['role']:<12} {r['group'] or '':<10}"
                   f" {'password set' if r['has_password'] else 'NO PASSWORD'}")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.pass_obj
def web(obj, host: str, port: int) -> None:
    """Serve the staff triage desk (waitress).

    \b
    Example:
      intake --config intake.toml web --port 8080
    """
    from intake.web import serve
    config = obj.env.config
    click.echo(f"intake web: http://{host}:{port}/ (Ctrl-C to stop)")
    serve(config, host, port)
