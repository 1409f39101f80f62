"""Body language detection with lingua (low-accuracy mode: trigram models only,
~30 MB instead of ~300 MB), restricted to the network's languages.

Restricting the candidate set makes short texts far more reliable: we never
need to tell Tagalog from Indonesian, but we do need Danish from Swedish.
"""

from __future__ import annotations

from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

MAX_CHARS = 400  # a few sentences decide the language; the cost grows with the length
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
    values = _detector().compute_language_confidence_values(text[:MAX_CHARS])
    if not values:
        return fallback, 0.0
    best = values[0]
    return best.language.iso_code_639_1.name.lower(), float(best.value)
