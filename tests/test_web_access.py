"""Authorization by role on every web route (Flask's test client): anonymous, staff, the
facilitator of the request's group and a facilitator of another group."""

from __future__ import annotations

import json

import pytest

from intake import accounts, register
from intake.context import Env
from intake.rulebook import load_rules
from intake.templating import Templates
from intake.web import access, create_app
from tests.webfixtures import PASSWORD, csrf_of, login, populated

TARGET_MID = "xss-1@evil.example"  # a srpp-ict request with an attachment


@pytest.fixture
def desk(tmp_path, smtp):
    config, service = populated(tmp_path, smtp.port)
    accounts.add(service.store, "sara", "facilitator", "srpp-ict", PASSWORD)
    app = create_app(config)
    env = Env(
        config=config,
        rules=load_rules(config.rules_dir),
        store=service.store,
        templates=Templates(config.templates_dir),
    )
    with service.store.transaction():
        register.upsert_participant(
            env,
            group_id="srpp-ict",
            organisation="Stad Gent",
            email="aankoop@stad.gent",
            name=None,
            language="nl",
            request_id=None,
            status="forwarded",
        )
    app.config["TESTING"] = True
    yield app, service
    service.close()


def client_for(app, name: str | None):
    client = app.test_client()
    if name is not None:
        assert login(client, name).status_code == 302
    return client


def url_of(rule, values: dict) -> str:
    url = rule.rule
    for arg in rule.arguments:
        url = (
            url.replace(f"<int:{arg}>", str(values[arg]))
            .replace(f"<path:{arg}>", str(values[arg]))
            .replace(f"<{arg}>", str(values[arg]))
        )
    return url


def snapshot(store) -> str:
    """What an action could change: requests, roster, staff, outbox."""
    rows = {
        t: [tuple(r) for r in store.query(f"SELECT * FROM {t} ORDER BY id")]  # noqa: S608
        for t in ("requests", "members", "staff")
    }
    rows["outbox"] = store.one("SELECT COUNT(*) FROM outbox")[0]
    return json.dumps(rows, default=str)


FORM = {
    "desk.preview": {"group": "srpp-ict", "intent": "join"},
    "desk.resolve": {"group": "srpp-ict", "intent": "join", "send": "no"},
    "desk.note": {"text": "seen"},
    "desk.assign": {"person": "anna"},
    "desk.link": {"organisation": "Stadt Heidelberg", "add_domain": "yes"},
}


def test_every_route_has_a_rule(desk):
    # A route without an entry in intake/web/access.py fails here, and is refused at run time.
    app, _ = desk
    assert {r.endpoint for r in app.url_map.iter_rules()} <= set(access.RULES)

    @app.route("/unguarded")
    def unguarded():  # noqa: ANN202
        return "open"

    client = client_for(app, "anna")
    assert client.get("/unguarded").status_code == 403


@pytest.mark.parametrize("role", ["anonymous", "staff", "facilitator_right", "facilitator_wrong"])
def test_every_route_by_role(desk, role):
    # Each route answers by its rule: anonymous -> login, staff -> allowed, a facilitator ->
    # allowed for their own group's request, 404 for staff-only routes and other groups.
    app, service = desk
    store = service.store
    target = store.one("SELECT id, request_id FROM messages WHERE message_id=?", (TARGET_MID,))
    values = {
        "request_id": target["request_id"],
        "message_pk": target["id"],
        "index": 0,
        "filename": "style.css",
        "group_id": "srpp-ict",  # the register's pages of the srpp-ict group
        "participant_id": store.one("SELECT id FROM participants WHERE group_id='srpp-ict'")[0],
        "token": "not-a-valid-link",
        "year": 2026,
        "kind": "groups",
    }
    name = {"anonymous": None, "staff": "anna", "facilitator_right": "sara", "facilitator_wrong": "philipp"}[
        role
    ]
    client = client_for(app, name)
    token = csrf_of(client.get("/queue").get_data(as_text=True)) if name else "x"
    checked = 0
    for rule in app.url_map.iter_rules():
        assert rule.endpoint in access.RULES, f"{rule.endpoint} has no access rule"
        kind = access.RULES[rule.endpoint]
        if rule.endpoint in ("auth.logout", "auth.login") and name:
            continue  # would end this client's session; covered in test_web_security
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            before = snapshot(store)
            data = {**FORM.get(rule.endpoint, {}), "csrf_token": token} if method == "POST" else None
            response = client.open(url_of(rule, values), method=method, data=data)
            code, where = response.status_code, response.headers.get("Location", "")
            if kind == access.PUBLIC:  # the login form answers a blank POST with 400/401;
                # /healthz says 503 while no inbox was ever polled (this desk's service never polls)
                assert (code < 500 or (rule.endpoint, code) == ("monitoring.healthz", 503)) and code not in (
                    403,
                    404,
                ), (rule.endpoint, code)
                continue
            if role == "anonymous":
                allowed = False
                # to the login page; a POST is refused first for its CSRF token (no session)
                assert (code == 302 and "/login" in where) or (method == "POST" and code == 400), (
                    rule.endpoint,
                    code,
                )
            elif role == "staff" or kind == access.ACCOUNT:
                allowed = True
            elif kind == access.STAFF:
                allowed = False
            else:  # a request, or a register page, of the srpp-ict group
                allowed = role == "facilitator_right"
            if allowed:
                assert code not in (401, 403, 404, 500) and "/login" not in where, (
                    role,
                    method,
                    rule.endpoint,
                    code,
                )
            else:
                if role != "anonymous":
                    assert code == 404, (role, method, rule.endpoint, code)
                assert snapshot(store) == before, (role, rule.endpoint, "changed state")
            checked += 1
    assert checked >= 15


