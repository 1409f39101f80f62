"""The register's sender-facing mails (welcome, group closed, guidelines) in every network language:
present, rendering in every branch, showing what the English shows, and really in that language."""

from __future__ import annotations

import pytest

from intake.templating import Templates
from tests.conftest import ROOT
from tests.language_checks import (
    NETWORK_LANGUAGES,
    assert_layout,
    assert_maltese,
    detected_language,
    english_phrases_in,
    variables_listed,
)

TEMPLATES = Templates(ROOT / "templates")
NAMES = ("welcome", "group_closed", "guidelines")
# Distinct sentinel values, so that each can be found in the rendered text.
BASE = {
    "token": "IG-7",
    "sender_name": "Ana Tester",
    "organisation": "Stad Gent",
    "group_name": "Life Cycle Costing (LCC)",
    "facilitators": ["philipp.tepper@iclei.org", "anna.lupi@comune.example.it"],
    "days_per_year": 7,
    "staff_address": "procurement@iclei.org",
    "guidelines": "https://example.org/ig-guidelines.pdf",
}
# Both branches of the greeting: a sender with a name and one without.
VARIANTS = {"named": BASE, "nameless": {**BASE, "sender_name": ""}}
# What a rendered mail may show of the variables: each shown in English must be shown in every
# language (the facilitators as the joined list).
MARKERS = {
    "token": "IG-7",
    "organisation": "Stad Gent",
    "group_name": "Life Cycle Costing (LCC)",
    "facilitators": "philipp.tepper@iclei.org, anna.lupi@comune.example.it",
    "days_per_year": "7",
    "staff_address": "procurement@iclei.org",
    "guidelines": "https://example.org/ig-guidelines.pdf",
}
ENGLISH_PHRASES = (
    "thank you",
    "kind regards",
    "interest group",
    "welcome",
    "guidelines",
    "has closed",
    "the facilitator",
    "automatic reply",
    "sent automatically",
    "dear ",
    "hello,",
)


@pytest.mark.parametrize("language", NETWORK_LANGUAGES)
@pytest.mark.parametrize("name", NAMES)
def test_each_language_has_its_own_template_listing_the_english_variables(language, name):
    # Every network language has its own file (no English fallback) naming the English variables.
    assert (ROOT / "templates" / "mail" / language / f"{name}.txt.j2").is_file()
    assert TEMPLATES.resolve(name, language) == language
    assert variables_listed(language, name) == variables_listed("en", name)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("language", NETWORK_LANGUAGES)
@pytest.mark.parametrize("name", NAMES)
def test_each_branch_renders_and_shows_what_english_shows(name, language, variant):
    # StrictUndefined render of both greeting branches; every value the English subject or body
    # shows (token, group, organisation, facilitators, days, staff address, guidelines) is shown.
    variables = VARIANTS[variant]
    english = TEMPLATES.render_mail(name, "en", variables)
    mail = TEMPLATES.render_mail(name, language, variables)
    assert mail.language == language
    assert mail.subject.startswith("[IG-7] ") and len(mail.subject) > 12
    assert "{{" not in mail.body and "{%" not in mail.body and "  " not in mail.subject
    for key, value in MARKERS.items():
        if value in english.subject:
            assert value in mail.subject, (key, mail.subject)
        if value in english.body:
            assert value in mail.body, (key, mail.body)
    if not variables["sender_name"]:  # no "Dear ," when the name is unknown
        first_line = mail.body.split("\n")[0]
        assert not any(gap in first_line for gap in (" ,", " :", " !", " .")), first_line


@pytest.mark.parametrize("language", NETWORK_LANGUAGES)
@pytest.mark.parametrize("name", NAMES)
def test_layout_greeting_blank_line_signature_and_automatic_footer(language, name):
    # A greeting, one blank line, the text; the secretariat's signature; a footer saying it is automatic.
    for variables in VARIANTS.values():
        assert_layout(TEMPLATES.render_mail(name, language, variables).body, language)


@pytest.mark.parametrize("language", [lang for lang in NETWORK_LANGUAGES if lang != "en"])
@pytest.mark.parametrize("name", NAMES)
def test_no_template_is_english_text(language, name):
    # No stock English phrase survives in another language's subject or body.
    mail = TEMPLATES.render_mail(name, language, VARIANTS["nameless"])
    found = english_phrases_in(_own_words(mail), ENGLISH_PHRASES)
    assert not found, found


def _own_words(mail) -> str:
    """The template's own text: subject and body without the variables' values."""
    text = f"{mail.subject}\n{mail.body}"
    for value in (*MARKERS.values(), *BASE["facilitators"], "Procura+", "ICLEI Europe"):
        text = text.replace(value, " ")
    return text


@pytest.mark.parametrize("language", [lang for lang in NETWORK_LANGUAGES if lang != "mt"])
@pytest.mark.parametrize("name", NAMES)
def test_a_language_detector_reads_each_template_as_its_language(language, name):
    # lingua (the network's languages) recognises each template's own text as its language.
    mail = TEMPLATES.render_mail(name, language, VARIANTS["nameless"])
    assert detected_language(_own_words(mail)) == language


@pytest.mark.parametrize("name", NAMES)
def test_maltese_templates_are_maltese(name):
    # lingua has no Maltese: the text carries Maltese letters and words and is not read as English.
    assert_maltese(_own_words(TEMPLATES.render_mail(name, "mt", VARIANTS["nameless"])))
