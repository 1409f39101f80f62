"""Retention: content expires on a schedule ([retention] in the config, docs/privacy.md).

What expires is content, never the row: a message keeps its sender, subject, decision
and request (so counts, reports and the audit trail still add up) and loses its raw
bytes, body and attachment list; an outgoing mail keeps its recipient, kind and status
and loses its copy. Each message or mail says when and why (`redacted`). Run once a
day by the service; `now` is a parameter so tests can move the clock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from intake import queries_outbox as q_outbox
from intake import queries_privacy as q_privacy
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
    machine = q_privacy.machine_mail_before(store, machine_before)
    finished = q_privacy.finished_mail_before(store, FINISHED, closed_before)
    finished = [pk for pk in finished if pk not in set(machine)]
    outgoing = q_outbox.expiring(store, outgoing_before)
    report = RetentionReport(len(machine), len(finished), len(outgoing))
    if dry_run or not report.total:
        return report
    mark = f"retention {_stamp(now)}"
    with store.transaction():
        q_privacy.remove_content(store, machine + finished, mark)
        q_outbox.remove_copies(store, outgoing, mark)
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
