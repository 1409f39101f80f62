"""Text and patterns folded for matching: letters without their accents.

Mail from old systems and hurried writers often drops diacritics ("Automaticka odpoved",
"Arpus biroja atrasanas automatiska atbilde"); a screening pattern written with them
should still match, and one written without them should match text that has them.
Both sides are folded the same way. Folding keeps one character for one, so a match's
span in the folded text is its span in the (NFC) original: evidence quotes the words as
they were written.
"""

from __future__ import annotations

import functools
import unicodedata


def fold(text: str) -> str:
    """NFC text with each letter's accents removed (ł, ø, ß and the like stay as they are)."""
    return "".join(map(_fold_char, unicodedata.normalize("NFC", text)))


def folded_pair(text: str) -> tuple[str, str]:
    """(the NFC text, its fold): the same length, so spans carry over."""
    text = unicodedata.normalize("NFC", text)
    return text, "".join(map(_fold_char, text))


@functools.cache
def _fold_char(char: str) -> str:
    if char.isascii():
        return char
    parts = unicodedata.normalize("NFD", char)
    if len(parts) > 1 and all(unicodedata.combining(c) for c in parts[1:]):
        return parts[0]
    return char
