"""Jinja2 templates for outgoing mail (and the web UI's pages).

StrictUndefined: a typo in a template fails loudly in tests instead of sending
"Dear ," to a member. Mail templates live in templates/mail/<lang>/<name>.txt.j2;
the first line is "Subject: ...", then a blank line, then the body. A language
without the template falls back to English; "no" and "nn" use the Norwegian (nb) ones.
Acknowledgements (ack_*) end with the language's privacy line (privacy_line.txt.j2),
added here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

FALLBACK_LANGUAGE = "en"
ACK_PREFIX = "ack_"  # every template named ack_* is an acknowledgement to the sender
PRIVACY_LINE = "privacy_line"  # mail/<lang>/privacy_line.txt.j2, appended to acknowledgements
# Codes that name a language whose templates live under another code: Norwegian is written
# in Bokmål (nb); a detector or a label may say "no" (macrolanguage) or "nn" (Nynorsk),
# whose readers read Bokmål.
LANGUAGE_ALIASES = {"no": "nb", "nn": "nb"}


@dataclass
class RenderedMail:
    subject: str
    body: str
    language: str
    template: str


class Templates:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(self.directory)),
            undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2")),
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def languages(self, name: str) -> list[str]:
        base = self.directory / "mail"
        return (
            sorted(p.name for p in base.iterdir() if (p / f"{name}.txt.j2").is_file())
            if base.is_dir()
            else []
        )

    def resolve(self, name: str, language: str | None) -> str:
        """The language the template will actually be rendered in."""
        return self._template(name, language)[0]

    def _template(self, name: str, language: str | None) -> tuple[str, jinja2.Template]:
        """(language, template): the language's own, or English (jinja keeps compiled
        templates and reloads an edited file by itself)."""
        lang = (language or FALLBACK_LANGUAGE).lower()
        lang = LANGUAGE_ALIASES.get(lang, lang)
        try:
            return lang, self.env.get_template(f"mail/{lang}/{name}.txt.j2")
        except jinja2.TemplateNotFound:
            return FALLBACK_LANGUAGE, self.env.get_template(f"mail/{FALLBACK_LANGUAGE}/{name}.txt.j2")

    def render_mail(self, name: str, language: str | None, variables: dict[str, Any]) -> RenderedMail:
        lang, template = self._template(name, language)
        text = template.render(**variables)
        lines = text.lstrip("\n").split("\n")
        if not lines or not lines[0].lower().startswith("subject:"):
            raise ValueError(f"template mail/{lang}/{name}.txt.j2 must start with 'Subject:'")
        subject = lines[0].split(":", 1)[1].strip()
        body = "\n".join(lines[1:]).strip("\n") + "\n"
        if name.startswith(ACK_PREFIX):
            body += self.privacy_line(lang, variables)
        return RenderedMail(subject=subject, body=body, language=lang, template=name)

    def privacy_line(self, language: str, variables: dict[str, Any]) -> str:
        """The short privacy line every acknowledgement ends with (GDPR art. 13), from
        mail/<lang>/privacy_line.txt.j2 in the acknowledgement's own language (English
        if that language has none): one snippet per language instead of a line in every
        ack template, so a new language or a new kind of acknowledgement gets it."""
        text = self._template(PRIVACY_LINE, language)[1].render(**variables).strip()
        return f"{text}\n" if text else ""

    def page(self, name: str, **variables: Any) -> str:
        return self.env.get_template(f"web/{name}").render(**variables)
