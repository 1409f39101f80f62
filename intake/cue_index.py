"""Find which cue literals occur in a text, in one pass (Aho-Corasick).

The rules hold about a thousand cues. Testing each cue's literal with `in` scans
the text a thousand times; the automaton scans it once and says, for every
literal present, where it first starts. Only those cues then run their regex,
from that position on (further occurrences are found with str.find when needed:
the first one usually decides, and collecting every one cost more than the rest of
the lookup).
"""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick


class CueIndex:
    """An automaton over lower-case cue literals; texts given to it must be lower-case."""

    def __init__(self, literals: Iterable[str]) -> None:
        self._automaton = ahocorasick.Automaton()
        for literal in set(literals):
            if literal:
                self._automaton.add_word(literal, literal)
        self._empty = len(self._automaton) == 0
        if not self._empty:
            self._automaton.make_automaton()

    def first_starts(self, text: str) -> dict[str, int]:
        """{literal: the index where it first starts in text} for every literal present."""
        found: dict[str, int] = {}
        if self._empty or not text:
            return found
        for end, literal in self._automaton.iter(text):
            if literal not in found:
                found[literal] = end - len(literal) + 1
        return found
