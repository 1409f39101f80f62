"""MIME parameters parsed once per header value: every answer is the stdlib's own."""

from __future__ import annotations

import email
from email.header import Header
from email.message import Message

import pytest
from hypothesis import HealthCheck, given, settings

from intake import mime_params
from intake.stages.parse import parse_bytes
from tests.conftest import REALWORLD, corpus_files, kept_as_it_was, stock_and_installed
from tests.mailgen import generate
from tests.test_hostile_mime import hostile_mail


@pytest.fixture
def restore():
    with kept_as_it_was(mime_params):
        yield


def answers(raw: bytes) -> object:
    """What the parse stage and mail-parser ask of every part, and the stage's result."""
    try:
        msg = email.message_from_bytes(raw)
    except Exception as exc:  # noqa: BLE001
        return repr(exc)
    parts = [(p.get_params(), p.get_params(header="content-disposition"), p.get_filename(),
              p.get_content_charset(), p.get_boundary(), p.get_param("name"),
              p.get_param("charset", unquote=False)) for p in msg.walk()]
    try:
        parsed: object = parse_bytes(raw)
    except Exception as exc:  # noqa: BLE001
        parsed = repr(exc)
    return parts, parsed


def both_ways(raw: bytes) -> tuple[object, object]:
    return stock_and_installed(mime_params, answers, raw)


def test_the_parse_stage_installs_it():
    assert mime_params.installed()


def test_every_corpus_realworld_and_generated_mail_gets_the_same_answers():
    raws = [p.read_bytes() for p in corpus_files()]
    raws += [p.read_bytes() for p in sorted(REALWORLD.rglob("*")) if p.is_file()]
    raws += generate(40, 7)
    for raw in raws:
        stock, cached = both_ways(raw)
        assert cached == stock
        assert both_ways(raw)[1] == stock  # asked again: now every value is known


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=hostile_mail())
def test_hostile_mime_gets_the_same_answers(raw):
    stock, cached = both_ways(raw)
    assert cached == stock


def test_a_caller_changing_its_answer_changes_nobody_elses():
    msg = Message()
    msg["Content-Type"] = 'text/plain; charset="utf-8"; format=flowed'
    first = msg.get_params()
    first.append(("x", "y"))
    first[0] = ("changed", "")
    assert msg.get_params() == [("text/plain", ""), ("charset", "utf-8"), ("format", "flowed")]


def test_a_header_of_undecodable_bytes_is_parsed_the_stock_way(restore):
    msg = email.message_from_bytes(
        b"Content-Type: text/plain; name=\"r\xe9sum\xe9.txt\"; charset=latin-1\r\n\r\nx\r\n")
    assert isinstance(msg.get("content-type"), Header)
    cached = (msg.get_params(), msg.get_param("name"), msg.get_content_charset())
    mime_params.uninstall()
    assert (msg.get_params(), msg.get_param("name"), msg.get_content_charset()) == cached


def test_changing_a_header_changes_the_answer():
    msg = Message()
    msg["Content-Type"] = "multipart/mixed; boundary=one"
    assert msg.get_boundary() == "one"
    msg.set_boundary("two")
    assert msg.get_boundary() == "two"
    del msg["Content-Type"]
    assert msg.get_params() is None


def test_it_stays_out_when_the_stdlib_method_is_not_the_one_it_knows(monkeypatch, restore):
    mime_params.uninstall()
    monkeypatch.setattr(mime_params, "_stock_is_the_one_we_know", lambda: False)
    assert mime_params.install() is False
    assert not mime_params.installed()
