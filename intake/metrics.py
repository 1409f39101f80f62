"""What `/metrics` and `/healthz` report, computed from the database when asked.

The service and the desk are separate processes (and a restart loses any in-memory
counter), so nothing is counted in memory: a Prometheus custom collector reads the
counts from SQLite at scrape time, and any process serving /metrics gives the same
numbers. Only counts, inbox names and ages leave here: no address, subject or error
text (an error can name a user), so both endpoints can be public.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from intake import queries_mailbox as q_mailbox
from intake import queries_outbox as q_outbox
from intake import queries_status as q_status
from intake.config import Config
from intake.store import Store

OUT_KINDS = ("ack", "forward", "staff_notice")


def _age(stamp: str | None, now: datetime) -> float:
    """Seconds since a stored UTC stamp; +Inf for never (so `> 600` alerts on it)."""
    if not stamp:
        return math.inf
    when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return max(0.0, (now - when).total_seconds())


class IntakeCollector(Collector):
    """A Prometheus collector over one open Store."""

    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.config = config

    def collect(self) -> Iterator[Metric]:
        store, now = self.store, datetime.now(UTC)
        yield CounterMetricFamily(
            "intake_messages_stored",
            "Messages stored (distinct, kept in the database)",
            value=q_status.messages(store),
        )
        yield CounterMetricFamily(
            "intake_messages_processed",
            "Messages that went through every stage",
            value=q_status.messages(store, "processed"),
        )
        yield GaugeMetricFamily(
            "intake_messages_shunted",
            "Messages shunted by an error, waiting for a person",
            value=q_status.messages(store, "shunted"),
        )
        yield GaugeMetricFamily(
            "intake_messages_backlog",
            "Messages stored and not yet processed",
            value=q_status.messages(store, "stored"),
        )
        yield GaugeMetricFamily(
            "intake_triage_size",
            "Requests waiting in the triage queue",
            value=q_status.triage_size(store),
        )
        outbox = q_outbox.counts_by_kind_status(store)
        kinds = sorted(set(OUT_KINDS) | {kind for kind, _ in outbox})
        sent = CounterMetricFamily(
            "intake_outgoing_sent", "Outgoing mail sent, by kind (ack, forward ...)", labels=["kind"]
        )
        failed = GaugeMetricFamily(
            "intake_outgoing_failed",
            "Outgoing mail failed or uncertain (waiting for a person), by kind",
            labels=["kind"],
        )
        queued = GaugeMetricFamily(
            "intake_outgoing_queued", "Outgoing mail queued or being sent, by kind", labels=["kind"]
        )
        for kind in kinds:
            sent.add_metric([kind], outbox.get((kind, "sent"), 0))
            failed.add_metric([kind], outbox.get((kind, "failed"), 0) + outbox.get((kind, "uncertain"), 0))
            queued.add_metric([kind], outbox.get((kind, "queued"), 0) + outbox.get((kind, "sending"), 0))
        yield sent
        yield failed
        yield queued
        oldest, _ = q_outbox.oldest_waiting(store)
        yield GaugeMetricFamily(
            "intake_outbox_oldest_queued_seconds",
            "Age of the oldest mail still waiting to be sent (0 when none)",
            value=_age(oldest, now) if oldest else 0.0,
        )
        polls = GaugeMetricFamily(
            "intake_seconds_since_last_successful_poll",
            "Seconds since the inbox was last polled without error (+Inf: never)",
            labels=["inbox"],
        )
        for inbox in self.config.inboxes:
            cp = q_mailbox.checkpoint(store, inbox.name, inbox.folder)
            polls.add_metric([inbox.name], _age(cp["last_ok_at"] if cp else None, now))
        yield polls


def exposition(store: Store, config: Config) -> bytes:
    """The Prometheus text format for this database, computed now."""
    from prometheus_client import generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(IntakeCollector(store, config))
    return generate_latest(registry)


def health(store: Store, config: Config) -> tuple[bool, dict]:
    """(healthy, report) for /healthz: the database answers, every inbox was polled
    successfully within service.max_poll_age_seconds, and no mail waits to be sent longer
    than service.max_outbox_age_seconds."""
    now = datetime.now(UTC)
    q_status.ping(store)  # raises when the database is unreachable
    inboxes = {}
    for inbox in config.inboxes:
        cp = q_mailbox.checkpoint(store, inbox.name, inbox.folder)
        last = cp["last_ok_at"] if cp else None
        age = _age(last, now)
        inboxes[inbox.name] = {
            "last_ok_at": last,
            "seconds_since": None if math.isinf(age) else round(age, 1),
            "ok": age <= config.max_poll_age_seconds,
        }
    oldest, waiting = q_outbox.oldest_waiting(store)
    outbox_age = _age(oldest, now) if oldest else 0.0
    outbox_ok = outbox_age <= config.max_outbox_age_seconds
    outbox = {"queued": waiting, "oldest_seconds": round(outbox_age, 1), "ok": outbox_ok}
    healthy = outbox_ok and all(i["ok"] for i in inboxes.values())
    return healthy, {
        "status": "ok" if healthy else "fail",
        "database": "ok",
        "inboxes": inboxes,
        "outbox": outbox,
    }
