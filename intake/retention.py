"""Retention: content expires on a schedule ([retention] in the config, docs/privacy.md).

What expires is content, never the row: a message keeps its sender, subject, decision
and request (so counts, reports and the audit trail still add up) and loses its raw
bytes, body and attachment list; an outgoing mail keeps its recipient, kind and status
and loses its copy. Each message or mail says when and why (`redacted`). Run once a
day by the service; `now` is a parameter so tests can move the clock.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from intake.config import RetentionConfig
from intake.store import Store

log = logging.getLogger("intake.retention")

# A request is finished when nobody waits on it: closed by staff, or handed over
# (routed to a facilitator, resolved in triage). Its clock starts at its last activity.
FINISHED = ("closed", "routed", "resolved")


@dataclass
class RetentionReport:
    machine_mail: int = 0  # messages of machine mail whose content was removed
    closed_requests: int = 0  # messages of finished requests whose content was removed
    outgoing_mail: int = 0  # outgoing copies removed
    file_clean: bool = True

    @property
    def total(self) -> int:
        return self.machine_mail + self.closed_requests + self.outgoing_mail


def _stamp(when: datetime) -> str:
    """As utcnow() writes stamps, so they compare as text."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def enforce(
    store: Store,
    cfg: RetentionConfig,
    *,
    now: datetime,
    dry_run: bool = False,
    mail_copy_dir: Path | None = None,
) -> RetentionReport:
    """Remove what is older than the configured days at `now` (an aware datetime)."""
    machine_before = _stamp(now - timedelta(days=cfg.machine_mail_days))
    closed_before = _stamp(now - timedelta(days=cfg.closed_requests_days))
    outgoing_before = _stamp(now - timedelta(days=cfg.outgoing_mail_days))
    machine = [
        r[0]
        for r in store.query(
            "SELECT id FROM messages WHERE role='machine' AND redacted IS NULL AND stored_at < ?",
            (machine_before,),
        )
    ]
    finished = [
        r[0]
        for r in store.query(
            "SELECT m.id FROM messages m JOIN requests r ON r.id = m.request_id"
            f" WHERE m.redacted IS NULL AND r.status IN {FINISHED}"
            " AND COALESCE(r.updated_at, r.created_at) < ?",
            (closed_before,),
        )
    ]
    finished = [pk for pk in finished if pk not in set(machine)]
    outgoing = [
        r[0]
        for r in store.query(
            "SELECT id FROM outbox WHERE redacted IS NULL AND status IN ('sent', 'failed',"
            " 'suppressed') AND created_at < ?",
            (outgoing_before,),
        )
    ]
    report = RetentionReport(len(machine), len(finished), len(outgoing))
    if dry_run or not report.total:
        return report
    mark = f"retention {_stamp(now)}"
    messages = json.dumps(machine + finished)
    with store.transaction():
        store.conn.execute(
            "DELETE FROM message_raw WHERE message_pk IN (SELECT value FROM json_each(?))", (messages,)
        )
        store.conn.execute(
            "UPDATE messages SET body_text=NULL, attachments='[]', redacted=?"
            " WHERE id IN (SELECT value FROM json_each(?))",
            (mark, messages),
        )
        store.conn.execute(
            "UPDATE outbox SET raw=x'', redacted=? WHERE id IN (SELECT value FROM json_each(?))",
            (mark, json.dumps(outgoing)),
        )
        store.event(
            "retention_applied",
            machine_mail=report.machine_mail,
            closed_requests=report.closed_requests,
            outgoing_mail=report.outgoing_mail,
            machine_mail_days=cfg.machine_mail_days,
            closed_requests_days=cfg.closed_requests_days,
            outgoing_mail_days=cfg.outgoing_mail_days,
        )
    report.file_clean = store.compact(vacuum=False)
    if mail_copy_dir is not None:
        from intake.privacy import remove_mail_copies

        remove_mail_copies(mail_copy_dir, outgoing)
    log.info(
        "retention: removed the content of %d machine mail(s), %d message(s) of"
        " finished requests, %d outgoing copies",
        report.machine_mail,
        report.closed_requests,
        report.outgoing_mail,
    )
    return report
