"""Issue 22: a join for any number of open groups through the form reaches each group:
a forward to each group's facilitator, a participant in each, `groups` in the JSON."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from intake import group_set, outbox, queries, register, register_links
from intake.cli import main
from intake.web import access
from tests.test_form import confirm_link, hidden, make_site, pseudonym_key, send_form  # noqa: F401

CIRCULAR = "circular.facilitator@example.org"
FACILITATORS = {"srpp-ict": "procurement@iclei.org", "lcc": "philipp.tepper@iclei.org", "circular": CIRCULAR}


def open_third_group(service) -> None:  # noqa: ANN001
    with service.store.transaction():
        register.ensure_topic(service.store, "circular")
        register.start_group(service.env, "circular", name="Circular Procurement", facilitators=[CIRCULAR])


def test_a_join_for_three_open_groups_reaches_each_group(tmp_path, smtp):
    # A member chooses three open groups: one request ("both", groups = all three), a
    # forward to each group's facilitator with that group's link only, a participant in each.
    config, service, app = make_site(tmp_path, smtp.port)
    open_third_group(service)
    client = app.test_client()
    page = client.get("/interest").get_data(as_text=True)
    assert all(f'value="{g}"' in page for g in FACILITATORS)  # all three are offered
    send_form(
        client,
        {
            "intent": "join",
            "groups": ["circular", "lcc", "srpp-ict"],
            "name": "Luis Martín",
            "organisation": "Ayuntamiento de Valladolid",
            "email": "lmartin@valladolid.es",
            "message": "Queremos participar en los tres grupos.",
        },
    )
    outbox.send_due(service.store, config.smtp)
    link = confirm_link(smtp, "lmartin@valladolid.es")
    client.post(link, data={"form_token": hidden(client.get(link).get_data(as_text=True), "form_token")})
    outbox.send_due(service.store, config.smtp)

    (row,) = queries.list_requests(service.store)
    assert row["group"] == "both" and row["status"] == "routed"
    assert row["groups"] == ["circular", "lcc", "srpp-ict"]
    assert sorted(row["forwarded_to"]) == sorted(FACILITATORS.values())
    participants = service.store.query(
        "SELECT group_id, status FROM participants WHERE request_id=?", (row["id"],)
    )
    assert sorted((p["group_id"], p["status"]) for p in participants) == [
        ("circular", "forwarded"),
        ("lcc", "forwarded"),
        ("srpp-ict", "forwarded"),
    ]
    for group, facilitator in FACILITATORS.items():
        (forward,) = [m.message for m in smtp.to(facilitator)]
        text = forward.get_body(("plain",)).get_content()
        assert "lmartin@valladolid.es" in text
        tokens = re.findall(r"http://intake\.test/p/(\S+)", text)
        assert len(tokens) == 1, f"{facilitator} must get {group}'s confirmation link, and only that"
        _link, participant = register_links.check(config, service.store, tokens[0])
        assert participant["group_id"] == group
    explanation = service.store.one("SELECT explanation FROM requests")[0]
    assert access.groups_of("both", explanation) == [
        "circular",
        "lcc",
        "srpp-ict",
    ]  # each facilitator sees it

    listed = CliRunner().invoke(main, ["--config", str(config.path), "requests", "list", "--json"])
    (shown,) = json.loads(listed.output)
    assert shown["group"] == "both" and shown["groups"] == ["circular", "lcc", "srpp-ict"]
    service.close()


def test_groups_field_for_one_group_none_and_a_mailed_both():
    # `groups` is the one group, nothing for none, and for a mailed "both" the two best-scoring.
    assert group_set.group_ids("lcc", None) == ["lcc"]
    assert group_set.group_ids(None, None) == [] and group_set.group_ids("none", None) == []
    assert group_set.group_ids("both", {"scores": {"lcc": 0.2, "srpp-ict": 0.7, "x": 0.1}}) == [
        "srpp-ict",
        "lcc",
    ]
    assert group_set.group_ids("both", {"scores": {"lcc": 1}, "chosen": ["a", "b", "c"]}) == ["a", "b", "c"]
    assert group_set.chosen(["lcc"]) == ("lcc", {})
