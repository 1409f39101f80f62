"""IMAP IDLE watchers: one connection per inbox that wakes the service on new mail.

The watchers only signal; all fetching and processing stays in the service's
main thread (one SQLite connection, one place where mail is handled). Each IDLE
is renewed before the server's 29-minute limit; a server without IDLE simply
leaves the inbox to polling.
"""

from __future__ import annotations

import logging
import threading
import time

from intake import mailbox
from intake.config import InboxConfig

log = logging.getLogger("intake.idle")


class IdleWatcher(threading.Thread):
    def __init__(self, inbox: InboxConfig, wake: threading.Event, stop: threading.Event,
                 refresh_seconds: int) -> None:
        super().__init__(name=f"idle-{inbox.name}", daemon=True)
        self.inbox = inbox
        self.wake = wake
        self.stop_event = stop
        self.refresh_seconds = refresh_seconds
        self.supported: bool | None = None
        self.ready = threading.Event()  # set while an IDLE command is active

    def run(self) -> None:
        failures = 0
        while not self.stop_event.is_set():
            client = None
            try:
                client = mailbox.connect(self.inbox)
                if not client.has_capability("IDLE"):
                    self.supported = False
                    log.info("inbox %s: server has no IDLE; polling only", self.inbox.name)
                    return
                self.supported = True
                client.select_folder(self.inbox.folder, readonly=True)
                failures = 0
                self._idle_once(client)
            except (mailbox.MailboxError, OSError, Exception) as exc:  # noqa: BLE001
                failures += 1
                self.ready.clear()
                log.warning("inbox %s: IDLE connection lost (%s); retrying", self.inbox.name,
                            exc)
                self.stop_event.wait(min(2 ** failures, 60))
            finally:
                mailbox.close(client)

    def _idle_once(self, client) -> None:  # noqa: ANN001
        started = time.monotonic()
        client.idle()
        self.ready.set()
        try:
            while not self.stop_event.is_set():
                if time.monotonic() - started > self.refresh_seconds:
                    return  # renew before the server's 29-minute limit
                responses = client.idle_check(timeout=1)
                if any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses):
                    log.info("inbox %s: new mail announced", self.inbox.name)
                    self.wake.set()
        finally:
            self.ready.clear()
            try:
                client.idle_done()
            except Exception:  # noqa: BLE001 - the connection may already be gone
                pass


def start_watchers(inboxes, wake: threading.Event, stop: threading.Event,
                   refresh_seconds: int) -> list[IdleWatcher]:
    watchers = [IdleWatcher(inbox, wake, stop, refresh_seconds)
                for inbox in inboxes if inbox.idle]
    for watcher in watchers:
        watcher.start()
    return watchers
