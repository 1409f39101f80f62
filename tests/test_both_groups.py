"""Saying "both groups" in the network's languages, inflected as people write it
(intake/both_groups.py), and what the classifier makes of it."""

from __future__ import annotations

import pytest

from intake.both_groups import says_both_groups
from tests.test_classify_languages import decide


@pytest.mark.parametrize(
    "text",
    [
        "We would like to join both groups.",
        "We are interested in both of your interest groups",
        "Wir möchten beiden Interessengruppen beitreten.",
        "Nous souhaitons rejoindre les deux groupes.",
        "Queremos participar en ambos grupos de interés.",
        "Vorremmo partecipare a entrambi i gruppi.",
        "Gostaríamos de aderir aos dois grupos.",
        "Wij willen graag aan beide groepen deelnemen.",
        "Vi vill delta i båda grupperna.",
        "Vi vil gerne være med i begge grupper.",
        "Vi ønsker å delta i de to gruppene.",
        "Haluaisimme liittyä molempiin ryhmiin.",
        "Chcielibyśmy dołączyć do obu grup.",
        "Rádi bychom se zapojili do obou skupin.",
        "Radi by sme sa zapojili do oboch skupín.",
        "Želimo se pridružiti obema skupinama.",
        "Željeli bismo se pridružiti objema grupama.",
        "Jelentkezünk mindkét érdekcsoportba.",
        "Dorim să ne alăturăm ambelor grupuri.",
        "Θα θέλαμε να συμμετάσχουμε και στις δύο ομάδες.",
        "Бихме искали да се присъединим и към двете групи.",
        "Norėtume prisijungti prie abiejų grupių.",
        "Mēs vēlamies pievienoties abām grupām.",
        "Soovime liituda mõlema rühmaga.",
        "Ba mhaith linn páirt a ghlacadh sa dá ghrúpa.",
        "Nixtiequ ningħaqdu maż-żewġ gruppi.",
        "Okkur langar að taka þátt í báðum hópunum.",
        "Ens agradaria participar en tots dos grups, ambdós.",
    ],
)
def test_both_groups_in_every_language(text):
    assert says_both_groups(text)


@pytest.mark.parametrize(
    "text",
    [
        "We would like to join the group.",
        "We want to group our purchases of laptops.",  # "to" is Danish "two" only before its own word
        "I want to join the LCC group, not both.",
        "Both our city and the region are interested in the life cycle costing group.",  # too far apart
        "Wir möchten der Gruppe beitreten, beide Kollegen kommen.",
    ],
)
def test_not_both_groups(text):
    assert not says_both_groups(text)


@pytest.mark.parametrize(
    "subject, body",
    [
        ("Liepāja", "Labdien! Liepājas pilsēta vēlas pievienoties abām grupām. Ar cieņu, Anna"),
        ("Jelentkezés", "Tisztelt Titkárság! Városunk szeretne csatlakozni mindkét érdekcsoporthoz."),
        ("Akureyri", "Góðan dag, Akureyrarbær vill gjarnan taka þátt í báðum hópunum. Kveðja, Jón"),
    ],
)
def test_a_join_to_both_groups_in_inflected_words_is_both(subject, body):
    # Mail to the general inbox with the LCC facilitator in Cc: the words say both.
    d = decide(subject, body, inbox_groups=["lcc"], cc="philipp.tepper@iclei.org")
    assert (d.group, d.intent) == ("both", "join"), d.explanation
