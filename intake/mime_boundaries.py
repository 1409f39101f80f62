r"""Multipart boundaries found without a regex compile per boundary, a regex scan of
every part, or two Python calls per line.

The standard library's email parser (which mail-parser uses) does three costly things,
all pure overhead for our mail:

1. it compiles a fresh regex for every multipart boundary it meets:

    re.compile('(?P<sep>' + re.escape('--' + boundary) + ')(?P<end>--)?...$')

Boundaries are random strings, unique to each message, so Python's regex cache never
helps, and the compile (pure Python) costs about 0.15 ms: for multipart mail that is
a sixth of the whole parse. `install()` gives `email.feedparser` a stand-in for the
`re` module whose `compile` answers exactly that pattern with `BoundaryLine`, which
tests the literal separator with `str.startswith` and the fixed rest of the pattern
with one regex compiled once. Every other call goes to `re` unchanged.

2. to drop the line end that belongs to the boundary, it searches each part's whole
payload with `(\r\n|\r|\n)\Z`: the regex engine walks the entire part (15 KB is
typical) to find the last two characters. `EndOfLine` looks at the end directly and
returns the same match, made by that same pattern at the end position.

3. it reads every line of the message through two Python calls (`__next__`, then
`readline`), and offers each line to every boundary on its stack of open multiparts.
`LineReader` does it in one call, and a line that does not start with "--" (where
every separator starts) is not offered to the boundaries at all while only boundaries
are on the stack: a fifth of the standard library's parse time.

They are exact, not approximate: the separator is a literal at the start of the line,
so "starts with it, then the rest of the pattern matches from there" is what the
compiled pattern does; and the leftmost match of a pattern anchored at the end by \Z
starts at the last line end. A pattern of any other shape is compiled as before, and a
Python whose parser differs is left alone (`install` checks the parser's own
constants first). tests/test_mime_boundaries.py compares the
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
_EOL_SOURCE = r"(\r\n|\r|\n)\Z"
_EOL = re.compile(_EOL_SOURCE)


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


class EndOfLine:
    """Stands in for feedparser's NLCRE_eol; feedparser only calls `search`."""

    pattern = _EOL_SOURCE

    @staticmethod
    def search(text: str) -> re.Match[str] | None:
        """The line end that ends `text`, as `_EOL.search(text)` finds it."""
        if text.endswith("\r\n"):
            return _EOL.match(text, len(text) - 2)
        if text.endswith(("\r", "\n")):
            return _EOL.match(text, len(text) - 1)
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


NeedMoreData = email.feedparser.NeedMoreData
_StockLines = email.feedparser.BufferedSubFile


class LineReader(_StockLines):
    """feedparser's line buffer, with readline and iteration in one call, and a line
    offered to the open multiparts' boundaries only when it can be one. Every
    other method is the standard library's."""

    def __init__(self) -> None:
        super().__init__()
        self._plain: list[bool] = []  # per matcher on the stack: is it a BoundaryLine's?
        self._only_boundaries = True

    def push_eof_matcher(self, pred: Any) -> None:
        self._eofstack.append(pred)
        self._plain.append(getattr(pred, "__func__", None) is BoundaryLine.match)
        self._only_boundaries = all(self._plain)

    def pop_eof_matcher(self) -> Any:
        self._plain.pop()
        self._only_boundaries = all(self._plain)
        return self._eofstack.pop()

    def _next_line(self) -> Any:
        """The next line; '' at a boundary (the line stays) or at the end; NeedMoreData."""
        lines = self._lines
        if not lines:
            return "" if self._closed else NeedMoreData
        line = lines.popleft()
        # every separator starts with "--": a line without it is no boundary's
        if self._eofstack and (not self._only_boundaries or line.startswith("--")):
            for ateof in reversed(self._eofstack):
                if ateof(line):
                    lines.appendleft(line)
                    return ""
        return line

    readline = _next_line

    def __next__(self) -> Any:
        line = self._next_line()
        if line == "":
            raise StopIteration
        return line


_STOCK_EOL = email.feedparser.NLCRE_eol


def _parser_is_the_one_we_know() -> bool:
    code = email.feedparser.FeedParser._parsegen.__code__
    return (_HEAD in code.co_consts and _TAIL in code.co_consts
            and email.feedparser.re is re
            and getattr(_STOCK_EOL, "pattern", None) == _EOL_SOURCE
            and email.feedparser.NLCRE_eol is _STOCK_EOL
            and email.feedparser.BufferedSubFile is _StockLines
            and "BufferedSubFile" in email.feedparser.FeedParser.__init__.__code__.co_names
            and _StockLines.push_eof_matcher.__code__.co_names == ("_eofstack", "append")
            and _StockLines.pop_eof_matcher.__code__.co_names == ("_eofstack", "pop")
            and {"_lines", "_closed", "_eofstack", "popleft", "appendleft"}
            <= set(_StockLines.readline.__code__.co_names)
            and "readline" in _StockLines.__next__.__code__.co_names)


def install() -> bool:
    """Use BoundaryLine and EndOfLine in the standard library's email parser; True if
    in use (False: this Python's parser differs from the one they were checked on)."""
    if installed():
        return True
    if not _parser_is_the_one_we_know():
        return False
    email.feedparser.re = _FeedparserRe()  # type: ignore[assignment]
    email.feedparser.NLCRE_eol = EndOfLine()  # type: ignore[assignment]
    email.feedparser.BufferedSubFile = LineReader  # type: ignore[misc]
    return True


def uninstall() -> None:
    """Back to the standard library's own behaviour (tests compare the two)."""
    if installed():
        email.feedparser.re = re
        email.feedparser.NLCRE_eol = _STOCK_EOL
        email.feedparser.BufferedSubFile = _StockLines  # type: ignore[misc]


def installed() -> bool:
    return isinstance(email.feedparser.re, _FeedparserRe)
