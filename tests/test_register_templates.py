"""The register's sender-facing mails (welcome, group closed, guidelines) in every network language:
present, rendering in every branch, showing what the English shows, and really in that language."""

from __future__ import annotations

import pytest

from intake.templating import Templates
from tests.conftest import ROOT

TEMPLATES = Templates(ROOT / "templates")
NAMES = ("welcome", "group_closed", "guidelines")
# The languages the acknowledgements are written in: the 24 official EU languages, Norwegian
# (Bokmål), Catalan and Icelandic.
NETWORK_LANGUAGES = (
    "bg ca cs da de el en es et fi fr ga hr hu is it lt lv mt nb nl pl pt ro sk sl sv"
).split()
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
# How each language says "automatic(ally)" in the footer: a stem shared by the adjective and the
# adverb, or the two forms separated by "|".
AUTOMATIC = {
    "bg": "автоматич",
    "ca": "automàtic",
    "cs": "automatick",
    "da": "automatisk",
    "de": "automatisch",
    "el": "αυτόματ",
    "en": "automatic",
    "es": "automátic",
    "et": "automaat",
    "fi": "automaatti",
    "fr": "automatique",
    "ga": "uathoibríoch",
    "hr": "automatsk",
    "hu": "automatikus",
    "is": "sjálfvirk",
    "it": "automatic",
    "lt": "automati",
    "lv": "automātisk",
    "mt": "awtomati",
    "nb": "automatisk",
    "nl": "automatisch",
    "pl": "automatyczn",
    "pt": "automátic|automaticamente",
    "ro": "automat",
    "sk": "automatick",
    "sl": "samodejn",
    "sv": "automatisk",
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


def _variables_listed(language: str, name: str) -> list[str]:
    source = (ROOT / "templates" / "mail" / language / f"{name}.txt.j2").read_text("utf-8")
    header = source.split("#}", 1)[0]
    assert source.startswith("{#") and "Variables:" in header
    listed = header.split("Variables:", 1)[1].split("(", 1)[0]
    return sorted(v.strip() for v in listed.replace("\n", " ").split(",") if v.strip())


@pytest.mark.parametrize("language", NETWORK_LANGUAGES)
@pytest.mark.parametrize("name", NAMES)
def test_each_language_has_its_own_template_listing_the_english_variables(language, name):
    # Every network language has its own file (no English fallback) naming the English variables.
    assert (ROOT / "templates" / "mail" / language / f"{name}.txt.j2").is_file()
    assert TEMPLATES.resolve(name, language) == language
    assert _variables_listed(language, name) == _variables_listed("en", name)


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
        body = TEMPLATES.render_mail(name, language, variables).body
        lines = body.split("\n")
        assert lines[0].strip() and lines[1] == "" and lines[2].strip(), lines[:3]
        assert "ICLEI Europ" in body and "Procura+" in body
        footer = body.rsplit("\n--\n", 1)
        assert len(footer) == 2, "the footer is separated by a line '--'"
        assert any(word in footer[1].lower() for word in AUTOMATIC[language].split("|")), footer[1]


@pytest.mark.parametrize("language", [lang for lang in NETWORK_LANGUAGES if lang != "en"])
@pytest.mark.parametrize("name", NAMES)
def test_no_template_is_english_text(language, name):
    # No stock English phrase survives in another language's subject or body.
    mail = TEMPLATES.render_mail(name, language, VARIANTS["nameless"])
    text = _own_words(mail).lower()
    found = [phrase for phrase in ENGLISH_PHRASES if phrase in text]
    assert not found, found


@pytest.fixture(scope="module")
def detector():
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = [
        Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
        for code in NETWORK_LANGUAGES
        if code != "mt"
    ]  # lingua has no Maltese
    return LanguageDetectorBuilder.from_languages(*languages).build()


def _own_words(mail) -> str:
    """The template's own text: subject and body without the variables' values."""
    text = f"{mail.subject}\n{mail.body}"
    for value in (*MARKERS.values(), *BASE["facilitators"], "Procura+", "ICLEI Europe"):
        text = text.replace(value, " ")
    return text


@pytest.mark.parametrize("language", [lang for lang in NETWORK_LANGUAGES if lang != "mt"])
@pytest.mark.parametrize("name", NAMES)
def test_a_language_detector_reads_each_template_as_its_language(detector, language, name):
    # lingua (the network's languages) recognises each template's own text as its language.
    mail = TEMPLATES.render_mail(name, language, VARIANTS["nameless"])
    found = detector.detect_language_of(_own_words(mail))
    assert found is not None and found.iso_code_639_1.name.lower() == language


MALTESE_WORDS = {"grazzi", "tiegħek", "tan-netwerk", "is-segretarjat", "ta'", "se", "li", "u", "il-grupp"}


@pytest.mark.parametrize("name", NAMES)
def test_maltese_templates_are_maltese(detector, name):
    # lingua has no Maltese: the text carries Maltese letters and Maltese words, and lingua does
    # not take it for English.
    mail = TEMPLATES.render_mail(name, "mt", VARIANTS["nameless"])
    text = _own_words(mail).lower()
    assert set("ħġżċ") & set(text)
    words = set(text.replace(",", " ").replace(".", " ").replace(":", " ").split())
    assert len(MALTESE_WORDS & words) >= 5, MALTESE_WORDS & words
    assert detector.detect_language_of(text).iso_code_639_1.name.lower() != "en"
