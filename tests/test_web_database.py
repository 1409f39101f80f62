"""The desk on a database that goes bad under it: one line and 503, never a traceback page."""

from __future__ import annotations

from intake.web import create_app
from tests.webfixtures import login, populated


def test_a_damaged_database_is_one_line_in_the_desk(tmp_path, smtp):
    # A database file overwritten while the desk runs (a failed restore, a broken disk):
    # every page answers 503 with one line that says what is wrong and what to do.
    config, service = populated(tmp_path, smtp.port)
    service.close()
    client = create_app(config).test_client()
    assert login(client, "anna").status_code == 302
    assert client.get("/queue").status_code == 200
    data = config.database.read_bytes()
    config.database.write_bytes(b"this is not an SQLite database" + b"\0" * (len(data) - 30))
    for extra in ("-wal", "-shm"):
        config.database.with_name(config.database.name + extra).unlink(missing_ok=True)
    response = client.get("/queue")
    text = response.get_data(as_text=True)
    assert response.status_code == 503 and response.mimetype == "text/plain"
    assert text.count("\n") == 1 and "Traceback" not in text
    assert str(config.database) in text and "restore" in text
