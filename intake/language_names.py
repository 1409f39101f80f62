"""English names of the network's languages, for the desk's columns and filters.

The desk is in English; a code alone ("sl", "sk") is easy to misread, so the name is
shown with it. Codes are ISO 639-1, as intake.language reports them."""

from __future__ import annotations

NAMES: dict[str, str] = {
    "bg": "Bulgarian",
    "ca": "Catalan",
    "cs": "Czech",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "et": "Estonian",
    "fi": "Finnish",
    "fr": "French",
    "ga": "Irish",
    "hr": "Croatian",
    "hu": "Hungarian",
    "is": "Icelandic",
    "it": "Italian",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "mt": "Maltese",
    "nl": "Dutch",
    "no": "Norwegian",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "sk": "Slovak",
    "sl": "Slovenian",
    "sv": "Swedish",
}


def language_name(code: str | None) -> str:
    """'German' for 'de'; an unknown code as it is; '' for none."""
    if not code:
        return ""
    return NAMES.get(code.lower(), code)


def choices() -> list[tuple[str, str]]:
    """(code, name) of every language, by name: the desk's language filter."""
    return sorted(NAMES.items(), key=lambda item: item[1])
