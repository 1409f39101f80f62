"""The service loop: poll every inbox, run the pipeline, send, file away.

One cycle:
  1. poll each inbox into the store (an unreachable one is logged and backed off;
     the others go on);
  2. run every stored message through the pipeline;
  3. send due outbox rows (in the running service: kick the sender thread, so a slow
     relay never holds up the next cycle);
  4. flag/move handled mail on the server (the last step for a message).
SIGTERM/SIGINT stop the loop after the current message.
"""

from __future__ import annotations

import logging
import signal
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import schedule

from intake import mailbox, outbox, pipeline, register, register_mail, retention
from intake.config import Config, InboxConfig
from intake.context import Env
from intake.idle import start_watchers
from intake.rulebook import load_rules
from intake.service_lock import ServiceLock
from intake.store import DatabaseUnusable, Store, is_damage, unusable
from intake.templating import Templates

log = logging.getLogger("intake.service")


@dataclass
class CycleReport:
    fetched: int = 0
    new: int = 0
    processed: int = 0
    sent: int = 0
    filed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class Backoff:
    """Per-inbox retry delay after failures: 1, 2, 4 ... cycles, at most 32."""

    def __init__(self) -> None:
        self.failures: dict[str, int] = {}
        self.skip: dict[str, int] = {}

    def should_try(self, name: str) -> bool:
        left = self.skip.get(name, 0)
        if left > 0:
            self.skip[name] = left - 1
            return False
        return True

    def failed(self, name: str) -> None:
        n = self.failures.get(name, 0) + 1
        self.failures[name] = n
        self.skip[name] = min(2 ** (n - 1), 32) - 1

    def succeeded(self, name: str) -> None:
        self.failures.pop(name, None)
        self.skip.pop(name, None)


