"""The topic of a proposed new group, as a stable readable slug: new:<slug>.

First the topic lexicon (rules/topics.toml): a topic said in any of its listed ways
gets the same slug in every language ("emissionsfreie Baustellen" and "zero-emission
construction sites" are both zero-emission-construction-sites). A phrase matches when
the stem of each of its content words occurs within a short window of the text, in any
order, ignoring case and accents, so inflected forms count too ("bezemisyjnych placach
budowy" for "bezemisyjne place budowy"). A word's stem drops its last letters, more of
them the longer the word (stem_of); the phrase with the most content words wins.

A topic not in the lexicon is named from the writer's own words: the words after "a
group on/about/for ..." (or after "topic"/"theme", in any of the 27 languages), else the
words right before the group word ("a drinking water group"), else the subject line
without the words every proposal uses (intake/topic_words.py). Folded to ASCII (Greek and
Cyrillic transliterated), joined by "-": the same words always give the same slug.
"""

from __future__ import annotations

import bisect
import re
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from intake.topic_words import CUT, GENERIC, INTRO, STOP

if TYPE_CHECKING:
    from intake.rulebook import Rulebook

MAX_WORDS = 5
SUBJECT_WORDS = 4
SUBJECT_LINE = "the subject line"
EXTRA_SPAN = 4  # tokens a phrase's words may be spread over beyond their own number
INFIX_FROM = 7  # a stem this long is found inside a compound too ("grossbaustellen")
_LETTERS = str.maketrans("øłđðħıς", "olddhiσ") | str.maketrans({"æ": "ae", "œ": "oe", "ß": "ss", "þ": "th"})
_LATIN = dict(
    zip(
        "αβγδεζηθικλμνξοπρστυφχψωабвгдежзийклмнопрстуфхцчшщъьюяыэё",
        "a v g d e z i th i k l m n x o p r s t y f ch ps o a b v g d e zh z i y k l m n o p r s t u f"
        " h ts ch sh sht a y yu ya y e e".split(),
        strict=True,
    )
)
_GROUP_WORD = re.compile(
    r"gro?up|groep|ghrup|ryhm|csoport|skupin|ruhm|network|ομαδ|груп|^hop(?:ur|inn|i|num)?$"
)
_TOPIC_WORD = re.compile(
    r"^(?:topic|theme|thema|tema|temat|tematu|temu|teme|temo|aihe\w*|teema\w*|θεμα|тема|onderwerp"
    r"|amne|emne|argomento|assunto|asunto|sujet|abhar|suggett|efni)$"
)
_IRISH = re.compile(r"^(?:bhf|mb|gc|nd|ng|bp|dt|ts|h(?=[aeiou]))")
_CLAUSE = re.compile(r"[,;!?()\[\]\n\"«»“”]|\.(?!\s*[a-zß-ÿā-žα-ωа-я0-9])")  # "ds. zieleni" goes on


def fold(text: str) -> str:
    """Lower case without accents, ø -> o, ł -> l; Greek and Cyrillic keep their script."""
    lowered = text.lower().translate(_LETTERS)
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words_of(text: str) -> list[str]:
    """The folded words of a text (hyphens and apostrophes split: l'énergie, il-bini)."""
    return re.findall(r"[^\W_]+", fold(text))


def stem_of(word: str) -> tuple[str, int, int]:
    """(stem, shortest and longest word it may start; 0: any length, compounds too).
    Endings differ by language and case: a word of five or six letters drops its last
    letter (budowy -> budow: budowie, budów), a longer one two (vehicles -> vehicl,
    sprzątania -> sprzatan), from twelve letters three; the word the stem matches must keep
    most of its length (events -> event, not even). Four letters or fewer: the whole word
    (grön, ict, co2; food -> foods)."""
    n = len(word)
    if n <= 4:
        return word, n, n + (3 if n == 4 else 1 if n == 3 else 0)
    drop = 1 if n <= 6 else 2 if n <= 11 else 3
    stem = word[: n - drop]
    shortest = n - 1 if n >= 6 else len(stem)
    return stem, shortest, 0 if len(stem) >= INFIX_FROM else n + 4


def _stem_fits(stem: str, shortest: int, longest: int, token: str) -> bool:
    """The token starts with the stem (or holds it, for a long one) and is of a fitting length."""
    if len(token) < shortest or (longest and len(token) > longest):
        return False
    return token.startswith(stem) or (not longest and stem in token)


