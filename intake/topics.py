"""The topic of a proposed new group, as a stable readable slug: new:<slug>.

First the topic lexicon (rules/topics.toml): a topic said in any of its listed ways
gets the same slug in every language ("emissionsfreie Baustellen" and "zero-emission
construction sites" are both zero-emission-construction-sites). A topic not in the
lexicon is named from the writer's own words: the phrase after "a group on/about/for
..." (and its equivalents), lower-cased, accents folded, words joined by "-". The same
words always give the same slug.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from functools import lru_cache
from pathlib import Path

MAX_WORDS = 5
# "... group on X", "... Gruppe zu X", "... groupe sur X": the words after these name the topic
_AFTER = re.compile(
    r"\b(?:group|groups|network|gruppe|groupe|grupo|gruppo|groep|grupp|gruppen|grup|grupa|skupina|skupino"
    r"|ryhmä\w*|ομάδα)\b[^.!?\n]{0,25}?\b(?:on|about|for|dedicated to|around|focusing on|zu|zum|zur"
    r"|über|für|sur|consacré à|dédié à|sobre|dedicado a|su|sul|sulla|sui|dedicato a|over|rond|om|kring"
    r"|dotyczącą|o|για)\s+(?:the\s+|a\s+|an\s+)?([^.,;:!?()\n]{3,80})",
    re.I,
)
_STOP_AT = re.compile(
    r"\s(?:and (?:we|i|would|could)|in order|which|that|because|if|as|so|we|i|our|with the aim|to share"
    r"|und wir|et nous|y nos|e noi|en wij|och vi|og vi|oraz|a\s)\b.*$",
    re.I,
)


@lru_cache(maxsize=4)
def _lexicon(rules_dir: str) -> tuple[tuple[str, str], ...]:
    """(phrase lower-cased, slug), longest phrases first so the most specific wins."""
    path = Path(rules_dir) / "topics.toml"
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    pairs = {
        (phrase.lower(), slug)
        for slug, names in data.items()
        for phrases in names.values()
        for phrase in phrases
    }
    return tuple(sorted(pairs, key=lambda p: (-len(p[0]), p)))


def slugify(words: str) -> str:
    """'Zero-emission construction sites' -> 'zero-emission-construction-sites'."""
    folded = unicodedata.normalize("NFKD", words).encode("ascii", "ignore").decode().lower()
    parts = re.findall(r"[a-z0-9]+", folded)[:MAX_WORDS]
    return "-".join(parts)


def topic_slug(text: str, rules_dir: str | Path) -> tuple[str, str]:
    """(slug, how it was found) for a proposal's text; ("", ...) when nothing names a topic."""
    lowered = text.lower()
    for phrase, slug in _lexicon(str(rules_dir)):
        if phrase in lowered:
            return slug, f"topic lexicon: '{phrase}'"
    if found := _AFTER.search(text):
        words = _STOP_AT.sub("", found.group(1)).strip()
        slug = slugify(words)
        if len(slug) >= 3:
            return slug, f"the writer's words: '{words}'"
    return "", "no topic named"
