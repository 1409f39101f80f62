"""The roster as secretariats keep it (issue 19): ';'-separated Windows-1252 CSV, BOMs,
.xlsx, public suffixes refused with their line, addresses checked, export formula-safe.
Through the `intake` command on a real SQLite file."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from intake.cli import main
from intake.config import load_config
from intake.store import Store
from intake.trust import aligned
from tests.conftest import write_config

HEADER = ["organisation", "country", "membership", "domains", "contact_emails"]


@pytest.fixture
def run(tmp_path):
    """`intake` on a fresh database: run(*args, code=0) -> output."""
    path = write_config(tmp_path, imap_port=1, smtp_port=1, inboxes=[{"name": "general", "username": "u"}])
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> str:
        result = runner.invoke(main, ["--config", str(path), *args])
        assert result.exit_code == code, result.output
        assert "Traceback" not in result.output
        return result.output

    invoke.database = load_config(path).database
    return invoke


def _members(run) -> dict[str, dict]:  # noqa: ANN001
    return {m["organisation"]: m for m in json.loads(run("members", "list", "--json"))}


def test_a_semicolon_separated_windows_1252_csv_imports(run, tmp_path):
    # Excel's "CSV" in Germany or France: ';' between columns, Windows-1252, lists in quotes
    text = (
        ";".join(HEADER) + "\r\n"
        "Stadt Köln;DE;participant;stadt-koeln.de;einkauf@stadt-koeln.de\r\n"
        'Ville de Besançon;FR;Strategic partner;"besancon.fr;grandbesancon.fr";achats@besancon.fr\r\n'
        "Région Île-de-France;FR;participant;iledefrance.fr;\r\n"
    )
    path = tmp_path / "roster.csv"
    path.write_bytes(text.encode("cp1252"))
    assert "3 added" in run("members", "import", str(path))
    found = _members(run)
    assert set(found) == {"Stadt Köln", "Ville de Besançon", "Région Île-de-France"}
    assert found["Ville de Besançon"]["domains"] == ["besancon.fr", "grandbesancon.fr"]
    assert found["Ville de Besançon"]["membership"] == "strategic_partner"
    assert found["Stadt Köln"]["contact_emails"] == ["einkauf@stadt-koeln.de"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "utf-16"])
def test_comma_csv_with_or_without_bom_imports(run, tmp_path, encoding):
    # ',' between columns in UTF-8 with a BOM (Excel's "CSV UTF-8"), without, or UTF-16
    text = ",".join(HEADER) + "\nGemeente Zwolle,NL,participant,zwolle.nl,inkoop@zwolle.nl\n"
    path = tmp_path / "roster.csv"
    path.write_bytes(text.encode(encoding))
    run("members", "import", str(path))
    assert _members(run)["Gemeente Zwolle"]["domains"] == ["zwolle.nl"]


def test_an_xlsx_roster_imports(run, tmp_path):
    # an Excel workbook: first sheet, header row, numbers and empty cells as Excel keeps them
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["Stadt Wien", "AT", "participant", "wien.gv.at", "beschaffung@wien.gv.at"])
    sheet.append(["Miasto Kraków", "PL", "participant", "bip.krakow.pl; um.krakow.pl", None])
    sheet.append([None, None, None, None, None])
    sheet.append(["Kommune 2030", "DK", "participant", "kommune2030.dk", "info@kommune2030.dk"])
    path = tmp_path / "roster.xlsx"
    book.save(path)
    assert "3 added" in run("members", "import", str(path))
    found = _members(run)
    assert found["Miasto Kraków"]["domains"] == ["bip.krakow.pl", "um.krakow.pl"]
    assert found["Stadt Wien"]["domains"] == ["wien.gv.at"]


def test_a_public_suffix_is_refused_with_its_line_number(run, tmp_path):
    # co.uk as a member's domain would make every *.co.uk sender a member: refused, line named
    path = tmp_path / "roster.csv"
    path.write_text(
        ",".join(HEADER) + "\n"
        "Leeds City Council,GB,participant,leeds.gov.uk,procurement@leeds.gov.uk\n"
        "Somebody Ltd,GB,participant,co.uk,info@somebody.co.uk\n"
    )
    out = run("members", "import", str(path), code=1)
    assert "line 3" in out and "'co.uk' is a public suffix" in out
    assert len(out.strip().splitlines()) == 1
    assert _members(run) == {}  # nothing half-written
    sheet_path = tmp_path / "roster.xlsx"
    book = Workbook()
    book.active.append(HEADER)
    book.active.append(["Land Wien", "AT", "participant", "gv.at", ""])
    book.save(sheet_path)
    out = run("members", "import", str(sheet_path), code=1)
    assert "line 2" in out and "'gv.at' is a public suffix" in out


@pytest.mark.parametrize("address", ["beschaffung(at)stadt.de", "a@b", "two@@stadt.de", "x@foo.test"])
def test_contact_that_is_not_an_address_is_refused_with_its_line(run, tmp_path, address):
    # email-validator (no DNS) refuses what is not an address, naming the line
    path = tmp_path / "roster.csv"
    path.write_text(",".join(HEADER) + f"\nStadt X,DE,participant,stadt-x.de,{address}\n")
    out = run("members", "import", str(path), code=1)
    assert "line 2" in out and "is not an email address" in out


def test_internationalised_domains_and_addresses_are_accepted_in_both_forms(run, tmp_path):
    # münchen.de and its A-label both listed, so a sender writing either one matches
    path = tmp_path / "roster.csv"
    path.write_text(
        ",".join(HEADER) + "\nStadt München,DE,participant,münchen.de,einkauf@münchen.de\n", encoding="utf-8"
    )
    run("members", "import", str(path))
    found = _members(run)["Stadt München"]
    assert found["domains"] == ["münchen.de", "xn--mnchen-3ya.de"]
    assert found["contact_emails"] == ["einkauf@münchen.de", "einkauf@xn--mnchen-3ya.de"]


def test_export_csv_neutralizes_formula_cells_and_reimports(run, tmp_path):
    # cells starting with = + - @ get a leading apostrophe; the export is read back by import
    path = tmp_path / "roster.csv"
    path.write_text(
        ",".join(HEADER) + "\n"
        '"=HYPERLINK(""http://evil.example"")",DE,participant,evil-example.de,\n'
        "+Plus Verein,DE,participant,plus-verein.de,\n"
        "-Minus Stadt,DE,participant,minus-stadt.de,\n"
        "@Home Gemeinde,DE,participant,home-gemeinde.de,info@home-gemeinde.de\n"
        "Normal Stadt,DE,participant,normal-stadt.de,\n"
    )
    run("members", "import", str(path))
    out = run("members", "export", "--csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == HEADER
    names = [r[0] for r in rows[1:]]
    assert '\'=HYPERLINK("http://evil.example")' in names
    assert {"'+Plus Verein", "'-Minus Stadt", "'@Home Gemeinde", "Normal Stadt"} <= set(names)
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)
    exported = tmp_path / "export.csv"
    run("members", "export", "--csv", "-o", str(exported))
    assert "5 unchanged" not in run("members", "import", str(exported), "--dry-run")  # names carry the '
    assert "0 removed" not in run("members", "import", str(exported), "--dry-run")
    store = Store(run.database)
    assert store.one("SELECT COUNT(*) FROM members")[0] == 5
    store.close()


def test_alignment_uses_the_public_suffix_list():
    # DMARC relaxed alignment compares organisational domains: co.uk never vouches for a
    # domain under it; two subdomains of one organisation are aligned
    assert aligned("mail.leeds.gov.uk", "leeds.gov.uk")
    assert aligned("news.heidelberg.de", "mail.heidelberg.de")
    assert not aligned("co.uk", "evil.co.uk")
    assert not aligned("gv.at", "wien.gv.at")
    assert not aligned("other.github.io", "mine.github.io")
    assert not aligned("heidelberg.de", "digitalservice-heidelberg.de")