def _variants(token: str) -> tuple[str, ...]:
    """A word and, for Irish initial mutations, its plain form (bhfuinneamh -> fuinneamh)."""
    plain = _IRISH.sub("", token)
    if len(token) > 3 and token[1] == "h" and token[0] in "bcdfgmpst":
        return (token, plain, token[0] + token[2:])
    return (token, plain) if plain != token else (token,)


# "bygge- og anleggsplasser", "Bau- und Abbruchabfälle", "bouw- en sloopafval": the first
# word of a pair of compounds that share their second half, written with a hyphen
_SUSPENDED = re.compile(
    r"(?<![^\W_])([^\W_]{2,})-\s+(?:og|och|und|oder|en|of|and|or|eller|ja|tai|es|vagy|ir|ar|un|vai|et|ou"
    r"|y|o|e|i|a|ali|ili|in|sau|и|или|και|nebo|alebo|lub|albo|oraz|agus|u|jew|eda|no)\s+([^\W_]{6,})"
)


def _completed_compounds(text: str) -> list[tuple[int, str]]:
    """(position, form) of each suspended compound's possible whole words: "bygge- og
    anleggsplasser" also says "byggeplasser" (with every split of the second word, since where
    its compound joins is not known: the stems of the lexicon pick the one that fits)."""
    folded = fold(text)
    found = []
    for match in _SUSPENDED.finditer(folded):
        position = len(words_of(folded[: match.start(1)]))
        head, whole = match.group(1), match.group(2)
        found += [(position, head + whole[k:]) for k in range(1, len(whole) - 3)]
    return found


@dataclass(frozen=True)
class Phrase:
    text: str
    slug: str
    stems: tuple[tuple[str, int, int], ...]


@lru_cache(maxsize=4)
def _lexicon(rules_dir: str) -> tuple[Phrase, ...]:
    """Every phrase of rules/topics.toml with its content words' stems (function words
    left out, acronyms kept: "KI" of "Beschaffung von KI"), most specific first."""
    path = Path(rules_dir) / "topics.toml"
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    phrases: dict[tuple[tuple[tuple[str, int, int], ...], str], Phrase] = {}
    for slug, names in data.items():
        for listed in names.values():
            for text in listed:
                content = [w for w in words_of(text) if w not in STOP or w.upper() in text]
                stems = tuple(dict.fromkeys(stem_of(w) for w in content))
                if stems:
                    phrases.setdefault((stems, slug), Phrase(text, slug, stems))
    return tuple(
        sorted(phrases.values(), key=lambda p: (-len(p.stems), -sum(len(s[0]) for s in p.stems), p.text))
    )


class _Text:
    """A text's words, indexed for stem look-ups."""

    def __init__(self, text: str) -> None:
        self.positions: dict[str, list[int]] = {}
        for i, token in enumerate(words_of(text)):
            for form in _variants(token):
                self.positions.setdefault(form, []).append(i)
        for i, form in _completed_compounds(text):
            self.positions.setdefault(form, []).append(i)
        self.sorted = sorted(self.positions)
        self.haystack = " ".join(self.sorted)
        self._found: dict[tuple[str, int, int], list[int]] = {}

    def where(self, stem: str, shortest: int, longest: int) -> list[int]:
        """The positions of the words the stem matches."""
        key = (stem, shortest, longest)
        if key not in self._found:
            if longest:  # a prefix: the sorted words that start with it
                start = bisect.bisect_left(self.sorted, stem)
                end = bisect.bisect_left(self.sorted, stem + "\uffff")
                candidates = self.sorted[start:end]
            else:
                candidates = [t for t in self.sorted if stem in t]
            tokens = [t for t in candidates if _stem_fits(stem, shortest, longest, t)]
            self._found[key] = sorted({i for t in tokens for i in self.positions[t]})
        return self._found[key]

    def has(self, phrase: Phrase) -> bool:
        """Every stem of the phrase within one window of len(stems) + EXTRA_SPAN words."""
        if not all(stem in self.haystack for stem, _, _ in phrase.stems):
            return False  # quick: a stem missing from the text altogether
        found = [self.where(*stem) for stem in phrase.stems]
        if not all(found):
            return False
        span = len(phrase.stems) + EXTRA_SPAN
        starts = sorted({i for where in found for i in where})
        return any(all(any(start <= i < start + span for i in where) for where in found) for start in starts)


