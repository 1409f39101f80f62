"""Classification: group, intent, language from rules that are data."""

from __future__ import annotations

import shutil

import pytest

from intake.config import ConfigError
from intake.rulebook import load_rules
from intake.stages.classify import classify
from intake.stages.parse import parse_bytes
from tests.conftest import ROOT

RULES = load_rules(ROOT / "rules")


def mail(subject: str, body: str, **headers: str) -> bytes:
    extra = "".join(f"{k.replace('_', '-')}: {v}\r\n" for k, v in headers.items())
    return (
        f"From: A <a@city.example>\r\nTo: procurement@iclei.org\r\nSubject: {subject}\r\n"
        f"{extra}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def decide(raw: bytes, **kw):
    return classify(parse_bytes(raw), RULES, **kw)


@pytest.mark.parametrize(
    "subject, body, group, intent, language",
    [
        (
            "Joining the ICT group",
            "Our city would like to join the Interest Group on socially responsible ICT procurement.",
            "srpp-ict",
            "join",
            "en",
        ),
        (
            "Teilnahme LCC",
            "Wir möchten an der Interessengruppe Lebenszykluskosten teilnehmen.",
            "lcc",
            "join",
            "de",
        ),
        (
            "Question",
            "What are the fees for the life cycle costing group? Do we need to be a member?",
            "lcc",
            "question",
            "en",
        ),
        (
            "Proposta",
            "Vorremmo proporre un nuovo gruppo di interesse sulla ristorazione scolastica.",
            "new:school-catering",
            "propose",
            "it",
        ),
        (
            "Se désinscrire",
            "Merci de me désinscrire du groupe TIC, je ne travaille plus sur ce sujet.",
            "srpp-ict",
            "unsubscribe",
            "fr",
        ),
        (
            "Oferta",
            "Me gustaría facilitar el grupo sobre el coste del ciclo de vida. Llevamos tres años"
            " aplicando este método en nuestras licitaciones de vehículos y de alumbrado público.",
            "lcc",
            "facilitate",
            "es",
        ),
    ],
)
def test_examples(subject, body, group, intent, language):
    # Typical requests in several languages are classified with a reason for each field.
    d = decide(mail(subject, body))
    assert (d.group, d.intent, d.language) == (group, intent, language)
    assert d.explanation["group"]["cues"] or group.startswith("new:")
    assert 0 <= d.confidence <= 1


def test_negation_prefers_the_other_group():
    # "LCC rather than ICT" is about LCC.
    d = decide(
        mail(
            "Interest groups - LCC rather than ICT", "We would like to join the LCC group, not the ICT group."
        )
    )
    assert d.group == "lcc"


def test_inbox_prior_breaks_ties():
    # Mail to the LCC facilitator with no topic words goes to LCC.
    d = decide(mail("Interest group", "We would like to join the group."), inbox_groups=["lcc"])
    assert d.group == "lcc"
    assert any("inbox" in c for c in d.explanation["group"]["cues"]["lcc"])


def test_signature_language_does_not_win():
    # An English body with a long Finnish disclaimer is English.
    body = (
        "Dear colleagues, we would like to join the ICT interest group and take part in "
        "the next meeting.\n\nBest regards\nMikko\n\n--\nTämä sähköpostiviesti voi sisältää "
        "luottamuksellista tietoa. Jos olet saanut viestin erehdyksessä, ilmoita siitä "
        "lähettäjälle ja poista viesti välittömästi."
    )
    assert decide(mail("ICT group", body)).language == "en"


def test_reply_is_a_followup():
    # A reply with In-Reply-To and no new request is a follow-up.
    d = decide(
        mail(
            "RE: Welcome to the LCC group", "Thank you, here are the details you asked.", In_Reply_To="<x@y>"
        )
    )
    assert d.intent == "followup"


def test_adding_a_third_group_needs_no_code(tmp_path):
    # A new [[group]] in rules/ is classified and routable without touching code.
    rules_dir = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules_dir)
    with (rules_dir / "groups.toml").open("a", encoding="utf-8") as handle:
        handle.write("""
[[group]]
id = "circular"
name = "Circular Procurement"
status = "open"
inboxes = ["circular@iclei.org"]
facilitators = ["circular.facilitator@iclei.org"]
[group.cues]
en = ["!circular procurement", "!circular economy", "reuse", "refurbished"]
de = ["!zirkuläre beschaffung", "!kreislaufwirtschaft"]
""")
    rules = load_rules(rules_dir)
    assert rules.group("circular").facilitators == ("circular.facilitator@iclei.org",)
    d = classify(
        parse_bytes(
            mail("Circular procurement group", "We would like to join the circular procurement group.")
        ),
        rules,
    )
    assert (d.group, d.intent) == ("circular", "join")
    d = classify(
        parse_bytes(mail("Beitritt", "Wir möchten der Gruppe beitreten.")), rules, inbox_groups=["circular"]
    )
    assert d.group == "circular"


@pytest.mark.parametrize(
    "text, key",
    [
        ('[[group]]\nid = "Bad Id"\nname = "x"\nstatus = "open"\nfacilitators = ["a@b.cd"]\n', "group[0].id"),
        ('[[group]]\nid = "x"\nname = "x"\nstatus = "maybe"\nfacilitators = ["a@b.cd"]\n', "group[0].status"),
        (
            '[[group]]\nid = "x"\nname = "x"\nstatus = "open"\nfacilitators = ["nobody"]\n',
            "group[0].facilitators",
        ),
        ('[[group]]\nid = "x"\nname = "x"\nstatus = "open"\n', "group[0].facilitators"),
    ],
)
def test_rule_errors_name_file_and_key(tmp_path, text, key):
    # A broken rules file is reported with its path and key.
    rules_dir = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules_dir)
    (rules_dir / "groups.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_rules(rules_dir)
    assert err.value.key == key and "groups.toml" in err.value.path


def test_a_cue_is_found_after_its_literal_first_occurs_inside_a_word():
    # "ict" first occurs inside "district", "verdict" and "strict": the cue (a whole word)
    # must still be found where it stands later, as the regex over the whole text finds it
    from intake.cue_index import CueIndex

    index = CueIndex(["ict", "group"])
    text = "our district's verdict is strict: we join the ict group"
    assert index.first_starts(text) == {"ict": text.index("ict"), "group": text.index("group")}
    decision = decide(
        mail("Membership", "Our district has a strict verdict on it: we would like to join the ICT group.")
    )
    assert (decision.group, decision.intent) == ("srpp-ict", "join")
    assert any("body" in cue for cue in decision.explanation["group"]["cues"]["srpp-ict"])
