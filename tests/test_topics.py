# ruff: noqa: E501 - the examples read best one per line
"""Topic slugs of proposed new groups (issue 16): the same topic in any language and
grammatical form gets the same slug; a topic outside the lexicon a readable one.

Every example here was written for this file; none comes from dev/ or dev2/.
"""

from __future__ import annotations

import tomllib

import pytest

from intake import topics, training
from tests.conftest import ROOT

RULES = ROOT / "rules"
NETWORK_LANGUAGES = "en de fr es it pt nl sv da no fi pl cs sk sl hr hu ro el bg lt lv et ga mt is ca".split()


def slug(text: str) -> str:
    return topics.topic_slug(text, RULES)[0]


@pytest.mark.parametrize(
    "text",
    [
        "We propose a new interest group on street lighting.",
        "Would there be interest in a group about LED street lights?",
        "Wir schlagen eine Arbeitsgruppe zur Straßenbeleuchtung vor.",
        "Nous proposons un groupe sur l'éclairage public.",
        "Proponemos un grupo sobre el alumbrado público municipal.",
        "Proponiamo un gruppo sull'illuminazione pubblica.",
        "Propomos um grupo sobre iluminação pública.",
        "Wij stellen een werkgroep over openbare verlichting voor.",
        "Vi föreslår en grupp om gatubelysningen.",
        "Ehdotamme ryhmää katuvalaistuksesta.",
        "Proponujemy grupę na temat oświetlenia ulicznego.",
        "Navrhujeme skupinu k veřejnému osvětlení.",
        "Navrhujeme skupinu pre verejné osvetlenie miest.",
        "Predlagamo skupino o javni razsvetljavi.",
        "Predlažemo grupu o javnoj rasvjeti.",
        "Közvilágítással foglalkozó munkacsoportot javaslunk.",
        "Propunem un grup despre iluminatul public.",
        "Προτείνουμε μια ομάδα για τον οδικό φωτισμό.",
        "Предлагаме група за уличното осветление.",
        "Siūlome grupę dėl gatvių apšvietimo.",
        "Ierosinām grupu par ielu apgaismojumu.",
        "Teeme ettepaneku luua töörühm tänavavalgustuse teemal.",
        "Molaimid grúpa ar shoilsiú sráide.",
        "Nipproponu grupp dwar id-dawl fit-toroq.",
        "Við leggjum til hóp um götulýsingu.",
        "Proposem un grup sobre l'enllumenat públic.",
    ],
)
def test_one_topic_in_every_language_and_case_is_one_slug(text):
    # Inflected forms and other word orders count: the stems of a phrase's words are enough.
    assert slug(text) == "street-lighting", topics.topic_slug(text, RULES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Chcielibyśmy zaproponować nową grupę dotyczącą bezemisyjnych placów budowy.",
            "zero-emission-construction-sites",
        ),
        ("Ehdotamme ryhmää päästöttömille työmaille.", "zero-emission-construction-sites"),
        (
            "Új munkacsoportot javaslunk a kibocsátásmentes építési területekről.",
            "zero-emission-construction-sites",
        ),
        ("Θα θέλαμε μια ομάδα για την τεχνητή νοημοσύνη στις δημόσιες προμήθειες.", "ai-procurement"),
        (
            "Eine Gruppe zum Einsatz künstlicher Intelligenz in der öffentlichen Beschaffung?",
            "ai-procurement",
        ),
        ("Rádi bychom navrhli skupinu k uhlíkové stopě veřejných zakázek.", "carbon-footprint"),
        ("Un grupo sobre la huella de carbono de las compras públicas.", "carbon-footprint"),
        ("Vēlamies grupu par sociālās ekonomikas uzņēmumiem un rezervētiem līgumiem.", "social-economy"),
        ("Gruppo sugli appalti riservati alle cooperative sociali.", "social-economy"),
        ("Grupa ds. klauzul społecznych w zamówieniach.", "social-clauses"),
        ("Un groupe sur les bornes de recharge pour véhicules électriques.", "ev-charging"),
        ("A group on heat pumps and district heating networks.", "heating-cooling"),
        ("Skupina pro tepelná čerpadla v obecních budovách.", "heating-cooling"),
        ("Ryhmä kertakäyttömuovien vähentämisestä.", "waste-prevention"),
        ("Eine Gruppe für Barrierefreiheit in der Beschaffung.", "accessibility"),
        ("Ein Netzwerk zu Rechenzentren und Serverräumen.", "data-centres"),
        ("Skupina o ekološki šolski prehrani.", "organic-school-catering"),
        (
            "Wir möchten eine Gruppe zu emissionsfreien Bussen und sauberen Fahrzeugen.",
            "zero-emission-vehicles",
        ),
        ("Grúpa faoi fheithiclí glana.", "zero-emission-vehicles"),
    ],
)
def test_inflected_and_reordered_forms_find_the_lexicon_topic(text, expected):
    assert slug(text) == expected, topics.topic_slug(text, RULES)


