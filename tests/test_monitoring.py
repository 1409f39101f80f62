"""Monitoring (issue 19): the desk's /healthz and /metrics over real HTTP after a real
cycle through Dovecot and the SMTP sink; JSON log lines."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from werkzeug.serving import make_server

from intake.config import load_config
from intake.service import Service
from intake.store import Store
from intake.web import create_app
from tests.conftest import DEV, ROOT, write_config


@contextmanager
def desk(config):  # noqa: ANN001
    """The desk on a loopback port, as a real HTTP server."""
    server = make_server("127.0.0.1", 0, create_app(config), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def get(url: str) -> tuple[int, str, dict]:
    """GET without any cookie or login; redirects are not followed."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), dict(exc.headers)


def _cycle(tmp_path, dovecot, smtp, users, count: int = 12):  # noqa: ANN001, ANN202
    general, lcc = users("mon", "monlcc")
    path = write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=smtp.port,
        inboxes=[
            {"name": "general", "username": general, "address": "procurement@iclei.org"},
            {"name": "lcc", "username": lcc, "address": "philipp.tepper@iclei.org", "group": "lcc"},
        ],
    )
    from intake import members
    from tests.conftest import ROSTER

    dovecot.append(general, [p.read_bytes() for p in sorted(DEV.glob("*.eml"))[:count]])
    config = load_config(path)
    service = Service(config)
    members.import_file(service.store, ROSTER, "test")
    report = service.run_cycle()
    service.close()
    assert report.ok
    return path, config


def test_metrics_are_scraped_and_parsed_and_match_the_database(tmp_path, dovecot, smtp, users):
    # /metrics, without a login, parses as Prometheus text and its numbers are the database's
    _, config = _cycle(tmp_path, dovecot, smtp, users)
    with desk(config) as base:
        status, body, headers = get(base + "/metrics")
        assert get(base + "/")[0] == 302  # the desk itself still needs a login
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    store = Store(config.database)
    one = lambda sql: store.one(sql)[0]  # noqa: E731
    assert samples[("intake_messages_stored_total", ())] == one("SELECT COUNT(*) FROM messages") == 12
    assert samples[("intake_messages_processed_total", ())] == one(
        "SELECT COUNT(*) FROM messages WHERE status='processed'"
    )
    assert samples[("intake_messages_shunted", ())] == 0
    assert samples[("intake_triage_size", ())] == one(
        "SELECT COUNT(*) FROM requests WHERE status IN ('triage','shunted')"
    )
    acks = one("SELECT COUNT(*) FROM outbox WHERE kind='ack' AND status='sent'")
    assert acks > 0 and samples[("intake_outgoing_sent_total", (("kind", "ack"),))] == acks
    assert samples[("intake_outgoing_sent_total", (("kind", "forward"),))] == one(
        "SELECT COUNT(*) FROM outbox WHERE kind='forward' AND status='sent'"
    )
    assert samples[("intake_outgoing_failed", (("kind", "ack"),))] == 0
    assert sum(v for (n, _), v in samples.items() if n == "intake_outgoing_sent_total") == len(smtp.received)
    for inbox in ("general", "lcc"):
        assert 0 <= samples[("intake_seconds_since_last_successful_poll", (("inbox", inbox),))] < 60
    # nothing personal: no address, no subject
    assert "@" not in body
    subjects = [r[0] for r in store.query("SELECT subject FROM messages WHERE subject != ''")]
    assert subjects and not any(s in body for s in subjects)
    store.close()


def test_healthz_is_200_when_polled_and_503_when_an_inbox_is_stale_or_mail_waits(
    tmp_path, dovecot, smtp, users
):
    # /healthz: 200 after a good cycle; 503 naming the stale inbox or the waiting outbox
    _, config = _cycle(tmp_path, dovecot, smtp, users, count=3)
    with desk(config) as base:
        status, body, _ = get(base + "/healthz")
        assert status == 200, body
        report = json.loads(body)
        assert report["status"] == "ok" and report["database"] == "ok"
        assert set(report["inboxes"]) == {"general", "lcc"} and report["inboxes"]["lcc"]["ok"]
        store = Store(config.database)
        with store.transaction():
            store.conn.execute(
                "UPDATE checkpoints SET last_ok_at='2020-01-01T00:00:00.000000Z' WHERE inbox='lcc'"
            )
        status, body, _ = get(base + "/healthz")
        report = json.loads(body)
        assert status == 503 and report["status"] == "fail"
        assert not report["inboxes"]["lcc"]["ok"] and report["inboxes"]["general"]["ok"]
        assert report["outbox"]["ok"]
        with store.transaction():
            store.conn.execute(
                "UPDATE checkpoints SET last_ok_at=?",
                (store.one("SELECT MAX(last_ok_at) FROM checkpoints")[0],),
            )
            store.conn.execute(
                "UPDATE outbox SET status='queued', created_at='2020-01-01T00:00:00.000000Z'"
                " WHERE id=(SELECT MIN(id) FROM outbox)"
            )
        status, body, _ = get(base + "/healthz")
        report = json.loads(body)
        assert status == 503 and not report["outbox"]["ok"] and report["outbox"]["queued"] == 1
        assert all(i["ok"] for i in report["inboxes"].values())
        assert "@" not in body
        store.close()
        config.database.unlink()  # gone under the desk: unreachable, 503, and not created anew
        for extra in ("-wal", "-shm"):
            config.database.with_name(config.database.name + extra).unlink(missing_ok=True)
        status, body, _ = get(base + "/healthz")
        assert status == 503 and json.loads(body) == {"status": "fail", "database": "unreachable"}
        assert not config.database.exists()


def test_json_log_format_gives_one_object_per_line_without_bodies(tmp_path, dovecot, smtp, users):
    # --log-format json (run_service.py and intake run): every line a JSON object; no message body
    (user,) = users("jsonlog")
    body_marker = "UNIQUE-BODY-TEXT-7781"
    dovecot.append(
        user,
        [
            (
                "From: Anna <anna@musterhausen.de>\r\nTo: procurement@iclei.org\r\nSubject: join\r\n"
                f"Message-ID: <jsonlog-1@musterhausen.de>\r\n\r\nWe would like to join. {body_marker}\r\n"
            ).encode()
        ],
    )
    path = write_config(
        tmp_path, imap_port=dovecot.port, smtp_port=smtp.port, inboxes=[{"name": "general", "username": user}]
    )
    commands = [  # run_service.py, and the `intake` command the systemd unit starts
        [
            sys.executable,
            str(ROOT / "run_service.py"),
            "--config",
            str(path),
            "--once",
            "--log-format",
            "json",
        ],
        [
            str(Path(sys.executable).with_name("intake")),
            "--log-format",
            "json",
            "--config",
            str(path),
            "run",
            "--once",
        ],
    ]
    for command in commands:
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert lines
        entries = [json.loads(line) for line in lines]
        assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)
        assert any(e["logger"] == "intake.service" and e["message"].startswith("cycle:") for e in entries)
        assert body_marker not in result.stderr
