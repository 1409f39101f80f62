"""IMAP IDLE watchers: one connection per inbox that wakes the service on new mail.

The watchers only signal; all fetching and processing stays in the service's
main thread (one SQLite connection, one place where mail is handled). Each IDLE
is renewed before the server's 29-minute limit; a server without IDLE simply
leaves the inbox to polling.

A dead connection is noticed, not waited out: the server's BYE (a restart), the
end of the stream (imapclient's idle_check returns nothing for it, so a socket
still readable after it gives nothing is checked), or no answer to a NOOP within
the inbox timeout (checked every `check_seconds`, for a connection that died
without a word). The watcher then reconnects with backoff (0.25 s, growing by
half each time up to 60 s: a restarted server is back in a second or two), logs
the outage once and its end once, and wakes the service, which fetches whatever
arrived meanwhile.
"""

from __future__ import annotations

import logging
import select
import threading
import time

from intake import mailbox
from intake.config import InboxConfig

log = logging.getLogger("intake.idle")


class ConnectionDead(Exception):
    """The IDLE connection is gone (BYE, end of stream, no answer)."""


class IdleWatcher(threading.Thread):
    check_seconds = 60.0  # NOOP this often, answered within the inbox timeout

    def __init__(
        self, inbox: InboxConfig, wake: threading.Event, stop: threading.Event, refresh_seconds: int
    ) -> None:
        super().__init__(name=f"idle-{inbox.name}", daemon=True)
        self.inbox = inbox
        self.wake = wake
        self.stop_event = stop
        self.refresh_seconds = refresh_seconds
        self.supported: bool | None = None
        self.ready = threading.Event()  # set while an IDLE command is active
        self.down_since: float | None = None  # monotonic start of the current outage

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
                self._back()
                self._idle_once(client)
            except Exception as exc:  # noqa: BLE001 - any failure: reconnect
                failures += 1
                self.ready.clear()
                self._lost(exc)
                self.stop_event.wait(min(0.25 * 1.5 ** (failures - 1), 60))
            finally:
                mailbox.close(client)

    def _lost(self, exc: Exception) -> None:
        if self.down_since is None:
            self.down_since = time.monotonic()
            log.warning(
                "inbox %s: IDLE connection lost (%s); reconnecting with backoff, mail is polled meanwhile",
                self.inbox.name,
                exc,
            )
        else:
            log.debug("inbox %s: IDLE still down (%s)", self.inbox.name, exc)

    def _back(self) -> None:
        if self.down_since is not None:
            log.warning(
                "inbox %s: IDLE connection back after %.0f s",
                self.inbox.name,
                time.monotonic() - self.down_since,
            )
            self.down_since = None
            self.wake.set()  # fetch what arrived while it was down

    def _idle_once(self, client) -> None:  # noqa: ANN001
        started = checked = time.monotonic()
        client.idle()
        self.ready.set()
        try:
            while not self.stop_event.is_set():
                now = time.monotonic()
                if now - started > self.refresh_seconds:
                    return  # renew before the server's 29-minute limit
                responses = client.idle_check(timeout=1)
                for response in responses:
                    if response and response[0] == b"BYE":
                        raise ConnectionDead(f"server said BYE: {_text(response[1:])}")
                if any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses):
                    log.info("inbox %s: new mail announced", self.inbox.name)
                    self.wake.set()
                if (not responses and _readable(client)) or now - checked > self.check_seconds:
                    self._check_alive(client)
                    checked = time.monotonic()
        finally:
            self.ready.clear()
            try:
                client.idle_done()
            except Exception:  # noqa: BLE001 - the connection may already be gone
                pass

    def _check_alive(self, client) -> None:  # noqa: ANN001
        """End IDLE, NOOP, IDLE again; each answer is awaited at most the inbox timeout."""
        self.ready.clear()
        try:
            client.idle_done()
            client.noop()
        except Exception as exc:  # noqa: BLE001
            raise ConnectionDead(f"no answer to NOOP ({exc.__class__.__name__}: {exc})") from None
        client.idle()
        self.ready.set()


def _readable(client) -> bool:  # noqa: ANN001
    """After idle_check gave nothing: a socket still readable is at its end of stream."""
    try:
        return bool(select.select([client.socket()], [], [], 0)[0])
    except (OSError, ValueError):
        return True


def _text(parts) -> str:  # noqa: ANN001
    return " ".join(p.decode(errors="replace") if isinstance(p, bytes) else str(p) for p in parts)[:200]


def start_watchers(
    inboxes, wake: threading.Event, stop: threading.Event, refresh_seconds: int
) -> list[IdleWatcher]:
    watchers = [IdleWatcher(inbox, wake, stop, refresh_seconds) for inbox in inboxes if inbox.idle]
    for watcher in watchers:
        watcher.start()
    return watchers
