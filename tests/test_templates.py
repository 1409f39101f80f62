"""Mail templates: every one renders with StrictUndefined, per language, with fallback."""

from __future__ import annotations

import pytest

from intake.templating import Templates
from tests.conftest import ROOT

TEMPLATES = Templates(ROOT / "templates")
ACKS = ("ack_join", "ack_nonmember", "ack_received", "ack_proposal", "ack_facilitate")
LANGUAGES = sorted(p.name for p in (ROOT / "templates" / "mail").iterdir() if p.is_dir())
VARIABLES = {
    "token": "IG-7", "sender_name": "Ana <b>Tester</b>", "sender_email": "ana@stad.gent",
    "forwarded_by": None, "original_subject": "Join", "group_id": "lcc",
    "group_name": "Life Cycle Costing (LCC)", "group_names": ["Life Cycle Costing (LCC)"],
    "group_names_en": ["Life Cycle Costing (LCC)"], "intent": "join", "language": "en",
    "confidence": 0.9, "organisation": "Stad Gent", "membership": "participant",
    "member_match": "exact", "verified": False, "verification_note": "sender not verified",
    "explanation": {}, "body_excerpt": "We want to join", "attachments": ["a.pdf"],
    "triage_reason": "", "staff_address": "procurement@iclei.org", "confirm_links": {},
}


def test_at_least_the_required_languages():
    # Acknowledgements exist in English, German, French, Spanish and Italian (and more).
    assert {"en", "de", "fr", "es", "it"} <= set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", ACKS)
def test_every_ack_renders_in_every_language(language, name):
    # Each template renders with the documented variables and carries the token.
    mail = TEMPLATES.render_mail(name, language, VARIABLES)
    assert mail.language == language
    assert mail.subject.startswith("[IG-7]")
    assert len(mail.body) > 100 and "{{" not in mail.body


@pytest.mark.parametrize("name", ["forward_join", "forward_followup", "staff_notice"])
def test_staff_facing_mail_is_english(name):
    # Forwards and staff notices render in English whatever the sender's language.
    mail = TEMPLATES.render_mail(name, "fi", VARIABLES)
    assert mail.language == "en" and "[IG-7]" in mail.subject


def test_unknown_language_falls_back_to_english():
    # A Finnish writer gets English when no Finnish template exists.
    if (ROOT / "templates" / "mail" / "fi" / "ack_join.txt.j2").exists():
        pytest.fail("this test assumes no Finnish templates; pick another language")
    assert TEMPLATES.render_mail("ack_join", "fi", VARIABLES).language == "en"


def test_missing_variable_fails_loudly():
    # StrictUndefined: a template never sends "Dear ," because of a typo.
    import jinja2
    broken = dict(VARIABLES)
    del broken["group_name"]
    with pytest.raises(jinja2.UndefinedError):
        TEMPLATES.render_mail("ack_join", "en", broken)


def test_user_text_is_not_html_escaped_in_plain_mail():
    # Plain-text mail shows the name as written (no HTML entities), never as markup.
    body = TEMPLATES.render_mail("ack_join", "en", VARIABLES).body
    assert "Ana <b>Tester</b>" in body


@pytest.mark.parametrize("name, greeted", [
    ("Kröger, Sabine", "Sabine Kröger"),             # an Exchange directory name
    ("Müller-Lüdenscheidt, Hans J.", "Hans J. Müller-Lüdenscheidt"),
    ("Anna Svensson", "Anna Svensson"),
    ("City of Ghent, Procurement", "City of Ghent, Procurement"),  # not a person's name
    ("Procurement 2, Team", "Procurement 2, Team"),
    ("", ""),
])
def test_directory_names_are_greeted_first_name_first(name, greeted):
    from intake.stages.respond import salutation_name
    assert salutation_name(name) == greeted


def test_an_edited_template_is_used_at_once(tmp_path):
    # An operator's edit, or a new language, is picked up on the next render.
    import os
    import time

    (tmp_path / "mail" / "en").mkdir(parents=True)
    path = tmp_path / "mail" / "en" / "ack_join.txt.j2"
    path.write_text("Subject: Hello {{ token }}\n\nFirst wording.\n")
    templates = Templates(tmp_path)
    assert templates.render_mail("ack_join", "de", VARIABLES).body == "First wording.\n"
    path.write_text("Subject: Hello {{ token }}\n\nSecond wording.\n")
    os.utime(path, (time.time() + 5, time.time() + 5))  # a later mtime, whatever the fs
    (tmp_path / "mail" / "de").mkdir()
    (tmp_path / "mail" / "de" / "ack_join.txt.j2").write_text("Subject: Hallo\n\nNeu.\n")
    assert templates.render_mail("ack_join", "de", VARIABLES).body == "Neu.\n"
    assert templates.render_mail("ack_join", "en", VARIABLES).body == "Second wording.\n"
