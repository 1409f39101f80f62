"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives.

Used by the demo (to show what intake sends, as .eml files) and by the tests
(to assert on exactly what left the service). It can be told to refuse mail
temporarily (4xx) or permanently (5xx) to exercise the outbox's retry logic, or to
misbehave after taking a message (drop the connection, or answer late) as a relay that
leaves it unknown whether the mail went out.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

# aiosmtpd logs every SMTP command at INFO; the demo's and the tests' output is about intake
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> Message:
        return message_from_bytes(self.data, policy=default_policy)


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    reply: str | None = None  # e.g. "451 4.3.0 try later" to refuse
    save_dir: Path | None = None
    after_data: str | float | None = None  # "drop", or seconds before the final reply
    lock: threading.Lock = field(default_factory=threading.Lock)
    # with a check, AUTH XOAUTH2 is offered: check(user, bearer token) -> accepted
    oauth_check: Callable[[str, str], bool] | None = None
    authenticated: list[str] = field(default_factory=list)

    async def auth_XOAUTH2(self, server, args):  # noqa: N802, ANN001, ANN201 - aiosmtpd's AUTH hook
        """SASL XOAUTH2: "user=U^Aauth=Bearer T^A^A", base64, as the initial response."""
        try:
            text = base64.b64decode(args[1], validate=True).decode()
            fields = dict(part.split("=", 1) for part in text.split("\x01") if part)
            user, token = fields["user"], fields["auth"].removeprefix("Bearer ")
        except (IndexError, ValueError, KeyError, binascii.Error):
            return AuthResult(success=False)
        if self.oauth_check is None or not self.oauth_check(user, token):
            return AuthResult(success=False)
        with self.lock:
            self.authenticated.append(user)
        return AuthResult(success=True, auth_data=user)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        if self.reply:
            return self.reply
        item = Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        with self.lock:
            self.received.append(item)
            if self.save_dir is not None:
                self.save_dir.mkdir(parents=True, exist_ok=True)
                n = len(self.received)
                safe = item.rcpt_tos[0].replace("@", "_at_").replace("/", "_")
                (self.save_dir / f"{n:03d}-{safe}.eml").write_bytes(item.data)
        if self.after_data == "drop":  # the message is taken; the client never hears so
            server.transport.abort()
        elif self.after_data:
            await asyncio.sleep(float(self.after_data))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    def __init__(
        self,
        port: int | None = None,
        save_dir: Path | None = None,
        oauth_check: Callable[[str, str], bool] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.handler = _Handler(save_dir=save_dir, oauth_check=oauth_check)
        # AUTH is offered without TLS only on this loopback test server, and only with a check
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, auth_require_tls=oauth_check is None
        )

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        try:
            self.controller.stop()
        except (AssertionError, RuntimeError):
            pass

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def refuse(self, reply: str | None) -> None:
        """Answer DATA with this reply (e.g. '451 4.3.0 busy'); None accepts again."""
        self.handler.reply = reply

    def misbehave(self, after_data: str | float | None) -> None:
        """After taking a message: "drop" closes the connection before the final reply;
        a number of seconds delays that reply (a relay scanning content); None: normal."""
        self.handler.after_data = after_data

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address.lower() in (t.lower() for t in r.rcpt_tos)]
