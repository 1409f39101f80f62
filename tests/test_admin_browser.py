"""Issue 21, "administration in the desk": an admin adds, disables, resets and changes the
role of accounts in a real headless Chromium; axe-core finds no violation on these pages."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from intake import accounts
from intake.web import create_app
from tests.test_web_browser import Served, browser, click_and_load  # noqa: F401  (fixture)
from tests.webfixtures import PASSWORD, populated


@pytest.fixture
def site(tmp_path, smtp):
    config, service = populated(tmp_path, smtp.port)
    accounts.add(service.store, "ada", "admin", None, PASSWORD)
    served = Served(create_app(config))
    yield served, service
    served.stop()
    service.close()


def no_violations(page) -> None:  # noqa: ANN001
    results = Axe().run(page)
    assert results.response["passes"], "axe-core did not run"
    assert results.violations_count == 0, results.generate_report()


def session(browser, base: str, name: str, password: str = PASSWORD):  # noqa: ANN001, ANN201, F811
    """A page in its own browser context (its own cookies), after a login attempt."""
    page = browser.new_context().new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    click_and_load(page, "button[type=submit]")
    return page


def account_id(service, name: str) -> int:  # noqa: ANN001
    return service.store.one("SELECT id FROM staff WHERE name=?", (name,))[0]


def test_admin_adds_an_account_that_can_log_in(browser, site):  # noqa: F811
    # The admin adds a staff account; the temporary password, shown once, logs the new person in.
    served, service = site
    admin = session(browser, served.url, "ada")
    click_and_load(admin, "nav >> text=Accounts")
    assert admin.inner_text("h1") == "Desk accounts"
    no_violations(admin)
    admin.fill("input[name=name]", "bert")
    admin.select_option("select[name=role]", "staff")
    click_and_load(admin, "button:has-text('Add account')")
    assert "Account bert added" in admin.inner_text("h1")
    password = admin.inner_text("#temporary-password")
    assert len(password) >= 20
    no_violations(admin)
    assert password not in (service.store.one("SELECT password_hash FROM staff WHERE name='bert'")[0])
    bert = session(browser, served.url, "bert", password)
    assert "Waiting for a person" in bert.inner_text("h1")
    assert "Accounts" not in bert.inner_text("nav")  # staff, not admin
    event = service.store.one("SELECT actor, detail FROM events WHERE kind='staff_added' ORDER BY id DESC")
    assert event["actor"] == "ada" and '"bert"' in event["detail"]
    # a name that exists is refused with a clear line, nothing added
    admin.goto(f"{served.url}/admin/accounts")
    admin.fill("input[name=name]", "bert")
    click_and_load(admin, "button:has-text('Add account')")
    assert "exists" in admin.inner_text("[role=alert]")
    assert service.store.one("SELECT COUNT(*) FROM staff WHERE name='bert'")[0] == 1


def test_disable_ends_the_session_and_refuses_login(browser, site):  # noqa: F811
    # Disabling logs the person out at once; their password no longer logs in; enabling restores it.
    served, service = site
    anna = session(browser, served.url, "anna")
    assert "Waiting for a person" in anna.inner_text("h1")
    admin = session(browser, served.url, "ada")
    admin.goto(f"{served.url}/admin/accounts/{account_id(service, 'anna')}")
    no_violations(admin)
    click_and_load(admin, "button:has-text('Disable anna')")
    assert "anna is disabled" in admin.inner_text("[role=status]")
    anna.goto(f"{served.url}/queue")
    assert "/login" in anna.url  # the session ended at once
    again = session(browser, served.url, "anna")
    assert "Wrong name or password" in again.inner_text("main")
    click_and_load(admin, "button:has-text('Enable anna')")
    assert "Waiting for a person" in session(browser, served.url, "anna").inner_text("h1")
    kinds = [
        (r["actor"], r["kind"])
        for r in service.store.query(
            "SELECT actor, kind FROM events WHERE kind IN ('staff_disabled', 'staff_enabled') ORDER BY id"
        )
    ]
    assert kinds == [("ada", "staff_disabled"), ("ada", "staff_enabled")]
    assert "disabled" in admin.inner_text("table.list")  # the history on the page


def test_reset_password_gives_a_new_temporary_one(browser, site):  # noqa: F811
    # A reset ends the person's sessions; the old password fails, the temporary one works.
    served, service = site
    philipp = session(browser, served.url, "philipp")
    admin = session(browser, served.url, "ada")
    admin.goto(f"{served.url}/admin/accounts/{account_id(service, 'philipp')}")
    click_and_load(admin, "button:has-text('Reset password')")
    password = admin.inner_text("#temporary-password")
    no_violations(admin)
    assert "Every session of philipp has ended" in admin.inner_text("main")
    philipp.goto(f"{served.url}/queue")
    assert "/login" in philipp.url
    assert "Wrong name or password" in session(browser, served.url, "philipp").inner_text("main")
    assert "lcc requests" in session(browser, served.url, "philipp", password).inner_text("h1")
    assert "scrypt$" not in admin.content()  # a stored hash is never shown


def test_role_change_and_the_last_admin(browser, site):  # noqa: F811
    # The admin makes anna an admin (she then sees Accounts) and philipp staff; the last admin
    # cannot give up the role or disable themself.
    served, service = site
    admin = session(browser, served.url, "ada")
    own = f"{served.url}/admin/accounts/{account_id(service, 'ada')}"
    admin.goto(own)
    assert "Disable ada" not in admin.inner_text("main")
    admin.select_option("select[name=role]", "staff")
    click_and_load(admin, "button:has-text('Set role')")
    assert "last admin" in admin.inner_text(".flash.error")
    assert service.store.one("SELECT role FROM staff WHERE name='ada'")[0] == "admin"

    admin.goto(f"{served.url}/admin/accounts/{account_id(service, 'anna')}")
    admin.select_option("select[name=role]", "admin")
    click_and_load(admin, "button:has-text('Set role')")
    assert "anna is now admin" in admin.inner_text("[role=status]")
    anna = session(browser, served.url, "anna")
    assert "Accounts" in anna.inner_text("nav")

    admin.goto(f"{served.url}/admin/accounts/{account_id(service, 'philipp')}")
    admin.select_option("select[name=role]", "facilitator")
    admin.select_option("select[name=group]", "")
    click_and_load(admin, "button:has-text('Set role')")
    assert "needs the group" in admin.inner_text(".flash.error")
    admin.select_option("select[name=role]", "staff")
    click_and_load(admin, "button:has-text('Set role')")
    assert service.store.one("SELECT role, group_id FROM staff WHERE name='philipp'")[:] == ("staff", None)
    philipp = session(browser, served.url, "philipp")
    philipp.goto(f"{served.url}/members")  # staff-only: a facilitator got 404 here
    assert philipp.inner_text("h1") == "Membership roster"

    admin.goto(own)  # with two admins, ada may step down
    admin.select_option("select[name=role]", "staff")
    click_and_load(admin, "button:has-text('Set role')")
    assert service.store.one("SELECT role FROM staff WHERE name='ada'")[0] == "staff"
    admin.goto(f"{served.url}/admin/accounts")
    assert "Desk accounts" not in admin.inner_text("body")  # no longer an admin: 404
    events = service.store.query("SELECT actor, detail FROM events WHERE kind='staff_role_set' ORDER BY id")
    assert [e["actor"] for e in events] == ["ada", "ada", "ada"]


def test_staff_who_are_not_admins_see_no_admin_pages(browser, site):  # noqa: F811
    # Staff and facilitators get no Accounts link and a 404 on the admin pages.
    served, service = site
    for name in ("anna", "philipp"):
        page = session(browser, served.url, name)
        assert "Accounts" not in page.inner_text("nav")
        response = page.goto(f"{served.url}/admin/accounts")
        assert response.status == 404


def test_a_temporary_password_is_replaced_by_its_owner(browser, site):  # noqa: F811
    # After a reset, the person logs in with the temporary password and sets their own from the
    # link on their name; a wrong current password changes nothing; axe finds no violation.
    served, service = site
    admin = session(browser, served.url, "ada")
    admin.goto(f"{served.url}/admin/accounts/{account_id(service, 'philipp')}")
    click_and_load(admin, "button:has-text('Reset password')")
    temporary = admin.inner_text("#temporary-password")
    philipp = session(browser, served.url, "philipp", temporary)
    click_and_load(philipp, "header .who a")
    assert philipp.inner_text("h1") == "Change your password"
    no_violations(philipp)
    philipp.fill("input[name=current]", "not the password")
    philipp.fill("input[name=new]", "my own long passphrase")
    philipp.fill("input[name=repeated]", "my own long passphrase")
    click_and_load(philipp, "button:has-text('Change password')")
    assert "current password is wrong" in philipp.inner_text("[role=alert]")
    philipp.fill("input[name=current]", temporary)
    philipp.fill("input[name=new]", "my own long passphrase")
    philipp.fill("input[name=repeated]", "my own long passphrase")
    click_and_load(philipp, "button:has-text('Change password')")
    assert "Password changed" in philipp.inner_text("[role=status]")
    assert "lcc requests" in philipp.inner_text("h1")  # still logged in
    assert "Wrong name or password" in session(browser, served.url, "philipp", temporary).inner_text("main")
    assert "lcc requests" in session(browser, served.url, "philipp", "my own long passphrase").inner_text(
        "h1"
    )
    event = service.store.one("SELECT actor FROM events WHERE kind='staff_password_set' ORDER BY id DESC")
    assert event["actor"] == "philipp"
