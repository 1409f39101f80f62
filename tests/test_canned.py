"""Canned answers (templates/canned/<lang>.toml) and the pieces of a desk reply that need no server."""

from __future__ import annotations

import jinja2
import pytest
from jinja2 import meta

from intake import canned, compose, conversation, desk_reply
from intake import queries_conversation as q
from intake.screen_marks import LOOP_HEADER_NAME
from tests.conftest import ROOT
from tests.language_checks import NETWORK_LANGUAGES, assert_maltese, detected_language, english_phrases_in

TEMPLATES_DIR = ROOT / "templates"
REQUIRED = ("fees", "eligibility", "how_groups_work", "next_meeting")
ENGLISH = canned.load(TEMPLATES_DIR, "en")
VALUES = {"sender_name": "Ana Tester", "staff_name": "Anna Staff", "group_name": "Life Cycle Costing (LCC)"}
# phrases of the English answers that must not survive in another language
ENGLISH_PHRASES = (
    "thank you",
    "kind regards",
    "interest group",
    "participation fee",
    "web meeting",
    "reply to",
)


def _variables(source: str) -> set[str]:
    return meta.find_undeclared_variables(jinja2.Environment().parse(source))


def test_every_network_language_has_canned_answers():
    # The 27 languages intake answers in each have a canned-answer file, and nothing more.
    assert sorted(canned.languages(TEMPLATES_DIR)) == sorted(NETWORK_LANGUAGES)
    assert canned.languages(TEMPLATES_DIR)[0] == "en"


def test_english_has_the_four_required_answers():
    # Fees, eligibility, how groups work and the next meeting are there, in that order.
    assert list(ENGLISH.answers)[: len(REQUIRED)] == list(REQUIRED)


@pytest.mark.parametrize("language", NETWORK_LANGUAGES)
def test_same_answers_same_variables_same_fill_ins(language):
    # Each language has every English answer (same order), each using the same variables
    # and the same number of [[fill-ins]] as the English one; none is empty.
    answers = canned.load(TEMPLATES_DIR, language)
    assert list(answers.answers) == list(ENGLISH.answers)
    assert answers.language_name.strip()
    for name, answer in answers.answers.items():
        english = ENGLISH.answers[name]
        assert answer.title.strip() and answer.text.strip(), name
        assert _variables(answer.text) == _variables(english.text), name
        assert len(canned.fill_ins(answer.text)) == len(canned.fill_ins(english.text)), name
        assert _variables(answer.text) <= set(canned.VARIABLES), name
    assert "staff_name" in _variables(answers.signature)
    assert _variables(answers.greeting) <= {"sender_name"}


@pytest.mark.parametrize("language", NETWORK_LANGUAGES)
@pytest.mark.parametrize("name", REQUIRED)
def test_each_answer_renders_with_greeting_and_signature(language, name):
    # The draft renders under StrictUndefined with and without a sender name: greeting,
    # the answer, and the signature naming the staff member; no braces left over.
    answers = canned.load(TEMPLATES_DIR, language)
    for sender in ("Ana Tester", ""):
        text = canned.draft(answers, name, {**VALUES, "sender_name": sender})
        paragraphs = text.strip().split("\n\n")
        assert len(paragraphs) >= 3
        assert "Anna Staff" in paragraphs[-1]
        assert "{{" not in text and "{%" not in text
        assert len(text) > 300


@pytest.mark.parametrize("language", [code for code in NETWORK_LANGUAGES if code != "en"])
def test_no_answer_is_english_text(language):
    # No stock English phrase survives in another language's answers.
    answers = canned.load(TEMPLATES_DIR, language)
    for name in answers.answers:
        found = english_phrases_in(canned.draft(answers, name, VALUES), ENGLISH_PHRASES)
        assert not found, (name, found)


@pytest.mark.parametrize("language", [code for code in NETWORK_LANGUAGES if code != "mt"])
def test_a_language_detector_reads_each_answer_as_its_language(language):
    # lingua recognises each answer's own words as the file's language.
    answers = canned.load(TEMPLATES_DIR, language)
    for name, answer in answers.answers.items():
        text = canned.render(answer.text, VALUES)
        for value in (
            VALUES["group_name"],
            "Procura+",
            "procuraplus.org",
            "Participants",
            "Strategic Partners",
        ):
            text = text.replace(value, " ")
        assert detected_language(text) == language, name


def test_unknown_language_gets_english_and_norwegian_codes_get_bokmal():
    # A sender's language without canned answers is answered in English; no/nn read nb.
    assert canned.language_of(TEMPLATES_DIR, "zz") == "en"
    assert canned.language_of(TEMPLATES_DIR, None) == "en"
    assert canned.language_of(TEMPLATES_DIR, "NO") == "nb"
    assert canned.language_of(TEMPLATES_DIR, "nn") == "nb"


