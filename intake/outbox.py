"""Send queued mail over SMTP, each row at most once.

A row goes queued -> sending (committed) -> sent. Once the DATA command has been
written, nobody can know from here whether the relay kept the mail: a lost
connection, a timeout or any other error from then on marks the row `uncertain`
and puts its request in triage; it is never sent again by itself (a person checks
and uses `intake outbox retry`). A process that dies while a row is `sending`
leaves the same doubt: on the next start such rows become `uncertain` too.
Before DATA nothing can have been delivered: a server that is down, or a 4xx
reply, is retried with exponential backoff; a 5xx marks the row failed and puts
its request in triage with the reason.

Every change of a row's status is a compare-and-set on the status it was read
with, so no process overwrites an outcome another one recorded.

The service sends from a thread of its own (Sender) with its own database
connection: a slow relay never holds up storing and deciding new mail.
"""

from __future__ import annotations

import logging
import smtplib
import sqlite3
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from intake.config import Config, SmtpConfig
from intake.store import Store, is_damage, unusable, utcnow
from intake.tls import client_context

log = logging.getLogger("intake.outbox")


@dataclass
class SendReport:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    uncertain: int = 0
    error: str | None = None


def _move(store: Store, row_id: int, expected: str, values: dict) -> bool:
    """Compare and set: change the row only if its status is still `expected`."""
    columns = ", ".join(f"{name}=?" for name in values)
    return (
        store.conn.execute(
            f"UPDATE outbox SET {columns} WHERE id=? AND status=?",  # noqa: S608 - our column names
            (*values.values(), row_id, expected),
        ).rowcount
        == 1
    )


def _to_triage(store: Store, row, reason: str) -> None:  # noqa: ANN001
    if row["request_id"]:
        store.update(
            "requests",
            row["request_id"],
            {"status": "triage", "updated_at": utcnow(), "triage_reason": reason[:300]},
        )


def recover_interrupted(store: Store) -> int:
    """At start: rows left `sending` by a process that stopped become `uncertain` and go
    to triage. Only the holder of the service lock calls this (see intake/service_lock.py):
    no other process can be sending them."""
    rows = store.query("SELECT id, request_id, recipient, kind FROM outbox WHERE status='sending'")
    count = 0
    with store.transaction():
        for row in rows:
            if not _move(
                store,
                row["id"],
                "sending",
                {
                    "status": "uncertain",
                    "last_error": "process stopped while sending; not resent to avoid a duplicate",
                },
            ):
                continue
            _to_triage(store, row, f"{row['kind']} to {row['recipient']} may not have been sent")
            store.event(
                "send_uncertain",
                request_id=row["request_id"],
                outbox_id=row["id"],
                reason="process stopped while sending",
            )
            count += 1
    return count


def connect(cfg: SmtpConfig) -> smtplib.SMTP:
    """Open, STARTTLS and log in (password or OAuth2): the sender's and `intake config check`'s."""
    context = client_context()
    if cfg.security == "tls":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout, context=context)
    else:
        smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        if cfg.security == "starttls":
            smtp.starttls(context=context)
    if cfg.oauth2 is not None:
        smtp_oauth2_login(smtp, cfg)
    elif cfg.username:
        smtp.login(cfg.username, cfg.password.resolve() or "")
    return smtp


def smtp_oauth2_login(smtp: smtplib.SMTP, cfg: SmtpConfig) -> None:
    """AUTH XOAUTH2 or OAUTHBEARER with a token from intake/oauth.py. After a refusal the
    server sends a 334 with its error; the empty answer ends the exchange (RFC 7628)."""
    from intake import oauth

    build = oauth.sasl_oauthbearer if cfg.oauth2.mechanism == "OAUTHBEARER" else oauth.sasl_xoauth2

    def login(token: str) -> None:
        initial = build(cfg.username, token)
        smtp.auth(cfg.oauth2.mechanism, lambda challenge=None: initial if challenge is None else "")

    smtp.ehlo_or_helo_if_needed()
    try:
        oauth.with_token(cfg.oauth2, login, smtplib.SMTPAuthenticationError)
    except oauth.OAuthError as exc:
        raise smtplib.SMTPAuthenticationError(535, str(exc)) from None


def due_rows(store: Store, limit: int = 200) -> list:
    return store.query(
        "SELECT id, request_id, kind, recipient, raw, attempts FROM outbox WHERE status='queued'"
        " AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT ?",
        (utcnow(), limit),
    )


