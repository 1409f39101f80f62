"""Mail templates: every one renders with StrictUndefined, per language, with fallback."""

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
ACKS = ("ack_join", "ack_nonmember", "ack_received", "ack_proposal", "ack_facilitate")
LANGUAGES = sorted(p.name for p in (ROOT / "templates" / "mail").iterdir() if p.is_dir())
VARIABLES = {
    "token": "IG-7",
    "sender_name": "Ana <b>Tester</b>",
    "sender_email": "ana@stad.gent",
    "forwarded_by": None,
    "original_subject": "Join",
    "group_id": "lcc",
    "group_name": "Life Cycle Costing (LCC)",
    "group_names": ["Life Cycle Costing (LCC)"],
    "group_names_en": ["Life Cycle Costing (LCC)"],
    "intent": "join",
    "language": "en",
    "confidence": 0.9,
    "organisation": "Stad Gent",
    "membership": "participant",
    "member_match": "exact",
    "verified": False,
    "verification_note": "sender not verified",
    "explanation": {},
    "body_excerpt": "We want to join",
    "attachments": ["a.pdf"],
    "triage_reason": "",
    "staff_address": "procurement@iclei.org",
    "privacy_notice_url": "https://procuraplus.example/privacy",
    "confirm_links": {},
    "desk_link": "https://desk.example/requests/7",
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
    # A Turkish writer gets English: no Turkish templates exist (Turkish is not a network language).
    if (ROOT / "templates" / "mail" / "tr" / "ack_join.txt.j2").exists():
        pytest.fail("this test assumes no Turkish templates; pick another language")
    assert TEMPLATES.render_mail("ack_join", "tr", VARIABLES).language == "en"


@pytest.mark.parametrize("code", ["no", "nn", "NO", "nb"])
def test_norwegian_codes_get_the_bokmal_templates(code):
    # "no" (macrolanguage) and "nn" (Nynorsk) are answered with the Norwegian Bokmål templates.
    mail = TEMPLATES.render_mail("ack_received", code, VARIABLES)
    assert mail.language == "nb" and "henvendelsen" in mail.body


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


@pytest.mark.parametrize(
    "name, greeted",
    [
        ("Kröger, Sabine", "Sabine Kröger"),  # an Exchange directory name
        ("Müller-Lüdenscheidt, Hans J.", "Hans J. Müller-Lüdenscheidt"),
        ("Anna Svensson", "Anna Svensson"),
        ("City of Ghent, Procurement", "City of Ghent, Procurement"),  # not a person's name
        ("Procurement 2, Team", "Procurement 2, Team"),
        ("", ""),
    ],
)
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
    (tmp_path / "mail" / "en" / "privacy_line.txt.j2").write_text("")  # acks end with it
    templates = Templates(tmp_path)
    assert templates.render_mail("ack_join", "de", VARIABLES).body == "First wording.\n"
    path.write_text("Subject: Hello {{ token }}\n\nSecond wording.\n")
    os.utime(path, (time.time() + 5, time.time() + 5))  # a later mtime, whatever the fs
    (tmp_path / "mail" / "de").mkdir()
    (tmp_path / "mail" / "de" / "ack_join.txt.j2").write_text("Subject: Hallo\n\nNeu.\n")
    assert templates.render_mail("ack_join", "de", VARIABLES).body == "Neu.\n"
    assert templates.render_mail("ack_join", "en", VARIABLES).body == "Second wording.\n"


# --- every language of the network: present, complete, and really in that language ---

# Three variants of the variables: everything known, nothing optional known, and a sender
# without a name whose organisation is known but whose group is not.
VARIANTS = {
    "full": VARIABLES,
    "bare": {**VARIABLES, "sender_name": "", "organisation": "", "group_name": "", "group_names": []},
    "mixed": {**VARIABLES, "sender_name": "", "group_name": ""},
}
# Sentinel values: which of them the English text shows is what every language must show.
MARKERS = {
    "token": "IG-7",
    "group_name": "Life Cycle Costing (LCC)",
    "original_subject": "Join",
    "organisation": "Stad Gent",
    "staff_address": "procurement@iclei.org",
}


@pytest.mark.parametrize("language", NETWORK_LANGUAGES)
@pytest.mark.parametrize("name", ACKS)
def test_every_network_language_has_every_acknowledgement(language, name):
    # Each of the 27 languages has its own file for each sender-facing template (no fallback).
    assert (ROOT / "templates" / "mail" / language / f"{name}.txt.j2").is_file()
    assert TEMPLATES.resolve(name, language) == language


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", ACKS)
def test_each_template_lists_the_english_variables(language, name):
    # The comment at the top names the same variables as the English template.
    assert variables_listed(language, name) == variables_listed("en", name)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", ACKS)
def test_each_branch_renders_and_shows_what_english_shows(name, language, variant):
    # StrictUndefined render of every branch; the token, group, subject, organisation and staff
    # address appear wherever the English text shows them, in the subject and in the body.
    variables = VARIANTS[variant]
    if name == "ack_join":  # sent only once the group is known (see route.py)
        variables = {**variables, "group_name": VARIABLES["group_name"]}
    english = TEMPLATES.render_mail(name, "en", variables)
    mail = TEMPLATES.render_mail(name, language, variables)
    assert mail.language == language
    assert mail.subject.startswith(f"[{variables['token']}] ") and len(mail.subject) > 12
    assert "{{" not in mail.body and "{%" not in mail.body and "  " not in mail.subject
    for key, value in MARKERS.items():
        if not variables.get(key):
            continue
        if value in english.subject:
            assert value in mail.subject, (key, mail.subject)
        if value in english.body:
            assert value in mail.body, (key, mail.body)
    if variables["sender_name"] == "":
        assert ", ," not in mail.body and " ," not in mail.body.split("\n")[0]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", ACKS)
def test_layout_greeting_blank_line_signature_and_automatic_footer(language, name):
    # A greeting, one blank line, the text; a signature; a footer saying the mail is automatic.
    assert_layout(TEMPLATES.render_mail(name, language, VARIABLES).body, language)


ENGLISH_PHRASES = (
    "thank you",
    "kind regards",
    "interest group",
    "secretariat will",
    "this is an automatic",
    "your request",
    "your message",
    "dear ",
    "hello,",
)


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
@pytest.mark.parametrize("name", ACKS)
def test_no_template_is_english_text(language, name):
    # No stock English phrase survives in another language's subject or body.
    mail = TEMPLATES.render_mail(name, language, VARIANTS["bare"])
    found = english_phrases_in(f"{mail.subject}\n{mail.body}", ENGLISH_PHRASES)
    assert not found, found


def _own_words(mail) -> str:
    """The template's own text: subject and body without the variables' values."""
    text = f"{mail.subject}\n{mail.body}"
    for value in ("IG-7", "Join", "procurement@iclei.org", "Procura+", "ICLEI Europe"):
        text = text.replace(value, " ")
    return text


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "mt"])
@pytest.mark.parametrize("name", ACKS)
def test_a_language_detector_reads_each_template_as_its_language(language, name):
    # lingua (the network's languages) recognises each template's text as its language.
    mail = TEMPLATES.render_mail(name, language, VARIANTS["bare"])
    assert detected_language(_own_words(mail)) == language


@pytest.mark.parametrize("name", ACKS)
def test_maltese_templates_are_maltese(name):
    # lingua has no Maltese: the text carries Maltese letters and words and is not read as English.
    assert_maltese(_own_words(TEMPLATES.render_mail(name, "mt", VARIANTS["bare"])))


def test_norwegian_templates_serve_either_code(tmp_path):
    # Detection reports Norwegian as `no`; a template directory named `nb` serves it (and back).
    for lang, text in (("en", "Subject: Hi\n\nHello\n"), ("nb", "Subject: Hei\n\nHei\n")):
        (tmp_path / "mail" / lang).mkdir(parents=True)
        (tmp_path / "mail" / lang / "ack.txt.j2").write_text(text, encoding="utf-8")
    templates = Templates(tmp_path)
    assert templates.render_mail("ack", "no", {}).language == "nb"
    assert templates.render_mail("ack", "nb", {}).subject == "Hei"
    assert templates.render_mail("ack", "mt", {}).language == "en"