def lexicon_topic(text: str, rules_dir: str | Path) -> Phrase | None:
    """The most specific lexicon phrase said in the text, if any."""
    indexed = _Text(text)
    return next((p for p in _lexicon(str(rules_dir)) if indexed.has(p)), None)


def slugify(words: str) -> str:
    """'Zero-emission construction sites' -> 'zero-emission-construction-sites'."""
    latin = "".join(_LATIN.get(ch, ch) for ch in fold(words))
    parts = re.findall(r"[a-z0-9]+", latin)[:MAX_WORDS]
    return "-".join(parts)


def _after(words: list[str], generic: frozenset[str], introduced: bool = False) -> list[str]:
    """The topic words after a group word: 'on/about/für/dotyczącą ...' must introduce
    them; then up to the clause's end or a word that starts a new thought ('which', 'and we')."""
    i = 0
    while i < len(words) and i < 6 and (words[i] in STOP or words[i] in generic):
        introduced = introduced or words[i] in INTRO
        i += 1
    if not introduced:
        return []
    taken: list[str] = []
    for word in words[i:]:
        if word in CUT or len(taken) == MAX_WORDS:
            break
        taken.append(word)
    while taken and (taken[-1] in STOP or taken[-1] in generic):
        taken.pop()  # "... zu öffentlichen Toiletten vor(schlagen)"
    return taken


def _before(words: list[str], generic: frozenset[str]) -> list[str]:
    """The content words right before a group word ('a new drinking water working group')."""
    taken: list[str] = []
    for word in reversed(words):
        if word in generic and not taken:
            continue  # "... working group": skipped until the first content word
        if word in STOP or word in generic:
            break
        if len(taken) == SUBJECT_WORDS:
            break
        taken.insert(0, word)
    return taken


def writers_words(text: str, groups: Iterable[str] = ()) -> tuple[list[str], str]:
    """The writer's name for the topic (folded words) and where it was found; the names of
    existing groups (`groups`) are no new topic ("at the LCC group meeting")."""
    generic = GENERIC | frozenset(words_of(" ".join(groups)))
    clauses = [words_of(c) for c in _CLAUSE.split(text)]
    for anchor, where in ((_GROUP_WORD, "after the group word"), (_TOPIC_WORD, "after the topic word")):
        for words in clauses:
            for i, word in enumerate(words):
                if anchor.search(word) and (taken := _after(words[i + 1 :], generic, anchor is _TOPIC_WORD)):
                    return taken, where
    for words in clauses:
        for i, word in enumerate(words):
            if _GROUP_WORD.search(word) and (taken := _before(words[:i], generic)):
                return taken, "before the group word"
    subject = [w for w in words_of(text.split("\n", 1)[0]) if w not in STOP and w not in generic]
    return subject[:SUBJECT_WORDS], SUBJECT_LINE


def group_names(rules: Rulebook) -> list[str]:
    """The ids, short names and aliases of the existing groups."""
    return [name for g in rules.groups for name in (g.id, g.short_name, *g.aliases)]


def topic_slug(text: str, rules_dir: str | Path, groups: Iterable[str] = ()) -> tuple[str, str]:
    """(slug, how it was found) for a proposal's text; ("", ...) when nothing names a topic.
    `groups`: names of the existing groups, never taken for the writer's new topic."""
    words, where = writers_words(text, groups)
    # the topic the writer names ("a group on the circular economy") before any other the
    # text mentions ("... our tenders for furniture")
    # the subject line's first words are a guess at the topic, cut short: they do not come
    # before the most specific phrase of the whole text ("... mensa scolastica bio?")
    named = lexicon_topic(" ".join(words), rules_dir) if words and where != SUBJECT_LINE else None
    if named:
        return named.slug, f"topic lexicon, in the topic named ({where}): '{named.text}'"
    if anywhere := lexicon_topic(text, rules_dir):
        return anywhere.slug, f"topic lexicon: '{anywhere.text}'"
    slug = slugify(" ".join(words))
    if len(slug) >= 3:
        return slug, f"the writer's words ({where}): '{' '.join(words)}'"
    return "", "no topic named"