class Service:
    def __init__(self, config: Config, store: Store | None = None) -> None:
        self.config = config
        self.lock = ServiceLock(config.database)  # before anything touches the outbox
        try:
            self.store = store or Store(config.database)
            self.store.migrate()
            self.store.check_sound()  # PRAGMA quick_check: never run on a damaged file
        except BaseException:
            self.lock.release()
            raise
        self.rules = load_rules(config.rules_dir)
        register.sync_rules(self.store, self.rules)
        self.env = Env(
            config=config,
            rules=register.effective_rules(self.rules, self.store),
            store=self.store,
            templates=Templates(config.templates_dir),
        )
        self.backoff = Backoff()
        self.stopping = False
        self._wake = threading.Event()
        self._stop_event = threading.Event()
        self.watchers: list = []
        self.sender: outbox.Sender | None = None
        recovered = outbox.recover_interrupted(self.store)
        if recovered:
            log.warning(
                "%d outgoing mail(s) were interrupted mid-send; sent to triage instead of being resent",
                recovered,
            )

    # -- one cycle ----------------------------------------------------------------------

    def run_cycle(self) -> CycleReport:
        """One cycle. A database that cannot be written (disk full, locked past the busy
        timeout) ends the cycle with one clear error; every write is a transaction, so
        nothing is half-written and the next cycle resumes."""
        report = CycleReport()
        try:
            return self._cycle(report)
        except sqlite3.OperationalError as exc:
            message = (
                f"database {self.config.database} cannot be written ({exc});"
                " free disk space or release the lock; nothing was half-written"
            )
            log.error("%s", message)
            report.errors.append(message)
            return report
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):  # no cycle can succeed: the service stops with one line
                raise unusable(self.config.database, exc) from None
            raise

    def _cycle(self, report: CycleReport) -> CycleReport:
        # groups staff started or closed in the register since the last cycle
        self.env.rules = register.effective_rules(self.rules, self.store)
        for inbox in self.config.inboxes:
            if self.stopping:
                return report
            if not self.backoff.should_try(inbox.name):
                continue
            self._poll_inbox(inbox, report)
        report.processed = pipeline.process_pending(self.env, stop=lambda: self.stopping)
        if self.sender is not None:  # the running service sends on its own thread
            self.sender.kick()
        else:
            sent = outbox.send_due(self.store, self.config.smtp, stop=lambda: self.stopping)
            report.sent = sent.sent
            if sent.error:
                log.warning("%s", sent.error)
                report.errors.append(sent.error)
            if self.config.mail_copy_dir:
                outbox.copy_sent(self.store, self.config.mail_copy_dir)
        for inbox in self.config.inboxes:
            if self.stopping:
                break
            report.filed += self._file_inbox(inbox, report)
        log.info(
            "cycle: fetched %d (new %d), processed %d, sent %d, filed %d, errors %d",
            report.fetched,
            report.new,
            report.processed,
            report.sent,
            report.filed,
            len(report.errors),
        )
        return report

    def _poll_inbox(self, inbox: InboxConfig, report: CycleReport) -> None:
        client = None
        try:
            client = mailbox.connect(inbox)
            result = mailbox.poll(client, inbox, self.store, stop=lambda: self.stopping)
            report.fetched += result.fetched
            report.new += result.new
            self.store.record_poll(inbox.name, inbox.folder, error=None)
            self.backoff.succeeded(inbox.name)
        except mailbox.MailboxError as exc:
            log.error("%s", exc)
            report.errors.append(str(exc))
            self.store.record_poll(inbox.name, inbox.folder, error=str(exc))
            self.backoff.failed(inbox.name)
        except sqlite3.OperationalError:
            raise  # the database, not the inbox, is the problem: end the cycle
        finally:
            mailbox.close(client)

    def _file_inbox(self, inbox: InboxConfig, report: CycleReport) -> int:
        if not self.store.has_unfiled(inbox.name):
            return 0
        client = None
        try:
            client = mailbox.connect(inbox)
            return mailbox.file_away(client, inbox, self.store)
        except mailbox.MailboxError as exc:
            log.error("%s", exc)
            report.errors.append(str(exc))
            return 0
        finally:
            mailbox.close(client)

    # -- the loop -----------------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        def stop(signum, _frame):  # noqa: ANN001
            log.info("signal %s: stopping after the current message", signum)
            self.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

    def stop(self) -> None:
        self.stopping = True
        self._stop_event.set()
        self._wake.set()
        if self.sender is not None:
            self.sender.kick()  # it wakes, sees the stop and ends

    def run_forever(
        self, *, signals: bool = True, idle: bool = True, stop_if: Callable[[], bool] | None = None
    ) -> None:
        """Poll every poll_interval seconds (schedule), and at once when IDLE announces mail.
        stop_if: whether a stop was asked for before this installed its signal handlers
        (run_service.py catches SIGTERM while the service starts)."""
        if signals:
            self.install_signal_handlers()
        if stop_if is not None and stop_if():
            log.info("stop asked for while starting: stopping")
            self.stop()
        if idle:
            self.watchers = start_watchers(
                self.config.inboxes, self._wake, self._stop_event, self.config.idle_refresh_seconds
            )
        self.sender = outbox.Sender(
            self.config, self._stop_event, interval=min(self.config.poll_interval, 30)
        )
        self.sender.start()
        scheduler = schedule.Scheduler()
        scheduler.every(self.config.poll_interval).seconds.do(self._safe_cycle)
        for inbox in self.config.inboxes:  # said once at start, not only when mail is filed
            if problem := mailbox.check_keyword(inbox):
                log.warning("%s", problem)
        scheduler.every(1).days.do(self._safe_retention)
        scheduler.every(1).days.do(self.run_daily)
        try:
            self._safe_retention()  # at start too: a service restarted daily still enforces it
            self.run_daily()
            self._safe_cycle()
            while not self.stopping:
                if self._wake.wait(timeout=0.2):
                    self._wake.clear()
                    for watcher in self.watchers:  # an inbox whose IDLE is up answers:
                        if watcher.ready.is_set():  # no backoff from an earlier outage
                            self.backoff.succeeded(watcher.inbox.name)
                    if not self.stopping:
                        self._safe_cycle()
                if self.sender.fatal:
                    raise DatabaseUnusable(self.sender.fatal)
                scheduler.run_pending()
        finally:
            self.stop()
            for watcher in self.watchers:
                watcher.join(timeout=3)
            self.sender.join(timeout=self.config.smtp.timeout + 5)  # a mail in flight finishes
            self.sender = None
        log.info("stopped")

    def run_daily(self, now: datetime | None = None) -> None:
        """Once a day: the register's reminders and weekly digests to facilitators (both
        idempotent: a restart the same day sends nothing twice)."""
        try:
            reminded = register_mail.send_reminders(self.env, now=now)
            if reminded:
                log.info("register: reminded facilitators about %d participant(s)", len(reminded))
            register_mail.send_digests(self.env, now=now)
        except Exception:  # noqa: BLE001 - the loop must survive it; retried tomorrow
            log.exception("daily register jobs failed")
        try:  # the online form: unconfirmed submissions expire (docs/form.md)
            from intake import form

            with self.store.transaction():
                removed = form.expire(self.store, now=now)
            if removed:
                log.info("form: removed %d unconfirmed submission(s) past their expiry", removed)
        except Exception:  # noqa: BLE001 - the loop must survive it; retried tomorrow
            log.exception("expiring form submissions failed")

    def _safe_cycle(self) -> None:
        try:
            self.run_cycle()
        except DatabaseUnusable:
            raise  # a damaged database: stop with one line rather than fail every cycle
        except Exception:  # noqa: BLE001 - the loop must survive anything one cycle does
            log.exception("cycle failed; retrying next cycle")

    def run_retention(self, now: datetime | None = None) -> retention.RetentionReport:
        """Remove content past its retention period ([retention] in the config)."""
        return retention.enforce(
            self.store,
            self.config.retention,
            now=now or datetime.now(UTC),
            mail_copy_dir=self.config.mail_copy_dir,
        )

    def _safe_retention(self) -> None:
        try:
            self.run_retention()
        except Exception:  # noqa: BLE001 - the loop must survive it; tried again tomorrow
            log.exception("retention run failed; retrying tomorrow")

    def close(self) -> None:
        self.store.close()
        self.lock.release()
