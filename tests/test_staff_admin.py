"""Account administration rules (intake/staff_admin.py) and `intake staff role`, on a real
SQLite file: who may do what, sessions ending, events, no hashes shown."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from intake import accounts, queries_staff, staff_admin
from intake.accounts import AccountError
from intake.cli import main
from intake.config import load_config
from intake.rulebook import load_rules
from intake.store import Store
from tests.conftest import write_config
from tests.webfixtures import PASSWORD


@pytest.fixture
def world(tmp_path):
    path = write_config(tmp_path, imap_port=1, smtp_port=2, inboxes=[{"name": "general", "username": "u"}])
    config = load_config(path)
    store = Store(config.database)
    store.migrate()
    ada = accounts.add(store, "ada", "admin", None, PASSWORD)
    anna = accounts.add(store, "anna", "staff", None, PASSWORD)
    yield store, load_rules(config.rules_dir), ada, anna, path
    store.close()


def test_an_admin_cannot_disable_themself(world):
    # Disabling one's own account is refused, whatever else holds.
    store, _, ada, _, _ = world
    with pytest.raises(AccountError, match="your own account"):
        staff_admin.set_disabled(store, ada, ada.id, True)
    assert accounts.authenticate(store, "ada", PASSWORD) is not None


def test_the_last_admin_keeps_the_role(world):
    # The only enabled admin can be neither demoted nor disabled (by the console's actor either);
    # with a second admin, they can.
    store, rules, ada, anna, _ = world
    console = accounts.Account(0, "operator", "admin", None)
    with pytest.raises(AccountError, match="last admin"):
        staff_admin.set_role(store, rules, ada, ada.id, "staff", None)
    with pytest.raises(AccountError, match="last admin"):
        staff_admin.set_disabled(store, console, ada.id, True)
    staff_admin.set_role(store, rules, ada, anna.id, "admin", None)
    staff_admin.set_role(store, rules, ada, ada.id, "staff", None)
    assert [r.role for r in queries_staff.staff_rows(store)] == ["staff", "admin"]


def test_disable_ends_sessions_and_login(world):
    # A disabled account's sessions are deleted at once and its password stops working.
    store, _, ada, anna, _ = world
    sid = accounts.start_session(store, anna, 1)
    assert accounts.session_account(store, sid) is not None
    staff_admin.set_disabled(store, ada, anna.id, True)
    assert store.one("SELECT COUNT(*) FROM web_sessions WHERE account_id=?", (anna.id,))[0] == 0
    assert accounts.session_account(store, sid) is None
    assert accounts.authenticate(store, "anna", PASSWORD) is None
    staff_admin.set_disabled(store, ada, anna.id, False)
    assert accounts.authenticate(store, "anna", PASSWORD) is not None
    events = store.event_rows("e.kind IN ('staff_disabled', 'staff_enabled')")
    assert [(e["actor"], e["kind"], e["detail"]["name"]) for e in events] == [
        ("ada", "staff_disabled", "anna"),
        ("ada", "staff_enabled", "anna"),
    ]
    assert events[0]["detail"]["sessions_ended"] == 1


def test_reset_password_is_temporary_and_random(world):
    # Each reset makes a new random password; the old one stops working; the event holds no password.
    store, _, ada, anna, _ = world
    first = staff_admin.reset_password(store, ada, anna.id)
    second = staff_admin.reset_password(store, ada, anna.id)
    assert first != second and len(second) == 23
    assert accounts.authenticate(store, "anna", PASSWORD) is None
    assert accounts.authenticate(store, "anna", first) is None
    assert accounts.authenticate(store, "anna", second) is not None
    detail = store.one("SELECT detail FROM events WHERE kind='staff_password_reset' ORDER BY id DESC")[0]
    assert second not in detail and "scrypt" not in detail
    assert "password_hash" not in queries_staff.StaffRow.__dataclass_fields__


def test_roles_and_groups_are_checked(world):
    # A facilitator needs a known group; an unknown role is refused; a role change is an event.
    store, rules, ada, anna, _ = world
    with pytest.raises(AccountError, match="needs the group"):
        staff_admin.set_role(store, rules, ada, anna.id, "facilitator", None)
    with pytest.raises(AccountError, match="unknown group"):
        staff_admin.set_role(store, rules, ada, anna.id, "facilitator", "nope")
    with pytest.raises(AccountError, match="role must be"):
        staff_admin.set_role(store, rules, ada, anna.id, "root", None)
    row = staff_admin.set_role(store, rules, ada, anna.id, "facilitator", "lcc")
    assert (row.role, row.group_id) == ("facilitator", "lcc")
    event = store.event_rows("e.kind = 'staff_role_set'")[-1]
    assert event["actor"] == "ada"
    assert event["detail"] == {
        "name": "anna",
        "role": "facilitator",
        "group": "lcc",
        "previous_role": "staff",
        "previous_group": None,
    }


def test_cli_staff_role_makes_the_first_admin(world):
    # `intake staff role NAME admin` makes an admin (how an existing desk gets its first one).
    store, _, _, _, path = world
    runner = CliRunner()
    dry = runner.invoke(
        main, ["--config", str(path), "--actor", "ops", "staff", "role", "anna", "admin", "--dry-run"]
    )
    assert dry.exit_code == 0 and "would make anna admin" in dry.output
    assert store.one("SELECT role FROM staff WHERE name='anna'")[0] == "staff"
    done = runner.invoke(main, ["--config", str(path), "--actor", "ops", "staff", "role", "anna", "admin"])
    assert done.exit_code == 0, done.output
    assert store.one("SELECT role FROM staff WHERE name='anna'")[0] == "admin"
    assert store.event_rows("e.kind = 'staff_role_set'")[-1]["actor"] == "ops"
    missing = runner.invoke(main, ["--config", str(path), "staff", "role", "nobody", "admin"])
    assert missing.exit_code == 1 and "no account named 'nobody'" in missing.output


def test_own_password_needs_the_current_one(world):
    # Changing one's own password checks the current one, the repetition and the length.
    store, _, _, anna, _ = world
    with pytest.raises(AccountError, match="current password is wrong"):
        staff_admin.change_own_password(store, anna, "wrong", "a new passphrase", "a new passphrase")
    with pytest.raises(AccountError, match="differ"):
        staff_admin.change_own_password(store, anna, PASSWORD, "a new passphrase", "another one!!")
    with pytest.raises(AccountError, match="at least 10"):
        staff_admin.change_own_password(store, anna, PASSWORD, "short", "short")
    assert accounts.authenticate(store, "anna", PASSWORD) is not None
    staff_admin.change_own_password(store, anna, PASSWORD, "a new passphrase", "a new passphrase")
    assert accounts.authenticate(store, "anna", "a new passphrase") is not None