def send_due(
    store: Store, cfg: SmtpConfig, *, dry_run: bool = False, stop: Callable[[], bool] | None = None
) -> SendReport:
    """Send every due row, a batch (one SMTP session) at a time; `stop()` is asked
    between two mails."""
    total = SendReport()
    while True:
        report = _send_batch(store, cfg, dry_run=dry_run, stop=stop)
        total.sent += report.sent
        total.retry += report.retry
        total.failed += report.failed
        total.uncertain += report.uncertain
        total.error = total.error or report.error
        if (
            report.error
            or dry_run
            or report.retry
            or report.sent + report.failed + report.uncertain == 0
            or (stop and stop())
        ):
            return total


def _send_batch(
    store: Store, cfg: SmtpConfig, *, dry_run: bool, stop: Callable[[], bool] | None
) -> SendReport:
    report = SendReport()
    rows = due_rows(store)
    if not rows or dry_run:
        return report
    try:
        smtp = connect(cfg)
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        report.error = (
            f"SMTP {cfg.host}:{cfg.port} unreachable ({exc.__class__.__name__}:"
            f" {exc}); {len(rows)} mail(s) stay queued"
        )
        with store.transaction():  # one line in the log for the outage, not one per mail
            for row in rows:
                _retry(store, cfg, row, report.error, expected="queued", quiet=True)
                report.retry += 1
        return report
    try:
        for row in rows:
            if stop is not None and stop():
                break
            _send_one(store, cfg, smtp, row, report)
            if report.error:  # connection lost: the rest wait for the next cycle
                break
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return report


def _send_one(store: Store, cfg: SmtpConfig, smtp: smtplib.SMTP, row, report: SendReport) -> None:  # noqa: ANN001
    with store.transaction():
        if not _move(
            store,
            row["id"],
            "queued",
            {"status": "sending", "attempts": row["attempts"] + 1, "sending_at": utcnow()},
        ):
            return  # another process took it, or staff changed it
    # Before DATA: a refusal or a lost connection means the relay has nothing.
    try:
        smtp.ehlo_or_helo_if_needed()
        code, text = smtp.mail(cfg.from_address)
        if code == 250:
            code, text = smtp.rcpt(row["recipient"])
    except smtplib.SMTPResponseException as exc:
        code, text = exc.smtp_code, exc.smtp_error
    except (OSError, smtplib.SMTPException) as exc:
        report.error = f"SMTP connection lost before DATA: {exc.__class__.__name__}: {exc}"
        _retry(store, cfg, row, report.error)
        report.retry += 1
        return
    if code not in (250, 251):
        _reset(smtp)
        _outcome(store, cfg, row, code, text, report)
        return
    # From the DATA command on, only the relay's final reply says what happened.
    try:
        code, text = smtp.data(row["raw"])
    except smtplib.SMTPResponseException as exc:  # it answered, refusing (354 never came)
        code, text = exc.smtp_code, exc.smtp_error
    except Exception as exc:  # noqa: BLE001 - whatever it is, the relay may have the mail
        report.error = f"SMTP {exc.__class__.__name__} after DATA: {exc}"
        _uncertain(store, cfg, row, exc)
        report.uncertain += 1
        return
    if code != 250:
        _reset(smtp)
        _outcome(store, cfg, row, code, text, report)
        return
    with store.transaction():
        if _move(store, row["id"], "sending", {"status": "sent", "sent_at": utcnow(), "last_error": None}):
            store.event(
                "reply_sent",
                request_id=row["request_id"],
                outbox_id=row["id"],
                kind=row["kind"],
                recipient=row["recipient"],
            )
        else:
            _conflict(store, row, "the relay accepted it (250)")
            return
    report.sent += 1
    log.info("sent %s #%s to %s", row["kind"], row["id"], row["recipient"])


def _reset(smtp: smtplib.SMTP) -> None:
    """RSET after a refusal, so the next mail of the batch starts a clean transaction."""
    try:
        smtp.rset()
    except (OSError, smtplib.SMTPException):
        pass


def _uncertain(store: Store, cfg: SmtpConfig, row, exc: Exception) -> None:  # noqa: ANN001
    what = (
        f"no final reply within smtp.timeout ({cfg.timeout:g} s)"
        if isinstance(exc, TimeoutError) or "timed out" in str(exc)
        else f"the connection was lost ({exc.__class__.__name__}: {exc})"
    )
    reason = (
        f"the relay took the mail (DATA) but {what}; it may have been delivered, so it"
        " is not resent by itself"
    )
    with store.transaction():
        if not _move(store, row["id"], "sending", {"status": "uncertain", "last_error": reason[:300]}):
            _conflict(store, row, reason)
            return
        _to_triage(store, row, f"{row['kind']} to {row['recipient']} may not have been sent: {what}")
        store.event(
            "send_uncertain",
            request_id=row["request_id"],
            outbox_id=row["id"],
            recipient=row["recipient"],
            reason=reason,
        )
    log.error("outbox #%s to %s: %s; request sent to triage", row["id"], row["recipient"], reason)


