"""A backlog prepared in worker processes gives exactly the decisions of the serial path."""

from __future__ import annotations

import logging

from intake import members, pipeline, prepare, queries
from intake.config import load_config
from intake.service import Service
from intake.wal_checkpoint import Checkpointer
from tests.conftest import ROSTER, corpus_files, service_with_stored, write_config
from tests.mailgen import generate


def run(tmp_path, smtp_port: int, parallel: bool, raws: list[bytes]) -> list[dict]:
    service = service_with_stored(tmp_path, raws, smtp_port=smtp_port, roster=True)
    assert pipeline.process_pending(service.env, parallel=parallel) == len(raws)
    keep = ("message_id", "status", "screening", "group", "intent", "language", "confidence",
            "organisation", "member_match", "triage_reason", "acknowledged", "forwarded_to")
    rows = [{k: r[k] for k in keep} for r in queries.list_requests(service.store)]
    service.close()
    return rows


def test_parallel_backlog_matches_serial(tmp_path, smtp):
    # Same requests, same decisions, same replies queued, whichever path ran.
    raws = [p.read_bytes() for p in corpus_files()] + generate(60, 3)
    assert prepare.workers_for(len(raws)) >= 2
    serial = run(tmp_path / "s", smtp.port, False, raws)
    parallel = run(tmp_path / "p", smtp.port, True, raws)
    assert len(serial) == len(raws)
    assert serial == parallel


def test_small_backlogs_stay_in_process():
    # Starting workers is not worth it for a handful of messages.
    assert prepare.workers_for(3) == 0


def test_large_poll_is_worked_through_while_it_downloads(tmp_path, dovecot, smtp, users,
                                                         caplog, monkeypatch):
    # A big first import: workers start on the first stored batch (not after the whole
    # download), and the result is the same as for the serial path.
    (user,) = users("stream")
    raws = [p.read_bytes() for p in corpus_files()] + generate(90, 5)
    dovecot.append(user, raws)
    (tmp_path / "stream").mkdir()
    path = write_config(tmp_path / "stream", imap_port=dovecot.port, smtp_port=smtp.port,
                        inboxes=[{"name": "general", "username": user, "batch_size": 20,
                                  "idle": False}])
    service = Service(load_config(path))
    members.import_file(service.store, ROSTER, "t")
    started = []
    start_for = Checkpointer.start_for.__func__
    monkeypatch.setattr(Checkpointer, "start_for", classmethod(
        lambda cls, store: started.append(start_for(cls, store)) or started[-1]))
    with caplog.at_level(logging.INFO, logger="intake.prepare"):
        report = service.run_cycle()
    assert report.new == len(raws) and report.processed == len(raws)
    assert any("while fetching" in r.getMessage() for r in caplog.records)
    # WAL checkpoints ran beside the service during the backlog, and stopped with it
    assert len(started) == 1 and started[0] is not None
    assert not started[0]._thread.is_alive()
    assert service.store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    keep = ("message_id", "status", "screening", "group", "intent", "language", "confidence",
            "organisation", "member_match", "triage_reason", "acknowledged", "forwarded_to")
    streamed = sorted(({k: r[k] for k in keep} for r in queries.list_requests(service.store)),
                      key=lambda r: str(r["message_id"]))
    service.close()
    serial = sorted(run(tmp_path / "s", smtp.port, False, raws),
                    key=lambda r: str(r["message_id"]))
    assert streamed == serial


def test_preparer_hands_back_results_in_the_order_given(tmp_path, smtp):
    # Results come back in the order ids were added, chunk by chunk, all made by the
    # workers (none left to the service), even with a database path that needs escaping
    # in an SQLite URI; when all is handed back there is nothing more.
    service = service_with_stored(tmp_path / "odd dir #1?x", generate(prepare.CHUNK * 2 + 5, 9),
                                  smtp_port=smtp.port)
    pending = service.store.pending_messages()
    with prepare.Preparer(service.config, 2) as preparer:
        preparer.add(list(reversed(pending)))
        preparer.add(pending[:3])  # already added: ignored
        seen = []
        while (chunk := preparer.next_chunk(block=True)) is not None:
            seen += [pk for pk, result in chunk if result is not None and result.mail]
        assert preparer.next_chunk(block=False) is None
    assert seen == list(reversed(pending))
    service.close()


