"""Every corpus file (dev and real-world) through the pipeline, then every request shown by
the CLI and the web desk: odd mail must never break a page or a command."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from intake import accounts, members, pipeline
from intake.cli import main
from intake.config import load_config
from intake.service import Service
from intake.web import create_app
from tests.conftest import CORPUS, ROSTER, write_config
from tests.webfixtures import login


def test_every_request_renders(tmp_path):
    path = write_config(tmp_path, imap_port=1, smtp_port=1, inboxes=[{"name": "general", "username": "u"}])
    service = Service(load_config(path))
    members.import_file(service.store, ROSTER, "t")
    files = [p for p in sorted(Path(CORPUS).rglob("*")) if p.is_file() and p.suffix not in (".csv", ".md")]
    for uid, file in enumerate(files, 1):
        service.store.store_delivery(
            inbox="general", folder="INBOX", uidvalidity=1, uid=uid, raw=file.read_bytes(), internal_date=None
        )
    pipeline.process_pending(service.env)
    statuses = {r[0] for r in service.store.query("SELECT DISTINCT status FROM messages")}
    assert statuses <= {"processed", "unparseable"}
    accounts.add(service.store, "anna", "staff", None, "correct horse battery")
    ids = [r[0] for r in service.store.query("SELECT id FROM requests")]
    assert len(ids) > 400
    runner = CliRunner()
    for request_id in ids[::4]:  # each CLI call builds its environment: a quarter is plenty
        result = runner.invoke(main, ["--config", str(path), "requests", "show", str(request_id)])
        assert result.exit_code == 0, (request_id, result.exception)
    client = create_app(load_config(path)).test_client()
    assert login(client, "anna", "correct horse battery").status_code == 302
    for request_id in ids:
        assert client.get(f"/requests/{request_id}").status_code == 200, request_id
    for url in ("/queue", "/queue?scope=all", "/members", "/overview"):
        assert client.get(url).status_code == 200, url
    service.close()