def _conflict(store: Store, row, outcome: str) -> None:  # noqa: ANN001
    """Our row was changed by someone else while we sent: their status stays, and the
    audit trail says what this attempt saw, for the person who decides."""
    now = store.one("SELECT status FROM outbox WHERE id=?", (row["id"],))
    store.event(
        "send_outcome_conflict",
        request_id=row["request_id"],
        outbox_id=row["id"],
        recipient=row["recipient"],
        outcome=outcome,
        status=now[0] if now else None,
    )
    log.warning(
        "outbox #%s to %s: %s, but the row is now %s; left as it is",
        row["id"],
        row["recipient"],
        outcome,
        now[0] if now else "gone",
    )


def _outcome(
    store: Store,
    cfg: SmtpConfig,
    row,
    code: int,
    text: bytes | str,  # noqa: ANN001
    report: SendReport,
) -> None:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    reason = f"SMTP {code} {message}".strip()[:300]
    if 400 <= code < 500:
        _retry(store, cfg, row, reason)
        report.retry += 1
        return
    _fail(store, row, reason)
    report.failed += 1


def _retry(
    store: Store,
    cfg: SmtpConfig,
    row,
    reason: str,
    *,
    expected: str = "sending",  # noqa: ANN001
    quiet: bool = False,
) -> None:
    """Nothing was delivered: queue the row again with backoff (or give up)."""
    attempts = (row["attempts"] or 0) + 1
    if attempts >= cfg.max_attempts:
        _fail(store, row, f"gave up after {attempts} attempts: {reason}", expected=expected)
        return
    delay = min(cfg.retry_base_seconds * (2 ** (attempts - 1)), 6 * 3600)
    when = (datetime.now(UTC) + timedelta(seconds=delay)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with store.transaction():
        _move(
            store,
            row["id"],
            expected,
            {"status": "queued", "attempts": attempts, "next_attempt_at": when, "last_error": reason},
        )
    log.log(
        logging.DEBUG if quiet else logging.WARNING,
        "outbox #%s to %s: %s; retry in %ds",
        row["id"],
        row["recipient"],
        reason,
        delay,
    )


def _fail(store: Store, row, reason: str, *, expected: str = "sending") -> None:  # noqa: ANN001
    with store.transaction():
        if not _move(store, row["id"], expected, {"status": "failed", "last_error": reason}):
            return
        _to_triage(store, row, f"{row['kind']} to {row['recipient']} failed: {reason}")
        store.event(
            "send_failed",
            request_id=row["request_id"],
            outbox_id=row["id"],
            recipient=row["recipient"],
            reason=reason,
        )
    log.error("outbox #%s to %s failed permanently: %s", row["id"], row["recipient"], reason)


def copy_sent(store: Store, directory: Path) -> None:
    """Write a copy of each sent mail as an .eml file (config key service.mail_copy_dir)."""
    directory.mkdir(parents=True, exist_ok=True)
    for row in store.query("SELECT id, kind, recipient, raw FROM outbox WHERE status='sent'"):
        name = f"{row['id']:04d}-{row['kind']}-{row['recipient'].replace('@', '_at_')}.eml"
        path = directory / name
        if not path.exists():
            path.write_bytes(row["raw"])


class Sender(threading.Thread):
    """The running service's sending, on its own thread and database connection: the
    main loop stores and decides new mail while a relay takes its time. Woken by kick()
    after each cycle, and every `interval` seconds for retries that fall due."""

    def __init__(self, config: Config, stop: threading.Event, interval: float) -> None:
        super().__init__(name="outbox-sender", daemon=True)
        self.config = config
        self.stop_event = stop
        self.interval = interval
        self._kick = threading.Event()
        self.last_error: str | None = None
        self.fatal: str | None = None  # the database is damaged: the service stops

    def kick(self) -> None:
        self._kick.set()

    def run(self) -> None:
        store = Store(self.config.database)
        try:
            while not self.stop_event.is_set():
                self._kick.wait(timeout=self.interval)
                self._kick.clear()
                if self.stop_event.is_set():
                    break
                self._send(store)
        finally:
            store.close()

    def _send(self, store: Store) -> None:
        try:
            report = send_due(store, self.config.smtp, stop=self.stop_event.is_set)
            if self.config.mail_copy_dir:
                copy_sent(store, self.config.mail_copy_dir)
        except sqlite3.OperationalError as exc:
            report = SendReport(error=f"database {self.config.database} cannot be written ({exc})")
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                raise
            self.fatal = str(unusable(self.config.database, exc))
            self.stop_event.set()
            return
        if report.error and report.error != self.last_error:
            log.warning("%s", report.error)
        self.last_error = report.error
