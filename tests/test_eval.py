"""`intake eval` and `intake explain`: the service's own stages, measured on labelled mail."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from intake.cli import main
from tests.conftest import DEV, REALWORLD, ROSTER, SHARED, write_config

DEV2 = SHARED / "corpus" / "dev2"


@pytest.fixture
def run(tmp_path):
    path = write_config(
        tmp_path,
        imap_port=1,
        smtp_port=1,
        inboxes=[
            {"name": "general", "username": "u", "address": "procurement@iclei.org"},
            {"name": "lcc", "username": "u", "address": "philipp.tepper@iclei.org", "group": "lcc"},
        ],
    )
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> str:
        result = runner.invoke(main, ["--config", str(path), *args])
        assert result.exit_code == code, result.output
        return result.output

    invoke("members", "import", str(ROSTER))
    return invoke


def test_eval_classify_on_dev(run):
    # Accuracy per field and per language on dev/; the language is never wrong (English where unsure).
    # Issue 16's targets (group 97 %, intent 95 %, triage 10 %) are not all met yet: these floors
    # are the figures measured in docs/languages.md (1 December 2026), guarding against regressions.
    result = json.loads(run("eval", "classify", str(DEV), "--json"))
    assert result["files"] == 70
    assert result["accuracy"]["group"] >= 0.98
    assert result["accuracy"]["intent"] >= 0.94
    assert result["accuracy"]["language"] == 1.0
    assert result["triage_rate"] <= 0.05
    assert result["below_threshold_rate"] <= 0.18
    assert {"group", "intent"} <= set(result["confusion"])
    assert {"en", "de", "fr", "fi"} <= set(result["per_language"])
    assert set(result["per_language"]["de"]) == {"files", "group", "intent", "language", "triage_rate"}


def test_eval_classify_cross_set_dev2(run):
    # dev2/ (27 languages, other writers) was never used to write the corpus or the cues.
    result = json.loads(run("eval", "classify", str(DEV2), "--json"))
    assert result["files"] == 200
    assert result["accuracy"]["language"] == 1.0
    assert result["accuracy"]["group"] >= 0.95
    assert result["accuracy"]["intent"] >= 0.90
    assert result["triage_rate"] <= 0.08  # human mail triaged because unsure (a join of low confidence)
    assert len(result["per_language"]) == 27
    assert result["answered_in_english_when_unsure"] == 0  # every language sure enough to answer in


def test_eval_classify_table(run):
    # The readable report has accuracy lines, confusion tables and the misclassified files.
    out = run("eval", "classify", str(DEV))
    assert "group     accuracy" in out and "Confusion (intent)" in out
    assert "Per language" in out
    assert "Misclassified files:" in out


def test_eval_screening_realworld_answers_no_machine(run):
    # On the real-world corpus no machine-generated mail would be acknowledged.
    result = json.loads(run("eval", "screening", str(REALWORLD), "--json"))
    assert result["files"] > 150
    assert result["machine_mail_that_would_be_answered"] == 0
    assert result["human_mail_screened_out"] == []
    assert result["classes"]["bounce"]["recall"] >= 0.95


def test_eval_screening_dev(run):
    # On the dev corpus every auto mail is screened out and no human mail is.
    result = json.loads(run("eval", "screening", str(DEV), "--json"))
    assert result["machine_mail_that_would_be_answered"] == 0
    assert result["human_mail_screened_out"] == []


def test_explain_shows_every_stage_and_stores_nothing(run, tmp_path):
    # explain prints screening, thread, group, intent, language, membership, template.
    out = run("explain", str(DEV / "0018.eml"))
    for word in (
        "Screening:",
        "Thread:",
        "Group:",
        "Intent:",
        "Language:",
        "Membership:",
        "Route:",
        "Would send:",
    ):
        assert word in out
    assert "srpp-ict" in out and "Città di Torino" in out
    text = run("explain", str(DEV / "0044.eml"))
    assert "auto_reply" in text and "Would send:  nothing" in text
    data = json.loads(run("explain", str(DEV / "0044.eml"), "--json"))
    assert data["screening"]["verdict"] == "auto_reply"
    assert data["route"]["would_send"] == []
    listed = json.loads(run("requests", "list", "--json"))
    assert listed == []


def test_eval_missing_labels_is_clear(run, tmp_path):
    # A directory without labels.csv is one clear error.
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(
        main, ["--config", str(tmp_path / "intake.toml"), "eval", "classify", str(tmp_path / "empty")]
    )
    assert result.exit_code == 1
    assert "labels.csv" in result.output and "Traceback" not in result.output
