"""Send queued mail over SMTP, each row at most once.

A row goes queued -> sending (committed) -> sent. If the process dies while a
row is `sending`, we cannot know whether the server took it; on the next start
such rows become `uncertain` and go to staff instead of being sent again: a
member never gets the same acknowledgement twice. Temporary failures (server
down, 4xx) are retried with exponential backoff; a permanent 5xx marks the row
failed and puts its request in triage with the reason.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from intake.config import SmtpConfig
from intake.store import Store, utcnow
from intake.tls import client_context

log = logging.getLogger("intake.outbox")


@dataclass
class SendReport:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    error: str | None = None


def recover_interrupted(store: Store) -> int:
    """At start: rows left `sending` by a crash become `uncertain` and go to triage."""
    rows = store.query("SELECT id, request_id, recipient, kind FROM outbox WHERE status='sending'")
    with store.transaction():
        for row in rows:
            store.update("outbox", row["id"], {
                "status": "uncertain",
                "last_error": "process stopped while sending; not resent to avoid a duplicate"})
            if row["request_id"]:
                store.update("requests", row["request_id"], {
                    "status": "triage", "updated_at": utcnow(),
                    "triage_reason": f"{row['kind']} to {row['recipient']} may not have been sent"})
            store.event("send_uncertain", request_id=row["request_id"], outbox_id=row["id"])
    return len(rows)


def _connect(cfg: SmtpConfig) -> smtplib.SMTP:
    context = client_context()
    if cfg.security == "tls":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout,
                                              context=context)
    else:
        smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        if cfg.security == "starttls":
            smtp.starttls(context=context)
    if cfg.username:
        smtp.login(cfg.username, cfg.password.resolve() or "")
    return smtp


def due_rows(store: Store, limit: int = 200) -> list:
    return store.query(
        "SELECT id, request_id, kind, recipient, raw, attempts FROM outbox WHERE status='queued'"
        " AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT ?",
        (utcnow(), limit))


def send_due(store: Store, cfg: SmtpConfig, *, dry_run: bool = False) -> SendReport:
    """Send every due row, a batch (one SMTP session) at a time."""
    total = SendReport()
    while True:
        report = _send_batch(store, cfg, dry_run=dry_run)
        total.sent += report.sent
        total.retry += report.retry
        total.failed += report.failed
        total.error = total.error or report.error
        if report.error or dry_run or report.retry or report.sent + report.failed == 0:
            return total


def _send_batch(store: Store, cfg: SmtpConfig, *, dry_run: bool) -> SendReport:
    report = SendReport()
    rows = due_rows(store)
    if not rows or dry_run:
        return report
    try:
        smtp = _connect(cfg)
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        report.error = (f"SMTP {cfg.host}:{cfg.port} unreachable ({exc.__class__.__name__}:"
                        f" {exc}); {len(rows)} mail(s) stay queued")
        with store.transaction():  # one line in the log for the outage, not one per mail
            for row in rows:
                _retry(store, cfg, row, report.error, quiet=True)
                report.retry += 1
        return report
    try:
        for row in rows:
            _send_one(store, cfg, smtp, row, report)
            if report.error:  # connection lost: the rest wait for the next cycle
                break
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return report


def _send_one(store: Store, cfg: SmtpConfig, smtp: smtplib.SMTP, row, report: SendReport) -> None:
    with store.transaction():
        claimed = store.conn.execute(
            "UPDATE outbox SET status='sending', attempts=attempts+1 WHERE id=? AND"
            " status='queued'", (row["id"],)).rowcount
    if not claimed:
        return
    try:
        refused = smtp.sendmail(cfg.from_address, [row["recipient"]], row["raw"])
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        _outcome(store, cfg, row, code, text, report)
        return
    except smtplib.SMTPResponseException as exc:
        _outcome(store, cfg, row, exc.smtp_code, exc.smtp_error, report)
        return
    except (OSError, smtplib.SMTPException) as exc:
        # The server may or may not have the message only if it answered DATA;
        # a dropped connection before that is a plain retry.
        report.error = f"SMTP connection lost: {exc.__class__.__name__}: {exc}"
        _retry(store, cfg, row, report.error)
        report.retry += 1
        return
    if refused:
        code, text = next(iter(refused.values()))
        _outcome(store, cfg, row, code, text, report)
        return
    with store.transaction():
        store.update("outbox", row["id"], {"status": "sent", "sent_at": utcnow(),
                                           "last_error": None})
        store.event("reply_sent", request_id=row["request_id"], outbox_id=row["id"],
                    kind=row["kind"], recipient=row["recipient"])
    report.sent += 1
    log.info("sent %s #%s to %s", row["kind"], row["id"], row["recipient"])


def _outcome(store: Store, cfg: SmtpConfig, row, code: int, text: bytes | str,
             report: SendReport) -> None:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    reason = f"SMTP {code} {message}".strip()[:300]
    if 400 <= code < 500:
        _retry(store, cfg, row, reason)
        report.retry += 1
        return
    _fail(store, row, reason)
    report.failed += 1


def _retry(store: Store, cfg: SmtpConfig, row, reason: str, *, quiet: bool = False) -> None:
    attempts = (row["attempts"] or 0) + 1
    if attempts >= cfg.max_attempts:
        _fail(store, row, f"gave up after {attempts} attempts: {reason}")
        return
    delay = min(cfg.retry_base_seconds * (2 ** (attempts - 1)), 6 * 3600)
    when = (datetime.now(UTC) + timedelta(seconds=delay)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with store.transaction():
        store.conn.execute(
            "UPDATE outbox SET status='queued', attempts=?, next_attempt_at=?, last_error=?"
            " WHERE id=?", (attempts, when, reason, row["id"]))
    log.log(logging.DEBUG if quiet else logging.WARNING, "outbox #%s to %s: %s; retry in %ds",
            row["id"], row["recipient"], reason, delay)


def _fail(store: Store, row, reason: str) -> None:
    with store.transaction():
        store.update("outbox", row["id"], {"status": "failed", "last_error": reason})
        if row["request_id"]:
            store.update("requests", row["request_id"], {
                "status": "triage", "updated_at": utcnow(),
                "triage_reason": f"{row['kind']} to {row['recipient']} failed: {reason}"[:300]})
        store.event("send_failed", request_id=row["request_id"], outbox_id=row["id"],
                    recipient=row["recipient"], reason=reason)
    log.error("outbox #%s to %s failed permanently: %s", row["id"], row["recipient"], reason)


def copy_sent(store: Store, directory: Path) -> None:
    """Write a copy of each sent mail as an .eml file (config key service.mail_copy_dir)."""
    directory.mkdir(parents=True, exist_ok=True)
    for row in store.query("SELECT id, kind, recipient, raw FROM outbox WHERE status='sent'"):
        name = f"{row['id']:04d}-{row['kind']}-{row['recipient'].replace('@', '_at_')}.eml"
        path = directory / name
        if not path.exists():
            path.write_bytes(row["raw"])


