"""Body language detection with lingua (low-accuracy mode: trigram models only,
~30 MB instead of ~300 MB), restricted to the network's languages.

Restricting the candidate set makes short texts far more reliable: we never
need to tell Tagalog from Indonesian, but we do need Danish from Swedish.
"""

from __future__ import annotations

from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

MAX_CHARS = 400  # a few sentences decide the language; the cost grows with the length
OPENING_CHARS = 150  # most mail is clear from its opening: tried first, at a third of the cost
CLEAR = 0.99  # the opening decides when lingua is this sure of it
SUPPORTED = ("en", "de", "fr", "es", "it", "nl", "sv", "pl", "pt", "da", "fi", "ca")


@lru_cache(maxsize=1)
def _detector():  # noqa: ANN202 - lingua's type
    languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
                 for code in SUPPORTED]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def detect(text: str, *, fallback: str = "en") -> tuple[str, float]:
    """Return (ISO 639-1 code, confidence 0..1). Empty or unclear text -> fallback."""
    text = (text or "").strip()
    if len(text) < 3:
        return fallback, 0.0
    detector = _detector()
    if len(text) > OPENING_CHARS:
        values = detector.compute_language_confidence_values(text[:OPENING_CHARS])
        if values and values[0].value >= CLEAR:  # bilingual mail: the language it opens with
            return values[0].language.iso_code_639_1.name.lower(), float(values[0].value)
    values = detector.compute_language_confidence_values(text[:MAX_CHARS])
    if not values:
        return fallback, 0.0
    best = values[0]
    return best.language.iso_code_639_1.name.lower(), float(best.value)
