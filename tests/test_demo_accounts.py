"""The demo's logins (serve_demo): `demo` is an admin, so the demo shows the Accounts page;
`lcc-facilitator` sees LCC only. Also the accounts' listing and session queries behind them."""

from __future__ import annotations

import pytest

from intake import accounts, queries_staff
from intake.config import load_config
from intake.store import Store
from intake.web import serve_demo
from tests.conftest import write_config


@pytest.fixture
def demo(tmp_path):
    path = write_config(tmp_path, imap_port=1, smtp_port=2, inboxes=[{"name": "general", "username": "u"}])
    config = load_config(path)
    store = Store(config.database)
    store.migrate()
    yield config, store
    store.close()


def test_the_demo_logins_are_an_admin_and_a_facilitator(demo):
    # serve_demo adds `demo` as an admin and `lcc-facilitator` as LCC's facilitator, once
    config, store = demo
    for _ in range(2):  # a second start keeps the accounts as they are
        assert serve_demo(config, store, seconds=0.1) == 0
    listed = {r["name"]: r for r in accounts.list_accounts(store)}
    assert set(listed) == {"demo", "lcc-facilitator"}
    assert (listed["demo"]["role"], listed["demo"]["group"]) == ("admin", None)
    assert (listed["lcc-facilitator"]["role"], listed["lcc-facilitator"]["group"]) == ("facilitator", "lcc")
    assert all(r["has_password"] and not r["disabled"] for r in listed.values())
    account = accounts.authenticate(store, "demo", "demo-password")
    assert account is not None and account.is_admin


def test_a_session_ends_with_a_new_password(demo):
    # a session finds its account until the password changes; then it is gone
    _, store = demo
    anna = accounts.add(store, "anna", "staff", None, "first-password")
    sid = accounts.start_session(store, anna, hours=1)
    assert accounts.session_account(store, sid) == anna
    assert accounts.load(store, anna.id) == anna
    accounts.set_password(store, "anna", "second-password")
    assert accounts.session_account(store, sid) is None
    assert accounts.authenticate(store, "anna", "first-password") is None
    assert accounts.authenticate(store, "anna", "second-password") == anna
    assert queries_staff.name_taken(store, "anna") and not queries_staff.name_taken(store, "bob")
