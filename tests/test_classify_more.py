# ruff: noqa: E501 - the examples read best one per line
"""Classification on hand-written mail in many languages (not from the dev corpus)."""

from __future__ import annotations

import pytest

from intake.rulebook import load_rules
from intake.stages.classify import classify
from intake.stages.parse import parse_bytes
from tests.conftest import ROOT

R = load_rules(ROOT / "rules")


def mail(subject: str, body: str, irt: str | None = None) -> bytes:
    h = f"In-Reply-To: <{irt}>\r\n" if irt else ""
    return (
        f"From: X <x@city.example>\r\nTo: procurement@iclei.org\r\nSubject: {subject}\r\n{h}"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


cases = [
    (
        "Teilnahme Arbeitsgruppe",
        "Guten Tag, die Stadt Bonn möchte gern bei der Gruppe zu Arbeitsbedingungen in der Elektronik-Lieferkette mitmachen. Ansprechpartnerin bin ich.",
        "srpp-ict",
        "join",
    ),
    (
        "Membership of the costing group",
        "Hello, our procurement team would like to be added to the group working on total cost of ownership. Best, Tom",
        "lcc",
        "join",
    ),
    (
        "Adesione",
        "Buongiorno, il Comune vorrebbe partecipare al gruppo sui costi del ciclo di vita. Cordiali saluti",
        "lcc",
        "join",
    ),
    (
        "Pregunta sobre el grupo TIC",
        "Hola, ¿cuántas reuniones tiene el grupo de compra socialmente responsable de TIC al año? Gracias",
        "srpp-ict",
        "question",
    ),
    (
        "Nieuwe groep over circulaire inkoop?",
        "Beste, wij willen graag een nieuwe interessegroep voorstellen over circulair inkopen van meubilair. Er zijn al drie gemeenten geïnteresseerd.",
        "new:circular",  # the topic the subject names ("groep over circulaire inkoop") comes first
        "propose",
    ),
    (
        "Vi vill gå med",
        "Hej! Göteborgs Stad vill gärna delta i gruppen om livscykelkostnader. Vänliga hälsningar, Eva",
        "lcc",
        "join",
    ),
    (
        "Zgłoszenie",
        "Dzień dobry, chcielibyśmy dołączyć do grupy dotyczącej społecznie odpowiedzialnych zakupów ICT. Pozdrawiam",
        "srpp-ict",
        "join",
    ),
    (
        "Pedido",
        "Bom dia, gostaríamos de participar no grupo sobre custos do ciclo de vida. Cumprimentos",
        "lcc",
        "join",
    ),
    (
        "Tilmelding",
        "Hej, Aarhus Kommune vil gerne deltage i gruppen om totalomkostninger. Venlig hilsen",
        "lcc",
        "join",
    ),
    (
        "Liittyminen",
        "Hei, haluaisimme liittyä elinkaarikustannuksia käsittelevään ryhmään. Terveisin",
        "lcc",
        "join",
    ),
    (
        "Could I help run the LCC group?",
        "Hi, I'd be happy to co-facilitate the life cycle costing group next year. Regards, Ann",
        "lcc",
        "facilitate",
    ),
    (
        "Leaving",
        "Hello, I am retiring at the end of the month, please take me off the ICT group distribution list.",
        "srpp-ict",
        "unsubscribe",
    ),
    ("RE: LCC meeting", "Thanks, attached are the slides from our presentation.", "lcc", "followup"),
    (
        "Webinar invitation",
        "Join our free webinar on green procurement! Early bird discount ends Friday. Register now.",
        "none",
        "other",
    ),
    (
        "Fees?",
        "Dear secretariat, what does it cost to take part in an interest group, and can regions join or only cities?",
        "none",
        "question",
    ),
    (
        "ICT and LCC",
        "We would like to join both the ICT group and the life cycle costing group.",
        "both",
        "join",
    ),
]


@pytest.mark.parametrize("subject, body, group, intent", cases, ids=[c[0] for c in cases])
def test_held_out_examples(subject, body, group, intent):
    # Group and intent of requests phrased unlike any corpus mail, in many languages.
    d = classify(parse_bytes(mail(subject, body, "a@b" if subject.startswith("RE") else None)), R)
    assert (d.group, d.intent) == (group, intent), d.explanation


@pytest.mark.parametrize(
    "screening, evidence, intent",
    [
        ("spam", ["unsolicited offer"], "other"),  # wants something unrelated: never answered
        ("list_or_bulk", ["Precedence: bulk"], "other"),  # a company's mailing
        ("list_or_bulk", ["list-post: <mailto:list@example.org>"], "auto"),  # a discussion list
        # a list's digest: list software sets "Precedence: list", bulk mailers "bulk"
        ("list_or_bulk", ["list-id header", "list-unsubscribe header", "Precedence: list"], "auto"),
        ("auto_reply", ["Auto-Submitted: auto-replied"], "auto"),
        ("bounce", ["Content-Type: multipart/report"], "auto"),
    ],
)
def test_machine_mail_intent(screening, evidence, intent):
    from intake.stages.classify import machine_intent

    assert machine_intent(screening, evidence) == intent


@pytest.mark.parametrize(
    "subject, body, intent, group",
    [
        (
            "Proposal: a new group on circular textiles",
            "Dear colleagues,\n\nThe City of Ghent proposes a new interest group on circular textiles (workwear, uniforms, hospital linen). We would be glad to facilitate it: we can host the web meetings twice a year and report to the network.\n\nKind regards,\nEls Peeters",
            "facilitate",
            "new:",
        ),
        (
            "New interest group",
            "Hello,\n\nHow is a new interest group set up in the network? Is there a form, and how many authorities have to be interested before it starts?\n\nThanks,\nMarta",
            "question",
            "none",
        ),
    ],
)
def test_an_offer_to_run_a_new_group_and_a_question_about_starting_one(subject, body, intent, group):
    # An offer to facilitate that also "proposes a new group" is an offer (the model decides
    # between the two); asking how a group is started is a question, whatever the subject says.
    d = classify(parse_bytes(mail(subject, body)), R)
    assert d.intent == intent, d.explanation["intent"]
    assert d.group.startswith(group) if group.endswith(":") else d.group == group


@pytest.mark.parametrize(
    "subject, body",
    [
        (
            "Dotaz novináře – nákup IT a pracovní podmínky",
            "Dobrý den,\n\njsem novinářka Hospodářských novin a připravuji článek o tom, jak města při nákupu počítačů hlídají pracovní podmínky v dodavatelském řetězci. Mohla bych udělat krátký rozhovor s někým, kdo vaši skupinu vede?\n\nDěkuji, Jana Malá",
        ),
    ],
)
def test_a_press_enquiry_about_a_groups_topic_is_other_about_no_group(subject, body):
    # A journalist asking for an interview names a group's topic and asks a question: neither
    # makes it a question about the groups or an offer to coordinate one.
    d = classify(parse_bytes(mail(subject, body)), R)
    assert (d.intent, d.group) == ("other", "none"), d.explanation["intent"]


def test_an_unsubscribe_that_names_no_group_is_about_no_group():
    # "Take me off your list" names no group: the model's incidental n-grams do not pick one.
    d = classify(
        parse_bytes(
            mail(
                "Se désinscrire",
                "Bonjour,\n\nMerci de me retirer de votre liste de diffusion.\n\nCordialement,\nPaul Martin",
            )
        ),
        R,
    )
    assert (d.intent, d.group) == ("unsubscribe", "none"), d.explanation["group"]


@pytest.mark.parametrize(
    "subject, body, intent",
    [
        # French "reporter" is "to postpone", not a press reporter
        (
            "Webinaire LCC",
            "Bonjour,\n\nJe ne pourrai pas assister au webinaire. Pouvez-vous le reporter ?\n\nMarie",
            "question",
        ),
        # asking how to leave a group is leaving it, even asked as a question
        (
            "LCC group",
            "Hello, how can I unsubscribe from the LCC group? Who do I speak to?\n\nThanks, Rob",
            "unsubscribe",
        ),
    ],
)
def test_words_that_look_like_another_intent(subject, body, intent):
    # A cue word of one intent used in another sense, and a request to leave asked as a question.
    d = classify(parse_bytes(mail(subject, body)), R)
    assert d.intent == intent, d.explanation["intent"]
