"""Generate realistic intake mail for benchmarks: 2-20 KB, several charsets, attachments.

Each message carries the Return-Path an MTA writes when it delivers mail into a mailbox
(the sender's address; empty for the auto-replies), since the benchmark puts them in
with IMAP APPEND, which bypasses delivery."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

PARAGRAPHS = {
    "en": (
        "We would like to join the Interest Group on socially responsible procurement of ICT. "
        "Our city is preparing a tender for laptops and wants to include clauses on working "
        "conditions in the supply chain. ",
        "utf-8",
    ),
    "de": (
        "Wir möchten an der Interessengruppe Lebenszykluskosten teilnehmen. Für unsere "
        "Straßenbeleuchtung berechnen wir derzeit die Kosten über die gesamte Lebensdauer. ",
        "iso-8859-1",
    ),
    "fr": (
        "Notre ville souhaiterait rejoindre le groupe d'intérêt sur les achats socialement "
        "responsables de TIC et partager son expérience des clauses sociales. ",
        "windows-1252",
    ),
    "it": (
        "Vorremmo aderire al gruppo di interesse sui costi del ciclo di vita e condividere "
        "la nostra esperienza con l'illuminazione pubblica. ",
        "utf-8",
    ),
    "pl": (
        "Chcielibyśmy przystąpić do grupy interesu LCC i dowiedzieć się więcej o rachunku "
        "kosztów cyklu życia. ",
        "iso-8859-2",
    ),
    "sv": (
        "Vi vill gärna delta i intressegruppen om socialt ansvarsfull IKT-upphandling och "
        "arbetsvillkor i leverantörskedjan. ",
        "windows-1252",
    ),
}
SENDERS = [
    "stad.gent",
    "heidelberg.de",
    "mairie-lyon.fr",
    "comune.torino.it",
    "um.krakow.pl",
    "stockholm.se",
    "example-company.com",
    "uni-example.edu",
]


def generate(count: int, seed: int = 1) -> list[bytes]:
    rng = random.Random(seed)
    langs = list(PARAGRAPHS)
    now = datetime.now(UTC)
    out = []
    for i in range(count):
        lang = rng.choice(langs)
        text, charset = PARAGRAPHS[lang]
        domain = rng.choice(SENDERS)
        auto = rng.random() < 0.05
        msg = EmailMessage()
        msg["Return-Path"] = "<>" if auto else f"<person{i}@{domain}>"
        msg["From"] = f"Person {i} <person{i}@{domain}>"
        msg["To"] = "procurement@iclei.org"
        msg["Subject"] = f"Interest group request {i}"
        msg["Date"] = format_datetime(now - timedelta(minutes=count - i))
        msg["Message-ID"] = make_msgid(idstring=f"bench{seed}.{i}", domain=domain)
        target = rng.randint(2_000, 20_000)
        body = (text * (target // len(text) + 1))[:target]
        msg.set_content(body, charset=charset if charset != "iso-8859-1" else "iso-8859-1")
        if rng.random() < 0.5:
            msg.add_alternative(
                f"<html><body><p>{body[:4000]}</p></body></html>", subtype="html", charset="utf-8"
            )
        if rng.random() < 0.15:
            msg.add_attachment(
                rng.randbytes(rng.randint(1_000, 8_000)),
                maintype="application",
                subtype="pdf",
                filename=f"letter-{i}.pdf",
            )
        if auto:
            msg["Auto-Submitted"] = "auto-replied"
        out.append(msg.as_bytes())
    return out
