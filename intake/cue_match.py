"""Where the cue lists of rules/*.toml occur in a mail, and the sentences that ask.

The classifier (intake/stages/classify.py) weighs what these find; this module only finds:
each cue's first match per field (subject counts more), whether a negation stands just
before it ("not the LCC group"), and which sentences are questions rather than requests
put politely ("Could we join?").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from intake.rulebook import Cue, Cues

# A negation just before a cue, in the network's languages ("not the LCC group, the ICT
# one"; "pas celui sur le coût du cycle de vie, mais ..."): the word, then at most 16
# characters of the same clause (a pronoun, a preposition and an article fit). The short
# words count only in the languages where they negate (Portuguese "no grupo" is "in the
# group", Dutch "nu" is "now"), and must stand closer: 10 characters ("no al de ...",
# "ne k té o ..."). Words that follow what they negate (Hungarian "helyett", Finnish
# "sijaan") are not used. "Not only the LCC group but also ..." negates nothing.
_NOT_ONLY = (
    r"(?!\s+(?:only|just|nur|seulement|uniquement|solo|sólo|soltanto|samo|tylko|só|somente|apenas"
    r"|bara|blot|enbart|endast|kun|vain|pelkästään|ainoastaan|csak|doar|numai|només|само|μόνο|tik"
    r"|tikai|ainult|amháin|biss|aðeins|alleen|enkel|len|jen|zgolj|le)\b)"
)
NEGATION = re.compile(
    r"(?<!\w)(?:not|rather than|instead of|than|nicht|kein\w*|statt|anstatt|pas|plutôt que"
    r"|au lieu de|non|invece|piuttosto che|niet|geen|in plaats van|inte|snarare än|i stället för"
    r"|nie|zamiast|não|em vez de|en vez de|en lugar de|ikke|i stedet for|en lloc de|nikoli"
    r"|namiesto|namísto|místo|nem|în loc de|вместо|όχι|δεν|αντί|umjesto|namesto|vietoj|nevis"
    r"|mitte|seachas|mhux|minflok|ekki|í stað)(?!\w)" + _NOT_ONLY + r"[^.,;\n]{0,16}$",
    re.I,
)
_SHORT_NEGATION = {
    language: re.compile(r"(?<!\w)(?:" + words + r")(?!\w)" + _NOT_ONLY + r"[^.,;\n]{0,10}$", re.I)
    for language, words in {
        "en": "no",
        "es": "no|ni",
        "it": "no",
        "ca": "no|ni",
        "ro": "nu",
        "ga": "ní",
        "bg": "не",
        "cs": "ne",
        "sk": "ne",
        "sl": "ne",
        "hr": "ne",
        "lt": "ne",
        "lv": "ne",
        "fi": "ei",
        "et": "ei",
    }.items()
}
SUBJECT_WEIGHT = 1.5


@dataclass
class Hit:
    cue: str
    field: str
    weight: float
    start: int = -1


# A request phrased as a question is still a request: "Could we join?"
SELF_REQUEST = re.compile(
    r"^\W*(could|can|may|might) (i|we|you)\b|^\W*would (it be possible|you)\b|^\W*please\b"
    r"|^\W*(könnten|können|dürfen) (wir|sie)\b|^\W*(pourrions|pouvons)-nous\b|^\W*pourriez-vous\b"
    r"|^\W*(podríamos|podemos|podrían)\b|^\W*(potremmo|possiamo|potreste)\b"
    r"|^\W*(kunnen|mogen) (wij|we)\b|^\W*(kan|får) (vi|jag|ni)\b|^\W*czy (możemy|moglibyśmy|mogę)\b"
    r"|^\W*(podemos|poderíamos)\b|^\W*(kan|må) (vi|jeg)\b|^\W*(voisimmeko|voinko|voisinko)\b",
    re.I,
)


def match_cues(
    cues: Cues,
    texts: dict[str, str],
    present: dict[str, dict[str, int]],
    *,
    negate: bool = True,
    language: str | None = None,
) -> list[Hit]:
    """Hits of these cues; `present` says where each cue literal first occurs per field
    (CueIndex), so a cue whose literal is absent is never looked at, and a cue that
    starts with its literal is tried only where the literal is (a regex scan of the
    whole text from a lookbehind is what cost the time). With `negate`, a negated cue
    counts against, and so does a shorter cue inside it ("cycle de vie" within "pas celui
    sur le coût du cycle de vie"); `language` adds its short negation words."""
    hits = []
    negated_spans: list[tuple[str, int, int]] = []
    seen: set[tuple[str, str]] = set()
    by_literal = cues.by_literal
    candidates = sorted(
        {
            i
            for found in present.values()
            for literal in found.keys() & by_literal.keys()
            for i in by_literal[literal]
        }
    )
    for cue in (cues[i] for i in candidates):
        for field, text in texts.items():
            first = present[field].get(cue.literal)
            if first is None or (cue.text, field) in seen:  # absent, or listed twice
                continue
            found = first_match(cue, text, first)
            if not found:
                continue
            weight = cue.weight * (SUBJECT_WEIGHT if field == "subject" else 1.0)
            if negate and negated(text, found.start(), language) and not affirmed(cue, text, language):
                weight = -weight
                negated_spans.append((field, found.start(), found.end()))
            hits.append(Hit(cue.text, field, weight, found.start()))
            seen.add((cue.text, field))
    for hit in hits:
        if hit.weight > 0 and any(f == hit.field and a <= hit.start < b for f, a, b in negated_spans):
            hit.weight = -hit.weight
    return hits


def first_match(cue: Cue, text: str, first: int) -> re.Match[str] | None:
    """The cue's first match; `first` is where its literal first occurs in text."""
    if not cue.leads:  # a wildcard comes before the literal: the match starts earlier
        return cue.pattern.search(text)
    start = first
    while start >= 0:  # every occurrence of the literal in turn, overlapping ones too
        if found := cue.pattern.match(text, start):
            return found
        start = text.find(cue.literal, start + 1)
    return None


def has_question_mark(text: str, *, greek: bool = False) -> bool:
    """Whether the text asks anything at all: a '?', in Greek also ';' or U+037E (the same
    mark, as interrogative_spans reads it)."""
    return any(mark in text for mark in ("?;\u037e" if greek else "?"))


def interrogative_spans(body: str, *, greek: bool = False) -> list[tuple[int, int]]:
    """Sentences that ask something (end in a question mark: '?', in Greek ';' or U+037E,
    which is the same mark), minus polite requests. Linear time; positions are the body's."""
    mark = "?"
    if greek:
        body, mark = body.replace("\u037e", ";"), ";"  # one character for one: positions hold
    spans = []
    position = body.find(mark)
    while position != -1:
        start = max(body.rfind(c, 0, position) for c in f".!?\n{mark}") + 1
        if not SELF_REQUEST.search(body[start : position + 1].strip()):
            spans.append((start, position + 1))
        position = body.find(mark, position + 1)
    return spans


def inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def negated(text: str, start: int, language: str | None = None) -> bool:
    """A negation stands just before `start` (the short words of `language` too)."""
    before = text[max(0, start - 30) : start]
    short = _SHORT_NEGATION.get(language or "")
    return bool(NEGATION.search(before) or (short and short.search(before)))


def affirmed(cue: Cue, text: str, language: str | None = None) -> bool:
    """The cue also appears somewhere not negated."""
    return any(not negated(text, m.start(), language) for m in cue.pattern.finditer(text))
