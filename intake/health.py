"""What `intake status` checks: each condition that needs a person, in one line.

A monitoring check runs `intake status` (or `--json`) and alerts on a non-zero exit;
so every way the service can fail in silence is a check here, named by what is wrong
(database, disk, inbox, smtp, outbox, shunted). See docs/reliability.md.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

from intake import queries_mailbox as q_mailbox
from intake import queries_outbox as q_outbox
from intake import queries_status as q_status
from intake import service_lock
from intake.config import Config
from intake.store import RESTORE_HINT, Store, utcnow


def report(store: Store, config: Config) -> dict:
    """The status report: counts, inboxes, the service holding the lock, and `problems`
    (one line each, prefixed by the check's name) with `checks` (name -> "ok" or the line)."""
    problems: dict[str, list[str]] = {}

    def problem(check: str, line: str) -> None:
        problems.setdefault(check, []).append(f"{check}: {line}")

    damage = store.quick_check()
    if damage:
        problem("database", f"{config.database} is damaged (quick_check: {damage}); {RESTORE_HINT}")
        # counting rows of a damaged file can fail on any query: the report stops here
        return _finish({"database": str(config.database), "problems": []}, problems)
    running = service_lock.holder(config.database)
    free_mb = shutil.disk_usage(config.database.parent).free // (1024 * 1024)
    if free_mb < config.min_free_disk_mb:
        problem(
            "disk",
            f"only {free_mb} MB free for {config.database} (service.min_free_disk_mb"
            f" = {config.min_free_disk_mb}); free space before SQLite cannot write",
        )
    inboxes = []
    for inbox in config.inboxes:
        cp = q_mailbox.checkpoint(store, inbox.name, inbox.folder)
        item = {
            "name": inbox.name,
            "folder": inbox.folder,
            "last_ok_at": cp["last_ok_at"] if cp else None,
            "last_error": cp["last_error"] if cp else None,
            "failures": cp["failures"] if cp else 0,
            "last_uid": cp["last_uid"] if cp else None,
        }
        inboxes.append(item)
        if item["last_ok_at"] is None:
            problem(
                "inbox",
                f"{inbox.name} never polled successfully"
                + (f" ({item['last_error']})" if item["last_error"] else " (has the service run?)"),
            )
        elif item["last_error"]:
            problem("inbox", f"{inbox.name}: {item['last_error']}")
    waiting, last_error = q_outbox.retrying(store)
    if waiting:
        problem("smtp", f"{waiting} mail(s) queued and not sent: {last_error}")
    # a send in progress lasts at most the SMTP timeout for each of its few exchanges
    bound = (datetime.now(UTC) - timedelta(seconds=4 * config.smtp.timeout + 60)).strftime(
        "%Y-%m-%dT%H:%M:%S"
    )
    stuck, since = q_outbox.stuck_sending(store, started_before=None if running is None else bound)
    if stuck:
        problem(
            "outbox",
            f"{stuck} mail(s) stuck in `sending` since {since or 'unknown'}"
            + (
                " and no service running: they become `uncertain` at its next start"
                if running is None
                else "; is the service hung?"
            ),
        )
    body = {
        "database": str(config.database),
        "service": running,
        "disk_free_mb": free_mb,
        "inboxes": inboxes,
        "backlog": q_status.messages(store, "stored"),
        "triage": q_status.triage_size(store),
        "outbox_queued": q_outbox.count(store, "queued"),
        "outbox_sending": q_outbox.count(store, "sending"),
        "outbox_failed": q_outbox.count(store, "failed", "uncertain"),
        "outbox_uncertain": q_outbox.count(store, "uncertain"),
        "shunted": q_status.messages(store, "shunted"),
        "requests": q_status.requests(store),
        "checked_at": utcnow(),
    }
    if body["outbox_failed"]:
        problem(
            "outbox",
            f"{body['outbox_failed']} outgoing mail(s) failed or uncertain"
            " (`intake outbox list --status uncertain`)",
        )
    if body["shunted"]:
        problem("shunted", f"{body['shunted']} shunted message(s) (`intake shunted list`)")
    return _finish(body, problems)


CHECKS = ("database", "disk", "inbox", "smtp", "outbox", "shunted")


def _finish(body: dict, problems: dict[str, list[str]]) -> dict:
    body["checks"] = {name: "; ".join(problems[name]) if name in problems else "ok" for name in CHECKS}
    body["problems"] = [line for name in CHECKS for line in problems.get(name, [])]
    return body
