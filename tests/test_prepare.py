"""A backlog prepared in worker processes gives exactly the decisions of the serial path."""

from __future__ import annotations

from intake import members, pipeline, prepare, queries
from intake.config import load_config
from intake.service import Service
from tests.conftest import ROSTER, corpus_files, write_config
from tests.mailgen import generate


def run(tmp_path, smtp_port: int, parallel: bool, raws: list[bytes]) -> list[dict]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = write_config(tmp_path, imap_port=1, smtp_port=smtp_port,
                        inboxes=[{"name": "general", "username": "u"}])
    service = Service(load_config(path))
    members.import_file(service.store, ROSTER, "t")
    for uid, raw in enumerate(raws, 1):
        service.store.store_delivery(inbox="general", folder="INBOX", uidvalidity=1, uid=uid,
                                     raw=raw, internal_date=None)
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
