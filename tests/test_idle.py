"""IMAP IDLE: new mail is handled within about a second, polling stays the fallback."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from dataclasses import replace

import pytest

from intake import members
from intake.config import load_config
from intake.service import Service
from tests.conftest import ROSTER, write_config
from tests.dovecot import Dovecot


def join_mail(n: int) -> bytes:
    return (
        f"From: Ana <aankoopbeleid@stad.gent>\r\nTo: procurement@iclei.org\r\n"
        f"Subject: Join the ICT group {n}\r\nMessage-ID: <idle-{n}@stad.gent>\r\n\r\n"
        "We would like to join the Interest Group on socially responsible ICT"
        " procurement.\r\n"
    ).encode()


def wait_for(predicate, timeout: float) -> float | None:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.02)
    return None


def start_service(service: Service, idle: bool) -> threading.Thread:
    thread = threading.Thread(
        target=service.run_forever, kwargs={"signals": False, "idle": idle}, daemon=True
    )
    thread.start()
    return thread


def test_idle_handles_new_mail_within_a_second(tmp_path, dovecot, smtp, users):
    # With IDLE, an APPENDed join request is acknowledged in about a second, not a poll later.
    (user,) = users("idle")
    path = write_config(
        tmp_path, imap_port=dovecot.port, smtp_port=smtp.port, inboxes=[{"name": "general", "username": user}]
    )
    config = replace(load_config(path), poll_interval=300)
    service = Service(config)
    members.import_file(service.store, ROSTER, "t")
    thread = start_service(service, idle=True)
    try:
        assert wait_for(lambda: service.watchers and service.watchers[0].ready.is_set(), 10)
        latencies = []
        for n in range(3):
            dovecot.append(user, [join_mail(n)])
            took = wait_for(lambda n=n: len(smtp.to("aankoopbeleid@stad.gent")) > n, 10)
            assert took is not None, "not handled within 10 s"
            latencies.append(took)
            wait_for(lambda: service.watchers[0].ready.is_set(), 5)
        assert sorted(latencies)[1] < 2.0, latencies
        assert service.watchers[0].supported is True
    finally:
        service.stop()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_polling_without_idle(tmp_path, dovecot, smtp, users):
    # With idle = false the service still finds mail at the next poll.
    (user,) = users("noidle")
    path = write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=smtp.port,
        inboxes=[{"name": "general", "username": user, "idle": False}],
    )
    service = Service(load_config(path))
    thread = start_service(service, idle=True)
    try:
        dovecot.append(user, [join_mail(9)])
        assert wait_for(lambda: len(smtp.received) >= 1, 10) is not None
        assert service.watchers == []
    finally:
        service.stop()
        thread.join(timeout=10)


def test_idle_comes_back_after_a_server_restart(tmp_path, smtp, users, caplog):
    # Dovecot restarts while the service idles: the watcher notices, reconnects, logs the
    # outage once, and the next mail is acknowledged within 2 s, not at the next poll.
    server = Dovecot().start()
    (user,) = users("restart")
    path = write_config(
        tmp_path, imap_port=server.port, smtp_port=smtp.port, inboxes=[{"name": "general", "username": user}]
    )
    service = Service(replace(load_config(path), poll_interval=300))
    members.import_file(service.store, ROSTER, "t")
    thread = start_service(service, idle=True)
    try:
        assert wait_for(lambda: service.watchers and service.watchers[0].ready.is_set(), 10)
        server.append(user, [join_mail(20)])
        assert wait_for(lambda: len(smtp.to("aankoopbeleid@stad.gent")) == 1, 10) is not None
        caplog.set_level(logging.WARNING, logger="intake.idle")
        server.restart()
        server.append(user, [join_mail(21)])
        took = wait_for(lambda: len(smtp.to("aankoopbeleid@stad.gent")) == 2, 10)
        assert took is not None and took < 2.0, took
        lost = [r for r in caplog.records if "IDLE connection lost" in r.getMessage()]
        assert len(lost) == 1, [r.getMessage() for r in caplog.records]
        assert wait_for(lambda: service.watchers[0].ready.is_set(), 5)
    finally:
        service.stop()
        thread.join(timeout=20)
        server.cleanup()
    assert not thread.is_alive()


@pytest.mark.parametrize("fault", ["killed", "frozen"])
def test_idle_notices_a_connection_that_died_without_a_word(tmp_path, smtp, users, fault):
    # The imap process behind the IDLE connection is killed (end of stream, no BYE) or frozen
    # (no answer to the NOOP check within the inbox timeout): the watcher reconnects and the
    # next mail is acknowledged within seconds, not at the next poll.
    server = Dovecot().start()
    (user,) = users(f"silent{fault}")
    path = write_config(
        tmp_path,
        imap_port=server.port,
        smtp_port=smtp.port,
        inboxes=[{"name": "general", "username": user, "timeout": 1}],
    )
    service = Service(replace(load_config(path), poll_interval=300))
    members.import_file(service.store, ROSTER, "t")
    thread = start_service(service, idle=True)
    serving: list[int] = []
    try:
        assert wait_for(lambda: service.watchers and service.watchers[0].ready.is_set(), 10)
        service.watchers[0].check_seconds = 1.0
        assert wait_for(lambda: len(server.imap_pids()) == 1, 5)  # only the watcher's is left
        serving = server.imap_pids()
        os.kill(serving[0], signal.SIGKILL if fault == "killed" else signal.SIGSTOP)
        server.append(user, [join_mail(30)])
        took = wait_for(lambda: len(smtp.to("aankoopbeleid@stad.gent")) == 1, 10)
        assert took is not None and took < 5.0, took
    finally:
        for pid in serving:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        service.stop()
        thread.join(timeout=20)
        server.cleanup()
    assert not thread.is_alive()
