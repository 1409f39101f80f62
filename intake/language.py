"""Which language a mail is written in, and how sure we are.

lingua (low-accuracy mode: trigram models, small and fast) decides among the
network's languages: the 24 official EU languages, Norwegian, Catalan and
Icelandic. lingua has no Maltese, so Maltese is recognised first by a small,
documented check (`maltese_score`): letters only Maltese writes (ħ, ċ, ġ and the
digraph għ) and its commonest function words. Restricting the candidates makes
short texts far more reliable: we never need to tell Tagalog from Indonesian, but
we do need Danish from Norwegian.

Norwegian is reported as `no` (ISO 639-1 for Norwegian; lingua says `nb`).
`detect` returns what the text is in and how sure that is; `answer_language`
turns it into the language we write back in: below CONFIDENCE_FLOOR it is
English, never a guess.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

MAX_CHARS = 600  # a few sentences decide the language; the cost grows with the length
OPENING_CHARS = 150  # most mail is clear from its opening: tried first, at a third of the cost
CLEAR = 0.99  # the opening decides when lingua is this sure of it
CONFIDENCE_FLOOR = 0.7  # below this we answer in English rather than risk a wrong language
# On a line or two lingua's trigram model is over-sure ("Me gustaría facilitar el grupo"
# came out Catalan at 0.92): short texts must clear a higher floor.
SHORT_LETTERS = 120
SHORT_FLOOR = 0.95
MIN_LETTERS = 12  # fewer letters than this say nothing reliable about a language

# The network's languages (ISO 639-1). Norwegian Bokmål is lingua's NB, reported as `no`.
EU_OFFICIAL = (
    "bg",
    "cs",
    "da",
    "de",
    "el",
    "en",
    "es",
    "et",
    "fi",
    "fr",
    "ga",
    "hr",
    "hu",
    "it",
    "lt",
    "lv",
    "mt",
    "nl",
    "pl",
    "pt",
    "ro",
    "sk",
    "sl",
    "sv",
)
NETWORK = (*EU_OFFICIAL, "no", "ca", "is")
_LINGUA_CODE = {"no": "nb"}

# Maltese: letters no other network language writes, and frequent function words
# (articles with their hyphen, prepositions, pronouns, "għandna" = we have, ...).
_MALTESE_LETTERS = re.compile(r"[ħċġĦĊĠ]|għ|Għ")
_MALTESE_WORDS = re.compile(
    r"(?<!\w)(il-|l-|tal-|tad-|tat-|ta'|fil-|mill-|bil-|għall-|għal|għandna|għandi|huwa|hija"
    r"|aħna|jiena|jien|dan|din|dawn|li|ma'|minn|f'|u|ukoll|nixtieq|nixtiequ|grazzi|jekk|biex"
    r"|kif|dwar|tagħna|tiegħi|sabiex|hemm|bħala|xi|kienet|kien|qed|qiegħed|se)(?!\w)",
    re.I,
)
MALTESE_FLOOR = 0.5


def _lingua_language(code: str) -> Language:
    return Language.from_iso_code_639_1(getattr(IsoCode639_1, _LINGUA_CODE.get(code, code).upper()))


@lru_cache(maxsize=1)
def _detector():  # noqa: ANN202 - lingua's type
    languages = [_lingua_language(code) for code in NETWORK if code != "mt"]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def _code(language: Language) -> str:
    code = language.iso_code_639_1.name.lower()
    return "no" if code == "nb" else code


def maltese_score(text: str) -> float:
    """0..1: how Maltese the text looks. Needs both Maltese-only letters and Maltese
    function words, so a Polish 'ż' or an English 'u' alone never makes Maltese."""
    words = re.findall(r"\w+", text)
    if len(words) < 3:
        return 0.0
    letters = len(_MALTESE_LETTERS.findall(text))
    function_words = len(_MALTESE_WORDS.findall(text))
    if letters < 2 or function_words < 2:
        return 0.0
    # saturates at a Maltese-only letter every 10 words and a function word every 6
    letter_part = min(letters / max(len(words) / 10, 2.0), 1.0)
    word_part = min(function_words / (len(words) / 6), 1.0)
    return round(0.5 * letter_part + 0.5 * word_part, 3)


def detect(text: str, *, fallback: str = "en") -> tuple[str, float]:
    """(ISO 639-1 code, confidence 0..1) of what the text is written in.
    Empty or letter-poor text -> (fallback, 0.0)."""
    text = (text or "").strip()[:MAX_CHARS]
    if sum(c.isalpha() for c in text) < MIN_LETTERS:
        return fallback, 0.0
    maltese = maltese_score(text)
    if maltese >= MALTESE_FLOOR:
        return "mt", maltese
    detector = _detector()
    if len(text) > OPENING_CHARS:
        values = detector.compute_language_confidence_values(text[:OPENING_CHARS])
        if values and values[0].value >= CLEAR:  # bilingual mail: the language it opens with
            return _code(values[0].language), float(values[0].value)
    values = detector.compute_language_confidence_values(text)
    if not values:
        return fallback, 0.0
    return _code(values[0].language), float(values[0].value)


def answer_language(code: str, confidence: float, text: str) -> str:
    """The language to write back in: the detected one when we are sure of it, else English.
    (A language without a template falls back to English when the template is chosen.)"""
    short = sum(c.isalpha() for c in text[:MAX_CHARS]) < SHORT_LETTERS
    floor = SHORT_FLOOR if short else CONFIDENCE_FLOOR
    return code if code in NETWORK and confidence >= floor else "en"
