"""Boundaries without a regex compile per boundary: the parsed tree is the stdlib's own."""

from __future__ import annotations

import email
import email.feedparser
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake import mime_boundaries
from tests.conftest import REALWORLD, corpus_files, kept_as_it_was, stock_and_installed
from tests.mailgen import generate
from tests.test_hostile_mime import hostile_mail


@pytest.fixture
def restore():
    with kept_as_it_was(mime_boundaries):
        yield


def tree(raw: bytes) -> object:
    """Everything the parser decided about a message: parts, payloads, defects."""
    try:
        msg = email.message_from_bytes(raw)
    except Exception as exc:  # noqa: BLE001
        return repr(exc)
    return [(part.items(), part.get_content_type(), part.preamble, part.epilogue,
             [type(d).__name__ for d in part.defects],
             None if part.is_multipart() else part.get_payload())
            for part in msg.walk()]


def both_ways(raw: bytes) -> tuple[object, object]:
    """(the tree by the stock parser, the tree with mime_boundaries); leaves it as it was."""
    return stock_and_installed(mime_boundaries, tree, raw)


def test_the_parse_stage_installs_it():
    import intake.stages.parse  # noqa: F401

    assert mime_boundaries.installed()
    assert isinstance(email.feedparser.re.compile(
        "(?P<sep>" + re.escape("--x") + r")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"),
        mime_boundaries.BoundaryLine)
    # any other pattern is compiled by re as before
    assert isinstance(email.feedparser.re.compile(r"a+b"), re.Pattern)
    assert isinstance(email.feedparser.NLCRE_eol, mime_boundaries.EndOfLine)
    assert email.feedparser.BufferedSubFile is mime_boundaries.LineReader


def test_every_corpus_and_realworld_mail_parses_to_the_same_tree():
    raws = [p.read_bytes() for p in corpus_files()]
    raws += [p.read_bytes() for p in sorted(REALWORLD.rglob("*")) if p.is_file()]
    raws += generate(40, 5)
    multipart = 0
    for raw in raws:
        stock, fast = both_ways(raw)
        assert fast == stock
        multipart += isinstance(stock, list) and len(stock) > 1
    assert multipart > 20  # the comparison did cover multipart mail


BOUNDARY_CHARS = st.sampled_from(list("ab09'()+_,-./:=? *\\[]^$|{}"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(boundary=st.text(BOUNDARY_CHARS, min_size=1, max_size=30),
       lines=st.lists(st.sampled_from(["--{b}", "--{b}--", "--{b}  ", "--{b}x", "--{b}--x",
                                       " --{b}", "text", "--{b}\t", "--{b}--\t ", ""]),
                      max_size=8),
       end=st.sampled_from(["\r\n", "\n", "\r"]))
def test_boundaries_with_regex_characters_split_the_same_way(boundary, lines, end):
    body = end.join(line.format(b=boundary) for line in lines)
    raw = (f'Content-Type: multipart/mixed; boundary="{boundary}"{end}{end}'
           f"pre{end}--{boundary}{end}{end}one{end}{body}{end}--{boundary}--{end}epi").encode()
    stock, fast = both_ways(raw)
    assert fast == stock


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=hostile_mail())
def test_hostile_mime_parses_to_the_same_tree(raw):
    stock, fast = both_ways(raw)
    assert fast == stock


def test_a_separator_that_is_only_a_prefix_of_the_line_is_not_a_boundary():
    line = mime_boundaries.BoundaryLine("--abc")
    assert line.match("--abc\r\n").group("linesep") == "\r\n"
    assert line.match("--abc--\n").group("end") == "--"
    assert line.match("--abc  \t") is not None
    assert line.match("--abcd\n") is None
    assert line.match(" --abc\n") is None


def test_it_stays_out_when_the_parser_is_not_the_one_it_knows(monkeypatch, restore):
    mime_boundaries.uninstall()
    monkeypatch.setattr(mime_boundaries, "_TAIL", "(?P<other>)$")
    assert mime_boundaries.install() is False
    assert email.feedparser.re is re
    assert email.feedparser.NLCRE_eol.pattern == r"(\r\n|\r|\n)\Z"
    assert not isinstance(email.feedparser.NLCRE_eol, mime_boundaries.EndOfLine)
    assert email.feedparser.BufferedSubFile is not mime_boundaries.LineReader


@settings(max_examples=300, deadline=None)
@given(text=st.text(st.sampled_from(["a", "\r", "\n", " "]), max_size=12))
def test_the_line_end_is_found_as_the_pattern_finds_it(text):
    stock = re.compile(r"(\r\n|\r|\n)\Z").search(text)
    fast = mime_boundaries.EndOfLine.search(text)
    assert (fast and (fast.span(), fast.group(0))) == (stock and (stock.span(), stock.group(0)))


def chunked_tree(raw: bytes, size: int) -> object:
    """The tree of a message fed to the parser `size` characters at a time (mail-parser
    feeds it whole; a feed that stops mid-line exercises the NeedMoreData path)."""
    parser = email.feedparser.FeedParser()
    text = raw.decode("ascii", "surrogateescape")
    for start in range(0, len(text), size):
        parser.feed(text[start:start + size])
    msg = parser.close()
    return [(part.items(), part.get_content_type(), part.preamble, part.epilogue,
             [type(d).__name__ for d in part.defects],
             None if part.is_multipart() else part.get_payload()) for part in msg.walk()]


DSN = (b"From: MAILER-DAEMON@mx.example\r\nTo: a@b.example\r\nSubject: Undelivered\r\n"
       b'Content-Type: multipart/report; report-type=delivery-status; boundary="--b1"\r\n\r\n'
       b"----b1\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n--not-it\r\n"
       b"----b1\r\nContent-Type: message/delivery-status\r\n\r\n"
       b"Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; x@y.example\r\n"
       b"Action: failed\r\n----b1\r\nContent-Type: message/rfc822\r\n\r\n"
       b'From: a@b.example\r\nContent-Type: multipart/alternative; boundary="----b1x"\r\n\r\n'
       b"------b1x\r\nContent-Type: text/plain\r\n\r\nhi\r\n------b1x--\r\n----b1--\r\n")


@pytest.mark.parametrize("size", [1, 3, 7, 64, 10_000])
def test_mail_fed_in_pieces_and_delivery_reports_parse_to_the_same_tree(size, restore):
    # A delivery-status part puts a blank-line matcher (not a boundary) on the stack,
    # and a boundary that is a prefix of an inner one ("--b1" / "--b1x") must not end
    # the inner part early: both ways, fed whole or a few characters at a time.
    for raw in [DSN, *generate(6, 11)]:
        mime_boundaries.uninstall()
        stock = chunked_tree(raw, size)
        assert mime_boundaries.install()
        assert chunked_tree(raw, size) == stock
        assert email.message_from_bytes(raw).get_content_type()