def test_a_broken_file_is_one_clear_error(tmp_path):
    # A missing text or greeting names the file and the key.
    (tmp_path / "canned").mkdir()
    (tmp_path / "canned" / "xx.toml").write_text(
        'language_name = "X"\ngreeting = "Hi"\nsignature = "{{ staff_name }}"\n[fees]\ntitle = "Fees"\n',
        encoding="utf-8",
    )
    with pytest.raises(canned.CannedError, match=r"xx\.toml: \[fees\] needs a title and a text"):
        canned.load(tmp_path, "xx")
    (tmp_path / "canned" / "yy.toml").write_text('language_name = "Y"\nsignature = "x"\n', encoding="utf-8")
    with pytest.raises(canned.CannedError, match="greeting is missing"):
        canned.load(tmp_path, "yy")


def test_a_typo_in_a_variable_fails_loudly():
    # StrictUndefined: a misspelt variable is an error, never an empty string in a mail.
    with pytest.raises(canned.CannedError):
        canned.render("Dear {{ sender_nam }},", VALUES)


def _draft(body: str, subject: str = "Re: Join [IG-1-abcdef12]", key: str = "k" * 32) -> desk_reply.Draft:
    return desk_reply.Draft(
        request_id=1, language="en", canned="", subject=subject, body=body, key=key, after=0
    )


def test_fill_ins_empty_text_and_a_missing_key_stop_a_reply():
    # A reply with a [[fill-in]] left, an empty text or no idempotency key is not sendable.
    assert desk_reply.problems_of(_draft("Hello,\n\nmeeting on 3 May.\n")) == []
    assert "fill in or remove: [[date and time]]" in desk_reply.problems_of(_draft("on [[date and time]]"))[0]
    assert "the reply is empty" in desk_reply.problems_of(_draft("  \n"))
    assert desk_reply.problems_of(_draft("text", key="short"))


def test_reply_subject_is_re_with_the_token_once():
    # "Re:" before the requester's subject without their own prefixes, with our token once.
    def target(subject: str | None) -> q.ReplyTarget:
        return q.ReplyTarget(1, "IG-1-abcdef12", None, "en", "a@b.example", None, "m@b", [], subject)

    assert desk_reply.reply_subject(target("Join LCC")) == "Re: Join LCC [IG-1-abcdef12]"
    assert desk_reply.reply_subject(target("AW: Re: Join LCC")) == "Re: Join LCC [IG-1-abcdef12]"
    assert (
        desk_reply.reply_subject(target("Re: [IG-1-abcdef12] We have received"))
        == "Re: [IG-1-abcdef12] We have received"
    )
    assert desk_reply.reply_subject(target(None)) == "Re: Procura+ Interest Groups [IG-1-abcdef12]"


def test_a_human_reply_says_auto_submitted_no_and_keeps_the_loop_marks():
    # compose.build for a person's reply: Auto-Submitted no, no Precedence, but the loop
    # marker and the request for no automatic answers stay; threading headers are set.
    _, raw = compose.build(
        from_address="procurement@iclei.org",
        from_name="Procura+ Interest Groups",
        to="ana@stad.gent",
        subject="Re: Join [IG-1-abcdef12]",
        body="Dear Ana,\n\nWelcome.\n",
        in_reply_to="their-2@stad.gent",
        references=["their-1@stad.gent"],
        auto_submitted="no",
        language="en",
        token="IG-1-abcdef12",
    )
    seen = conversation.decode_outgoing(raw)
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    assert "Auto-Submitted: no" in head and "Precedence" not in head
    assert "X-Auto-Response-Suppress: All" in head and f"{LOOP_HEADER_NAME}: IG-1-abcdef12" in head
    assert "In-Reply-To: <their-2@stad.gent>" in head
    assert "References: <their-1@stad.gent> <their-2@stad.gent>" in head
    assert seen.body == "Dear Ana,\n\nWelcome.\n" and seen.to == "ana@stad.gent"


def test_a_forward_is_decoded_without_parsing_the_attached_original():
    # The text of a forward and its attachment's name come from our own parts; the
    # attached original (here a mail with 5,000 parts) is not parsed, and a cut message
    # still gives its text.
    inner = b"From: x@y.example\r\nSubject: hostile\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n"
    inner += b"".join(b"--z\r\nContent-Type: text/plain\r\n\r\npart\r\n" for _ in range(5000)) + b"--z--\r\n"
    _, raw = compose.build(
        from_address="procurement@iclei.org",
        from_name="Procura+",
        to="facilitator@lcc.example",
        subject="[IG-1] Join request – Stadt Köln",
        body="Grüße aus Köln: bitte aufnehmen.\n",
        in_reply_to=None,
        references=[],
        auto_submitted="auto-generated",
        language="en",
        token="IG-1",
        original=inner,
    )
    seen = conversation.decode_outgoing(raw)
    assert seen.subject == "[IG-1] Join request – Stadt Köln"
    assert seen.body == "Grüße aus Köln: bitte aufnehmen.\n"
    assert seen.attachments == ["original-message.eml"]
    cut = conversation.decode_outgoing(raw[:2000], complete=False)
    assert cut.body == seen.body and not cut.complete


def test_maltese_answers_are_maltese():
    # lingua has no Maltese: each answer carries Maltese letters and words and is not read
    # as English.
    for answer in canned.load(TEMPLATES_DIR, "mt").answers.values():
        assert_maltese(canned.render(answer.text, VALUES))