def test_the_most_specific_phrase_wins_and_says_which():
    # "organic school meals" (three words) beats "sustainable food" (two) in the same mail.
    found, how = topics.topic_slug("A group on organic school meals, as part of sustainable food.", RULES)
    assert found == "organic-school-catering"
    assert how == "topic lexicon, in the topic named (after the group word): 'organic school meals'"


def test_the_topic_named_comes_before_others_the_mail_mentions():
    # "a group on the circular economy ... our tenders for furniture": the group's topic is the
    # one named after the group word; a topic mentioned elsewhere in the text comes second.
    text = (
        "Vorschlag: neue Interessengruppe zur Kreislaufwirtschaft\n"
        "Wir möchten eine Interessengruppe zur Kreislaufwirtschaft in der Beschaffung vorschlagen."
        " Wir arbeiten an zirkulären Ausschreibungen für Möbel."
    )
    assert slug(text) == "circular"
    assert slug("We propose a group. Our work is on circular furniture for offices.") == "circular-furniture"


def test_a_stem_matches_only_a_word_of_fitting_length():
    # "events" must not match "even", nor "grön" (green) "group".
    assert topics.stem_of("events") == ("event", 5, 10)
    assert topics.stem_of("grön") == ("grön", 4, 7)
    assert slug("A group on green procurement, even more so for events") != "sustainable-events"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Proposal\nWe propose a new group on drinking water fountains in parks. Three cities are keen.",
            "drinking-water-fountains-in-parks",
        ),
        ("Neue Gruppe\nWir schlagen eine Gruppe zu öffentlichen Toiletten vor.", "offentlichen-toiletten"),
        ("Πρόταση\nΠροτείνουμε νέα ομάδα για την αστική γεωργία.", "astiki-georgia"),
        ("Предложение\nПредлагаме нова работна група за градско земеделие.", "gradsko-zemedelie"),
        ("Re: Proposal\nCould we set up a cycling infrastructure working group?", "cycling-infrastructure"),
        ("Idea\nIs anyone interested in the topic of school gardens?", "school-gardens"),
        ("Idea: urban beekeeping\nWe think this deserves its own group.", "urban-beekeeping"),
        ("Vorschlag: Stadtbäume\nEine neue Arbeitsgruppe wäre schön.", "stadtbaume"),
    ],
)
def test_a_topic_outside_the_lexicon_gets_a_readable_slug(text, expected):
    # After the group word, before it, after "topic", else the subject without generic words.
    assert slug(text) == expected, topics.topic_slug(text, RULES)


@pytest.mark.parametrize(
    "text",
    [
        "Proposal for a new interest group\nHello, we would like to start something with other cities.",
        "Vorschlag für eine neue Arbeitsgruppe\nWer macht mit?",
        "Nouvelle proposition de groupe\nQui serait intéressé ?",
    ],
)
def test_nothing_but_generic_words_names_no_topic(text):
    assert topics.topic_slug(text, RULES) == ("", "no topic named")


