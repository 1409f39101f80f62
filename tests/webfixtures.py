"""A populated database and a logged-in web client for the web UI tests."""

from __future__ import annotations

import re

from intake import accounts, members, pipeline
from intake.config import load_config
from intake.service import Service
from tests.conftest import DEV, ROSTER, write_config

PASSWORD = "correct horse battery"
XSS_MAIL = (
    'From: "<script>window.__xss=1</script>Eve" <eve@evil.example>\r\n'
    "To: procurement@iclei.org\r\n"
    'Subject: <img src=x onerror="window.__xss=2"> join the ICT group?\r\n'
    "Message-ID: <xss-1@evil.example>\r\nMIME-Version: 1.0\r\n"
    'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
    "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    "<p>We want to join</p><script>window.__xss=3</script>"
    '<img src="http://127.0.0.1:9/remote.png" onerror="window.__xss=4">\r\n'
    "--b\r\nContent-Type: text/html\r\nContent-Disposition: attachment;"
    ' filename="<script>alert(5)</script>.html"\r\n\r\n<script>window.__xss=6</script>\r\n'
    "--b--\r\n"
)


def populated(tmp_path, smtp_port: int, files: list[str] | None = None):
    path = write_config(
        tmp_path, imap_port=1, smtp_port=smtp_port, inboxes=[{"name": "general", "username": "u"}]
    )
    config = load_config(path)
    service = Service(config)
    members.import_file(service.store, ROSTER, "test")
    names = files or [
        "0002.eml",
        "0014.eml",
        "0025.eml",
        "0029.eml",
        "0037.eml",
        "0001.eml",
        "0018.eml",
        "0044.eml",
    ]
    uid = 0
    for uid, name in enumerate(names, 1):
        service.store.store_delivery(
            inbox="general",
            folder="INBOX",
            uidvalidity=1,
            uid=uid,
            raw=(DEV / name).read_bytes(),
            internal_date=None,
        )
    service.store.store_delivery(
        inbox="general", folder="INBOX", uidvalidity=1, uid=uid + 1, raw=XSS_MAIL.encode(), internal_date=None
    )
    pipeline.process_pending(service.env)
    if files is None:
        hold_as_unsure(service.store, 5, 7)
    accounts.add(service.store, "anna", "staff", None, PASSWORD)
    accounts.add(service.store, "philipp", "facilitator", "lcc", PASSWORD)
    return config, service


def hold_as_unsure(store, *request_ids: int) -> None:  # noqa: ANN001
    """Put these requests in the queue as `low confidence`, whatever the classifier decided:
    the desk's tests need a fixed queue (two of the default files' join requests, 5 and 7),
    and the classifier getting better must not change what they test."""
    with store.transaction():
        for request_id in request_ids:
            store.update("requests", request_id, {"status": "triage", "triage_reason": "low confidence"})


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def login(client, name: str = "anna", password: str = PASSWORD, next_url: str = ""):  # noqa: ANN001, ANN201
    """Log in as the login form does: with the CSRF token the form carries."""
    token = csrf_of(client.get("/login").get_data(as_text=True))
    return client.post(
        "/login", data={"name": name, "password": password, "next": next_url, "csrf_token": token}
    )
