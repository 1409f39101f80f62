"""Checks shared by the tests of sender-facing templates in the network's 27 languages:
present with the English variables, laid out alike, and really written in their language."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from tests.conftest import ROOT

# The languages intake answers in: the 24 official EU languages, Norwegian (Bokmål), Catalan
# and Icelandic.
NETWORK_LANGUAGES = (
    "bg ca cs da de el en es et fi fr ga hr hu is it lt lv mt nb nl pl pt ro sk sl sv"
).split()
# How each language says "automatic(ally)" in a footer: a stem shared by the adjective and the
# adverb, or the forms separated by "|".
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
# Words a Maltese text of ours is bound to use (lingua cannot detect Maltese).
MALTESE_WORDS = {"grazzi", "tiegħek", "tan-netwerk", "is-segretarjat", "ta'", "se", "li", "u", "il-grupp"}


def variables_listed(language: str, name: str) -> list[str]:
    """The variables a template's leading comment names (each language must name the English ones)."""
    source = (ROOT / "templates" / "mail" / language / f"{name}.txt.j2").read_text("utf-8")
    header = source.split("#}", 1)[0]
    assert source.startswith("{#") and "Variables:" in header
    listed = header.split("Variables:", 1)[1].split("(", 1)[0]
    return sorted(v.strip() for v in listed.replace("\n", " ").split(",") if v.strip())


def assert_layout(body: str, language: str) -> None:
    """A greeting, one blank line, the text; the secretariat's signature; a footer after a
    line '--' that says, in the mail's language, that the mail is automatic."""
    lines = body.split("\n")
    assert lines[0].strip() and lines[1] == "" and lines[2].strip(), lines[:3]
    assert "ICLEI Europ" in body and "Procura+" in body
    footer = body.rsplit("\n--\n", 1)
    assert len(footer) == 2, "the footer is separated by a line '--'"
    assert any(word in footer[1].lower() for word in AUTOMATIC[language].split("|")), footer[1]


def english_phrases_in(text: str, phrases: tuple[str, ...]) -> list[str]:
    """The stock English phrases that survive in a text meant to be in another language."""
    lowered = text.lower()
    return [phrase for phrase in phrases if phrase in lowered]


@lru_cache(maxsize=1)
def _detector() -> Any:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = [
        Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
        for code in NETWORK_LANGUAGES
        if code != "mt"  # lingua has no Maltese
    ]
    return LanguageDetectorBuilder.from_languages(*languages).build()


def detected_language(text: str) -> str | None:
    """The ISO 639-1 code lingua reads the text as, among the network's languages."""
    found = _detector().detect_language_of(text)
    return None if found is None else str(found.iso_code_639_1.name.lower())


def assert_maltese(text: str) -> None:
    """lingua has no Maltese: the text carries Maltese letters and words and is not read as English."""
    lowered = text.lower()
    assert set("ħġżċ") & set(lowered)
    words = set(lowered.replace(",", " ").replace(".", " ").replace(":", " ").split())
    assert len(MALTESE_WORDS & words) >= 5, MALTESE_WORDS & words
    assert detected_language(lowered) != "en"