def test_facilitator_cannot_add_a_domain_to_the_roster(desk):
    # POST /link with add_domain=yes from a facilitator of the request's own group: 404,
    # the roster unchanged (the form being hidden was the only guard).
    app, service = desk
    store = service.store
    own = store.one("SELECT id FROM requests WHERE group_id='lcc' ORDER BY id")[0]
    client = client_for(app, "philipp")
    token = csrf_of(client.get(f"/requests/{own}").get_data(as_text=True))
    roster = [tuple(r) for r in store.query("SELECT * FROM members ORDER BY id")]
    response = client.post(
        f"/requests/{own}/link",
        data={"csrf_token": token, "organisation": "Stadt Heidelberg", "add_domain": "yes"},
    )
    assert response.status_code == 404
    assert [tuple(r) for r in store.query("SELECT * FROM members ORDER BY id")] == roster
    # staff may
    staff = client_for(app, "anna")
    token = csrf_of(staff.get(f"/requests/{own}").get_data(as_text=True))
    assert (
        staff.post(
            f"/requests/{own}/link",
            data={"csrf_token": token, "organisation": "Stadt Heidelberg", "add_domain": "yes"},
        ).status_code
        == 302
    )
    assert [tuple(r) for r in store.query("SELECT * FROM members ORDER BY id")] != roster


@pytest.mark.parametrize("endpoint", ["preview", "resolve"])
def test_facilitator_cannot_reroute_out_of_their_group(desk, endpoint):
    # A facilitator deciding a request of their group may not move it to another group.
    app, service = desk
    store = service.store
    own = store.one("SELECT id FROM requests WHERE group_id='lcc' ORDER BY id")[0]
    client = client_for(app, "philipp")
    token = csrf_of(client.get(f"/requests/{own}").get_data(as_text=True))
    for group in ("srpp-ict", "both", "none", "new:anything"):
        before = snapshot(store)
        response = client.post(
            f"/requests/{own}/{endpoint}",
            data={"csrf_token": token, "group": group, "intent": "join", "send": "yes"},
            follow_redirects=True,
        )
        assert "only decide within their own group" in response.get_data(as_text=True)
        assert snapshot(store) == before
    response = client.post(
        f"/requests/{own}/resolve",
        data={"csrf_token": token, "group": "lcc", "intent": "question", "send": "no"},
    )
    assert response.status_code == 302
    assert store.one("SELECT intent FROM requests WHERE id=?", (own,))[0] == "question"


def test_assign_only_to_accounts_that_can_see_the_request(desk):
    # Assigning to an arbitrary string or to another group's facilitator is refused.
    app, service = desk
    store = service.store
    own = store.one("SELECT id FROM requests WHERE group_id='lcc' ORDER BY id")[0]
    for who in ("philipp", "anna"):
        client = client_for(app, who)
        token = csrf_of(client.get(f"/requests/{own}").get_data(as_text=True))
        for person in ("<script>x</script>", "nobody-at-all", "sara"):
            client.post(f"/requests/{own}/assign", data={"csrf_token": token, "person": person})
            assert store.one("SELECT assigned_to FROM requests WHERE id=?", (own,))[0] is None
        client.post(f"/requests/{own}/assign", data={"csrf_token": token, "person": "philipp"})
        assert store.one("SELECT assigned_to FROM requests WHERE id=?", (own,))[0] == "philipp"
        client.post(f"/requests/{own}/assign", data={"csrf_token": token, "person": ""})
