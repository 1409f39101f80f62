"""The privacy line: every acknowledgement, in its own language, with the notice link."""

from __future__ import annotations

import pytest

from intake.templating import Templates
from tests.conftest import ROOT
from tests.test_templates import VARIABLES

TEMPLATES = Templates(ROOT / "templates")
MAIL = ROOT / "templates" / "mail"
ACK_LANGUAGES = sorted(p.name for p in MAIL.iterdir() if p.is_dir() and any(p.glob("ack_*.txt.j2")))
ACKS = sorted({p.name.removesuffix(".txt.j2") for p in MAIL.glob("*/ack_*.txt.j2")})
URL = VARIABLES["privacy_notice_url"]


@pytest.mark.parametrize("language", ACK_LANGUAGES)
def test_every_ack_language_has_its_privacy_line(language):
    # A language with acknowledgements has its own privacy_line snippet (else its
    # acknowledgements would end in English).
    assert (MAIL / language / "privacy_line.txt.j2").is_file(), language


@pytest.mark.parametrize("language", ACK_LANGUAGES)
@pytest.mark.parametrize("name", ACKS)
def test_every_ack_ends_with_the_privacy_line(language, name):
    # Each acknowledgement ends with its language's privacy line, which links the notice.
    mail = TEMPLATES.render_mail(name, language, VARIABLES)
    line = TEMPLATES.privacy_line(mail.language, VARIABLES)
    assert URL in line and "{{" not in line and len(line) < 400
    assert mail.body.endswith("\n" + line)
    assert mail.body.count(URL) == 1


def test_lines_differ_by_language_and_staff_mail_has_none():
    # The line is translated (no two languages share it); forwards to staff carry none.
    lines = {TEMPLATES.privacy_line(lang, VARIABLES) for lang in ACK_LANGUAGES}
    assert len(lines) == len(ACK_LANGUAGES)
    for name in ("forward_join", "forward_followup", "staff_notice"):
        assert URL not in TEMPLATES.render_mail(name, "en", VARIABLES).body


def test_without_a_notice_url_the_line_still_says_how_to_ask():
    # No privacy.notice_url configured: the line is there, without an empty link.
    body = TEMPLATES.render_mail("ack_received", "de", {**VARIABLES, "privacy_notice_url": ""}).body
    assert "Datenschutz" in body and "()" not in body and "http" not in body
