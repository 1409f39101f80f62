"""Language detection: the opening decides when it is clear, the longer text otherwise."""

from __future__ import annotations

from intake import language

SWEDISH = ("Vi vill gärna delta i intressegruppen om livscykelkostnader och dela våra "
           "erfarenheter av upphandling av gatubelysning. Hälsningar från Malmö stad. ")


def test_bilingual_mail_is_read_in_the_language_it_opens_with():
    # An out-of-office in English then Swedish: the writer leads with English.
    english = ("Thank you for your email. I am on annual leave until 19 August with limited "
               "access to email. For urgent matters, please contact us.\n\n")
    assert language.detect(english + SWEDISH * 2)[0] == "en"
    assert language.detect(SWEDISH * 2 + english)[0] == "sv"


def test_an_unclear_opening_leaves_the_decision_to_more_text():
    # References and names say little: the opening alone would guess wrong
    # (Portuguese), so the first 400 characters decide.
    opening = "Ref. 2024-118 / IG LCC / 12.08.2024 / Procura+ / ICLEI / LCC / 2024 / Q3 / " * 2
    assert len(opening) >= language.OPENING_CHARS
    assert language.detect(opening + SWEDISH)[0] == "sv"


def test_short_and_empty_texts_fall_back():
    assert language.detect("", fallback="de") == ("de", 0.0)
    assert language.detect("ok", fallback="fr") == ("fr", 0.0)
