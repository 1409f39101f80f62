"""Multipart boundaries found without compiling a regular expression per boundary.

The standard library's email parser (which mail-parser uses) compiles a fresh regex
for every multipart boundary it meets:

    re.compile('(?P<sep>' + re.escape('--' + boundary) + ')(?P<end>--)?...$')

Boundaries are random strings, unique to each message, so Python's regex cache never
helps, and the compile (pure Python) costs about 0.15 ms: for multipart mail that is
a sixth of the whole parse. `install()` gives `email.feedparser` a stand-in for the
`re` module whose `compile` answers exactly that pattern with `BoundaryLine`, which
tests the literal separator with `str.startswith` and the fixed rest of the pattern
with one regex compiled once. Every other call goes to `re` unchanged.

It is exact, not approximate: the separator is a literal at the start of the line,
so "starts with it, then the rest of the pattern matches from there" is what the
compiled pattern does. A pattern of any other shape, or a Python whose parser builds
a different one, is compiled as before (`install` checks the parser's own constants
and leaves it alone if they differ). tests/test_mime_boundaries.py compares the
parsed trees with and without it on the corpus and on generated hostile MIME.
"""

from __future__ import annotations

import email.feedparser
import re
from typing import Any

_HEAD = "(?P<sep>"
_TAIL = r")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"
_AFTER_SEPARATOR = re.compile(_TAIL[1:])
_ESCAPED_CHAR = re.compile(r"\\(.)", re.S)


class BoundaryLine:
    """Stands in for the compiled boundary pattern; feedparser only calls `match`."""

    __slots__ = ("separator", "_length")

    def __init__(self, separator: str) -> None:
        self.separator = separator
        self._length = len(separator)

    def match(self, line: str) -> re.Match[str] | None:
        """Like the compiled pattern's match (groups `end`, `ws`, `linesep`)."""
        if line.startswith(self.separator):
            return _AFTER_SEPARATOR.match(line, self._length)
        return None


class _FeedparserRe:
    """The `re` module as email.feedparser sees it once installed."""

    def __getattr__(self, name: str) -> Any:
        return getattr(re, name)

    @staticmethod
    def compile(pattern: Any, flags: int = 0) -> Any:  # noqa: A003 - re's own name
        if not flags and isinstance(pattern, str) and pattern.startswith(_HEAD) \
                and pattern.endswith(_TAIL):
            escaped = pattern[len(_HEAD):-len(_TAIL)]
            separator = _ESCAPED_CHAR.sub(r"\1", escaped)
            if re.escape(separator) == escaped:  # exactly the literal feedparser escaped
                return BoundaryLine(separator)
        return re.compile(pattern, flags)


def _parser_builds_our_pattern() -> bool:
    code = email.feedparser.FeedParser._parsegen.__code__
    return _HEAD in code.co_consts and _TAIL in code.co_consts


def install() -> bool:
    """Use BoundaryLine in the standard library's email parser; True if in use."""
    if installed():
        return True
    if email.feedparser.re is not re or not _parser_builds_our_pattern():
        return False
    email.feedparser.re = _FeedparserRe()  # type: ignore[assignment]
    return True


def uninstall() -> None:
    """Back to the standard library's own behaviour (tests compare the two)."""
    if installed():
        email.feedparser.re = re


def installed() -> bool:
    return isinstance(email.feedparser.re, _FeedparserRe)
