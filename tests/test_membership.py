"""Membership: roster import and matching (exact, domain, subdomain; never a look-alike)."""

from __future__ import annotations

import json

import pytest

from intake.members import RosterError, import_file, parse_csv
from intake.stages.membership import Roster, RosterEntry
from intake.store import Store
from tests.conftest import ROSTER

ROSTER_ENTRIES = [
    RosterEntry("Stadt X", "participant", ("stadt-x.de",), ("chef@gmail.com",)),
    RosterEntry("Region", "participant", ("region.example",), ()),
    RosterEntry("Sub Region", "participant", ("sub.region.example",), ()),
]


@pytest.mark.parametrize(
    "sender, org, how",
    [
        ("chef@gmail.com", "Stadt X", "exact"),
        ("CHEF@Gmail.com", "Stadt X", "exact"),
        ("other@gmail.com", None, "none"),
        ("a@stadt-x.de", "Stadt X", "domain"),
        ("a@mail.stadt-x.de", "Stadt X", "subdomain"),
        ("a@stadt-x-de.com", None, "none"),
        ("a@stadt-x.de.evil.io", None, "none"),
        ("a@region-stadt-x.de", None, "none"),
        ("a@xstadt-x.de", None, "none"),
        ("a@deep.sub.region.example", "Sub Region", "subdomain"),
        ("not-an-address", None, "none"),
    ],
)
def test_matching(sender, org, how):
    # Whole DNS labels only: look-alikes never match; the most specific domain wins.
    entry, got = Roster(ROSTER_ENTRIES).match(sender)
    assert got == how
    assert (entry.organisation if entry else None) == org


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "db.sqlite3")
    s.migrate()
    yield s
    s.close()


def test_import_is_idempotent_and_counts(store, tmp_path):
    # First import adds all; the same file again changes nothing; edits are counted.
    plan = import_file(store, ROSTER, "t")
    assert len(plan.added) == 45 and not plan.changed and not plan.removed
    again = import_file(store, ROSTER, "t")
    assert (len(again.added), len(again.changed), len(again.removed)) == (0, 0, 0)
    lines = ROSTER.read_text(encoding="utf-8").splitlines()
    edited = [lines[0], lines[1].replace("participant", "strategic_partner"), *lines[3:]]
    path = tmp_path / "r.csv"
    path.write_text("\n".join(edited) + "\n", encoding="utf-8")
    third = import_file(store, path, "t")
    assert (len(third.added), len(third.changed), len(third.removed)) == (0, 1, 1)
    assert store.one("SELECT COUNT(*) FROM members")[0] == 44
    assert store.one("SELECT COUNT(*) FROM events WHERE kind='roster_imported'")[0] == 3


def test_dry_run_changes_nothing(store):
    # --dry-run reports but writes nothing.
    plan = import_file(store, ROSTER, "t", dry_run=True)
    assert len(plan.added) == 45
    assert store.one("SELECT COUNT(*) FROM members")[0] == 0


@pytest.mark.parametrize(
    "text, words",
    [
        ("organisation,country\nA,DE\n", "missing column"),
        ("organisation,country,membership,domains,contact_emails\nA,DE,friend,a.de,\n", "line 2: membership"),
        (
            "organisation,country,membership,domains,contact_emails\nA,DE,participant,a.de,\n"
            "B,DE,participant,not a domain,\n",
            "line 3",
        ),
        (
            "organisation,country,membership,domains,contact_emails\nA,DE,participant,a.de,x@\n",
            "not an email",
        ),
        (
            "organisation,country,membership,domains,contact_emails\nA,DE,participant,a.de,\n"
            "A,FR,participant,b.fr,\n",
            "already on line 2",
        ),
        ("organisation,country,membership,domains,contact_emails\nA,DE,participant\n", "line 2"),
    ],
)
def test_bad_rows_stop_with_line_number(text, words):
    # A malformed row names its line.
    with pytest.raises(RosterError, match=words):
        parse_csv(text, "r.csv")


def test_bad_row_writes_nothing(store, tmp_path):
    # A bad row anywhere means the database is unchanged.
    import_file(store, ROSTER, "t")
    before = store.query("SELECT organisation, domains FROM members ORDER BY 1")
    lines = ROSTER.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("stad.gent", "new.gent")
    lines.append("Broken,DE,member,x.de,")
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(RosterError, match=f"line {len(lines)}"):
        import_file(store, path, "t")
    after = store.query("SELECT organisation, domains FROM members ORDER BY 1")
    assert [tuple(r) for r in before] == [tuple(r) for r in after]
    assert "new.gent" not in json.dumps([list(r) for r in after])


def test_a_large_roster_matches_by_index_and_the_first_listing_wins():
    # Thousands of organisations: matching stays a few lookups; where two list the same
    # domain or contact, the first in roster order wins (as staff see it in the list).
    entries = [
        RosterEntry(f"Org {i:05d}", "participant", (f"city{i}.example",), (f"head{i}@mail.example",))
        for i in range(5000)
    ]
    entries.append(RosterEntry("Zeta", "partner", ("city7.example",), ("head7@mail.example",)))
    roster = Roster(entries)
    assert roster.match("a@dept.city4999.example") == (entries[4999], "subdomain")
    assert roster.match("x@city7.example")[0].organisation == "Org 00007"
    assert roster.match("HEAD7@mail.example")[0].organisation == "Org 00007"
    assert roster.match("a@city5000.example") == (None, "none")


def test_an_import_that_fails_halfway_leaves_the_roster_as_it_was(store, tmp_path, monkeypatch):
    import_file(store, ROSTER, actor="test")
    before = [tuple(r) for r in store.query("SELECT * FROM members ORDER BY id")]
    smaller = tmp_path / "smaller.csv"
    lines = ROSTER.read_text(encoding="utf-8").splitlines()
    # one organisation changed (an upsert), the other 44 gone (deletes)
    smaller.write_text(
        lines[0] + "\n" + lines[1].replace("participant", "strategic_partner") + "\n", encoding="utf-8"
    )

    def broken(*args, **kwargs):
        raise OSError("disk gone")

    monkeypatch.setattr(store, "event", broken)  # fails after the deletes and the upsert
    with pytest.raises(OSError):
        import_file(store, smaller, actor="test")
    assert [tuple(r) for r in store.query("SELECT * FROM members ORDER BY id")] == before
    assert not store.conn.in_transaction