def test_slugs_are_ascii_in_every_script():
    assert topics.slugify("Économie Sociale, Solidaire!") == "economie-sociale-solidaire"
    assert topics.slugify("økologisk skolemad") == "okologisk-skolemad"
    assert topics.slugify("Αστική γεωργία") == "astiki-georgia"
    assert topics.slugify("Градско земеделие") == "gradsko-zemedelie"


def test_the_lexicon_names_every_topic_in_all_27_languages_with_readable_slugs():
    with (RULES / "topics.toml").open("rb") as handle:
        lexicon = tomllib.load(handle)
    assert len(lexicon) >= 30
    for name, ways in lexicon.items():
        assert set(ways) == set(NETWORK_LANGUAGES), name
        assert topics.slugify(name) == name and len(name) <= 35, name
        for language, phrases in ways.items():
            assert 2 <= len(phrases) <= 10, (name, language)


def test_every_phrase_in_every_proposal_sentence_finds_its_own_topic():
    # The training corpus's proposal sentences with each topic phrase of their language:
    # no phrase is taken for another topic, whatever the sentence around it says. Each
    # phrase is tried in one of its language's six sentences, in turn, so that every
    # sentence and every phrase are tried (all 6 x 4,700 took two minutes).
    with (RULES / "topics.toml").open("rb") as handle:
        lexicon = tomllib.load(handle)
    banks = training.load_banks(RULES)
    wrong = []
    for name, ways in lexicon.items():
        for language, phrases in ways.items():
            sentences = banks[language].get("propose", [])[:4] + banks[language].get("facilitate_new", [])[:2]
            for i, phrase in enumerate(phrases):
                sentence = sentences[(i + len(name)) % len(sentences)]
                got = slug(sentence.replace("{topic}", phrase))
                if got != name:
                    wrong.append((language, phrase, got))
    assert not wrong, wrong[:10]


def test_other_requests_also_name_themes_in_the_training_corpus():
    # A theme said beside a join or a question too: topic words alone do not mean "propose".
    banks = training.load_banks(RULES)
    for language in NETWORK_LANGUAGES:
        sentences = banks[language]["topic_context"]
        assert sentences and all("{topic}" in s for s in sentences), language
    themed = [e for e in training.generate(RULES) if e.intent == "join" and "{topic}" not in e.sentence]
    with (RULES / "topics.toml").open("rb") as handle:
        lexicon = tomllib.load(handle)
    named = [
        e for e in themed if any(p in e.text for ways in lexicon.values() for p in ways.get(e.language, []))
    ]
    assert 0.05 < len(named) / len(themed) < 0.3


def test_an_existing_groups_name_is_never_the_new_topic():
    # "at the LCC group meeting" names the group the writer already knows, not the new one.
    from intake.rulebook import load_rules

    names = topics.group_names(load_rules(RULES))
    text = "Proposal\nAs discussed at the LCC group meeting, we propose a new group. Who is in?"
    assert topics.topic_slug(text, RULES)[0] == "lcc"  # without the names
    assert topics.topic_slug(text, RULES, names) == ("", "no topic named")


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        (
            "Vi vil foreslå en ny interessegruppe om utslippsfrie bygge- og anleggsplasser.",
            "zero-emission-construction-sites",
        ),
        (
            "Wir schlagen eine Gruppe für emissionsfreie Bau- und Abrissstellen vor.",
            "zero-emission-construction-sites",
        ),
    ],
)
def test_a_suspended_compound_is_read_whole(text, slug):
    # "bygge- og anleggsplasser" says "byggeplasser" too: the lexicon finds the topic.
    assert topics.topic_slug(text, ROOT / "rules")[0] == slug


def test_a_suspended_compound_is_found_at_once_even_after_a_long_word():
    # The pattern starts only at a word's start: an 8,000-letter word costs no time.
    import time

    start = time.perf_counter()
    found = topics._completed_compounds("a" * 8000 + "- og anleggsplasser")
    assert time.perf_counter() - start < 0.1
    assert found and all(form.startswith("a" * 8000) for _, form in found)
    assert topics._completed_compounds("Vi bygger skoler og anleggsplasser.") == []