def test_no_workers_to_be_had_means_slower_not_lost(tmp_path, smtp, caplog, monkeypatch):
    # If worker processes cannot be started (no fork, a broken pool), the service says so
    # once and works through the backlog itself, with the same decisions.
    import concurrent.futures

    def refuse(*args, **kwargs):
        raise OSError(11, "Resource temporarily unavailable")

    raws = generate(prepare.MIN_BACKLOG + 6, 13)
    expected = run(tmp_path / "serial", smtp.port, False, raws)
    monkeypatch.setattr(concurrent.futures.ProcessPoolExecutor, "submit", refuse)
    with caplog.at_level(logging.WARNING, logger="intake.prepare"):
        got = run(tmp_path / "refused", smtp.port, True, raws)
    assert got == expected
    warnings = [r for r in caplog.records if "parse worker failed" in r.getMessage()]
    assert len(warnings) == 1 and "Resource temporarily unavailable" in warnings[0].getMessage()


def test_a_message_whose_bytes_are_missing_is_shunted_not_skipped(tmp_path):
    # A stored message without its raw bytes (a damaged database) cannot be run: it is
    # shunted with a clear reason, in the service and in the workers, never left
    # `stored` to be retried silently every cycle.
    service = service_with_stored(tmp_path, generate(70, 9))
    with service.store.transaction():
        service.store.conn.execute("DELETE FROM message_raw WHERE message_pk IN (3, 69)")
    pipeline.process_pending(service.env, parallel=True)
    rows = service.store.query("SELECT id, status, status_reason FROM messages ORDER BY id")
    assert [r["id"] for r in rows if r["status"] == "shunted"] == [3, 69]
    assert all("raw bytes are missing" in r["status_reason"]
               for r in rows if r["status"] == "shunted")
    assert {r["status"] for r in rows if r["id"] not in (3, 69)} == {"processed"}
    service.close()


def test_workers_yield_the_cpu_to_the_service(tmp_path):
    # The service's own process is the serial part of a backlog (it alone records and
    # queues); the workers run at a lower priority so that it never waits behind them.
    import os

    service = service_with_stored(tmp_path, generate(3, 5))
    own = os.getpriority(os.PRIO_PROCESS, 0)
    with prepare.Preparer(service.config, 2) as preparer:
        preparer.add(service.store.pending_messages())
        assert preparer.next_chunk(block=True) is not None  # the workers have started
        pids = list(preparer._pool._processes)
        assert [os.getpriority(os.PRIO_PROCESS, pid) for pid in pids] == \
            [min(own + prepare.WORKER_NICENESS, 19)] * 2
    assert os.getpriority(os.PRIO_PROCESS, 0) == own
    service.close()


def test_mail_that_carries_the_original_has_it_when_the_workers_parsed(tmp_path, smtp):
    # The service reads a prepared message's raw bytes only when a stage asks for them:
    # a forward to the facilitator (or a staff notice) still carries the original whole.
    raws = [p.read_bytes() for p in corpus_files()] + generate(60, 3)
    service = service_with_stored(tmp_path, raws, smtp_port=smtp.port, roster=True)
    reads = []
    raw_of = service.store.raw_of
    service.store.raw_of = lambda pk: reads.append(pk) or raw_of(pk)
    assert pipeline.process_pending(service.env, parallel=True) == len(raws)
    rows = service.store.query(
        "SELECT o.raw, r.first_message FROM outbox o JOIN requests r ON r.id = o.request_id"
        " WHERE o.kind IN ('forward', 'staff_notice')")
    assert len(rows) >= 5
    for row in rows:
        original = raw_of(row["first_message"])
        assert original.strip()[-200:].replace(b"\r\n", b"\n") in \
            bytes(row["raw"]).replace(b"\r\n", b"\n") or b"original-message.eml" in row["raw"]
    # read for exactly those that need them: machine mail (a bounce quotes our ids) and
    # requests whose mail carries the original (the trust config here verifies no DKIM)
    machine = {r[0] for r in service.store.query(
        "SELECT id FROM messages WHERE screening != 'human'")}
    carried = {r["first_message"] for r in rows}
    assert set(reads) == machine | carried
    assert len(reads) < len(raws)
    service.close()
