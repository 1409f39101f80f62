"""Find which cue literals occur in a text, in one pass (Aho-Corasick).

The rules hold about a thousand cues. Testing each cue's literal with `in` scans
the text a thousand times; the automaton scans it once and says, for every
literal present, where it first starts. Only those cues then run their regex,
from that position on.
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

    def positions(self, text: str) -> dict[str, list[int]]:
        """{literal: every index where it starts in text, ascending} for every literal
        present (overlapping occurrences included)."""
        found: dict[str, list[int]] = {}
        if self._empty or not text:
            return found
        for end, literal in self._automaton.iter(text):
            start = end - len(literal) + 1
            if (starts := found.get(literal)) is None:
                found[literal] = [start]
            else:
                starts.append(start)
        return found
