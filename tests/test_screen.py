"""Screen stage: never answer a machine, never silence a person."""

from __future__ import annotations

import csv

import pytest

from intake.rulebook import load_rules
from intake.stages.parse import parse_bytes
from intake.stages.screen import screen
from tests.conftest import DEV, ROOT

RULES = load_rules(ROOT / "rules")
LABELS = list(csv.DictReader((DEV / "labels.csv").open(encoding="utf-8")))
OWN = {"procurement@iclei.org"}


def verdict(raw: bytes) -> tuple[str, list[str]]:
    return screen(parse_bytes(raw), RULES.screening, OWN)


@pytest.mark.parametrize("row", LABELS, ids=lambda r: r["file"])
def test_dev_corpus_auto_screened_out_and_humans_kept(row):
    # Every `auto` mail is screened out; no person's mail is (bulk 'other' may be either).
    got, evidence = verdict((DEV / row["file"]).read_bytes())
    if row["intent"] == "auto":
        assert got != "human", row["notes"]
    elif row["needs_reply"] == "true":
        assert got == "human", (evidence, row["notes"])


def mail(headers: str, body: str = "Hello, we would like to join the ICT group.") -> bytes:
    return (
        f"From: Someone <someone@city.example>\r\nTo: procurement@iclei.org\r\n"
        f"Subject: Hello\r\n{headers}\r\n{body}\r\n"
    ).encode()


@pytest.mark.parametrize(
    "headers, expected",
    [
        ("Auto-Submitted: auto-replied\r\n", "auto_reply"),
        ("Auto-Submitted: no\r\n", "human"),
        ("Precedence: bulk\r\n", "list_or_bulk"),
        ("Precedence: junk\r\n", "list_or_bulk"),
        ("List-Id: <news.example.org>\r\n", "list_or_bulk"),
        ("List-Unsubscribe: <mailto:u@example.org>\r\n", "list_or_bulk"),
        ("X-Autoreply: yes\r\n", "auto_reply"),
        ("X-Autorespond: yes\r\n", "auto_reply"),
        ("Return-Path: <>\r\n", "auto_reply"),
        ("X-Failed-Recipients: a@b.c\r\n", "bounce"),
        ("X-Spam-Flag: YES\r\n", "spam"),
        ("X-Intake-Loop: IG-4\r\n", "own_loop"),
        ("Message-ID: <abc.intake@iclei.org>\r\n", "own_loop"),
    ],
)
def test_header_rules(headers, expected):
    # Each RFC 3834 / list / loop header gives its verdict, with evidence.
    got, evidence = verdict(mail(headers))
    assert got == expected
    assert expected == "human" or evidence


@pytest.mark.parametrize(
    "subject, body",
    [
        ("Abwesenheitsnotiz: Ihre Anfrage", "Ich bin bis 3. Mai nicht im Büro."),
        ("Réponse automatique : réunion", "Je suis absente jusqu'au 4 mai."),
        ("Re: gruppo", "Sono fuori ufficio fino al 3 gennaio con accesso limitato alla posta."),
        ("Re: grupo", "Estaré fuera de la oficina hasta el lunes."),
        ("Re: groep", "Ik ben tot en met vrijdag afwezig."),
        ("Re: gruppen", "Jag är på semester till och med 5 augusti."),
        ("Re: grupa", "Jestem nieobecna do 10 maja."),
        ("Re: grupo", "Estou ausente até dia 3 de junho."),
        ("Re: gruppen", "Jeg er på ferie til og med den 5. august."),
        ("Re: ryhmä", "Olen lomalla 1.-26.7. ja poissa toimistolta."),
        ("Re: group", "I am out of the office until Monday with limited access to email."),
    ],
)
def test_out_of_office_wording_without_headers(subject, body):
    # Out-of-office text in eleven languages is caught without any header.
    raw = (
        f"From: X <x@city.example>\r\nSubject: {subject}\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()
    assert verdict(raw)[0] == "auto_reply"


def test_own_address_is_a_loop():
    # Mail from our own From address coming back is own_loop.
    raw = b"From: procurement@iclei.org\r\nSubject: x\r\n\r\nhello\r\n"
    assert verdict(raw)[0] == "own_loop"


def test_person_mentioning_holidays_in_a_long_mail_is_human():
    # A long real request that mentions being away is not an out-of-office.
    body = ("We would like to join the LCC group. " * 60) + "I am on holiday next week."
    assert verdict(mail("", body))[0] == "human"


@pytest.mark.parametrize(
    "body",
    [
        "I am on holiday next week, but we would like to join the LCC group. Could you add us?",
        "Sorry for the slow answer, I was on leave. We would like to join the ICT group.",
        "Ich bin im Urlaub gewesen. Wir möchten der Gruppe Lebenszykluskosten beitreten.",
    ],
)
def test_a_person_mentioning_absence_in_a_short_request_is_human(body):
    # Wording alone marks an out-of-office only with a return date or a contact, and no question.
    raw = (
        f"From: X <x@city.example>\r\nSubject: Interest group\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()
    assert verdict(raw)[0] == "human"


def test_bounce_known_only_by_its_wording_is_still_a_bounce():
    # A non-delivery report from a sender that looks like a person, with no report part and
    # no Return-Path header at all (a saved file delivered by APPEND): its wording decides.
    raw = (
        b"From: IT Service <it-service@city.example>\r\nTo: procurement@iclei.org\r\n"
        b"Subject: Re: your mail\r\n\r\nThis message was created automatically by mail"
        b" delivery software.\r\n\r\nA message that you sent could not be delivered to one"
        b" or more of its recipients.\r\n"
    )
    assert verdict(raw)[0] == "bounce"
    # the same wording in a person's mail delivered with a normal envelope sender is read
    # only when another sign points at a machine: here none does
    person = raw.replace(b"From: IT", b"Return-Path: <it-service@city.example>\r\nFrom: IT")
    assert verdict(person)[0] == "human"
