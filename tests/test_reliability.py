"""Issue 15, "nothing sent twice, nothing failing in silence": an operator's bad day, each
scenario through the real parts (Dovecot, an SMTP server on loopback, a SQLite file, the
`intake` command and run_service.py)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from intake import members
from intake.cli import main
from intake.config import load_config
from intake.store import Store
from tests.conftest import ROSTER, write_config

HEADER = "organisation,country,membership,domains,contact_emails\n"


@pytest.fixture
def cli(tmp_path):
    """`intake` on a fresh database holding the corpus roster: run(*args, code=0) -> output."""
    path = write_config(tmp_path, imap_port=1, smtp_port=1,
                        inboxes=[{"name": "general", "username": "u"}])
    store = Store(load_config(path).database)
    store.migrate()
    members.import_file(store, ROSTER, "test")
    store.close()
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(main, ["--config", str(path), *args])
        assert result.exit_code == code, result.output
        assert "Traceback" not in result.output
        return result.output

    return run


def _roster_names(run) -> list[str]:  # noqa: ANN001
    return [r["organisation"] for r in json.loads(run("members", "list", "--json"))]


# -- 8. the roster import never destroys silently ---------------------------------------------

def test_header_only_roster_is_refused_unless_allow_empty(cli, tmp_path):
    # A header-only CSV would remove every organisation: refused, one line, roster intact.
    empty = tmp_path / "empty.csv"
    empty.write_text(HEADER, encoding="utf-8")
    before = _roster_names(cli)
    assert len(before) == 45
    out = cli("members", "import", str(empty), code=1)
    assert "remove all 45" in out and "--allow-empty" in out and len(out.strip().splitlines()) == 1
    cli("members", "import", str(empty), "--dry-run", code=1)
    assert _roster_names(cli) == before
    assert "45 removed" in cli("members", "import", str(empty), "--allow-empty")
    assert _roster_names(cli) == []


@pytest.mark.parametrize("claim, words", [
    ("Stad Gent Two,BE,participant,other.be;stad.gent,", "domain 'stad.gent'"),
    ("Stad Gent Two,BE,participant,,aankoopbeleid@stad.gent", "contact 'aankoopbeleid@stad.gent'"),
])
def test_a_domain_or_contact_claimed_twice_is_refused_naming_both_lines(cli, tmp_path, claim,
                                                                         words):
    # A second organisation claiming Stad Gent's domain or contact is refused with both lines.
    lines = ROSTER.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "twice.csv"
    path.write_text("\n".join([*lines, claim]) + "\n", encoding="utf-8")
    out = cli("members", "import", str(path), code=1)
    assert words in out and "'Stad Gent' on line 2" in out and f"line {len(lines) + 1}" in out
    assert "Stad Gent Two" not in _roster_names(cli)
