"""Jinja2 templates for outgoing mail (and the web UI's pages).

StrictUndefined: a typo in a template fails loudly in tests instead of sending
"Dear ," to a member. Mail templates live in templates/mail/<lang>/<name>.txt.j2;
the first line is "Subject: ...", then a blank line, then the body. A language
without the template falls back to English.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

FALLBACK_LANGUAGE = "en"
# Norwegian is `no` (ISO 639-1, what detection reports) or `nb` (Bokmål): either directory serves.
SAME_LANGUAGE = {"no": "nb", "nb": "no"}
RECHECK_SECONDS = 1.0  # how long a looked-up mail template is used without asking jinja


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
        self._recent: dict[tuple[str, str], tuple[float, str, jinja2.Template]] = {}

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
        """(language, template): the language's own, or English. jinja keeps compiled
        templates and looks at the file on every use; a backlog renders hundreds a
        second, so the answer is kept for a second (an edited template is picked up
        within one)."""
        lang = (language or FALLBACK_LANGUAGE).lower()
        now = time.monotonic()
        known = self._recent.get((name, lang))
        if known is not None and now - known[0] < RECHECK_SECONDS:
            return known[1], known[2]
        candidates = dict.fromkeys(filter(None, (lang, SAME_LANGUAGE.get(lang), FALLBACK_LANGUAGE)))
        template = self.env.select_template([f"mail/{c}/{name}.txt.j2" for c in candidates])
        found = template.name.split("/")[1], template
        self._recent[(name, lang)] = (now, *found)
        return found

    def render_mail(self, name: str, language: str | None, variables: dict[str, Any]) -> RenderedMail:
        lang, template = self._template(name, language)
        text = template.render(**variables)
        lines = text.lstrip("\n").split("\n")
        if not lines or not lines[0].lower().startswith("subject:"):
            raise ValueError(f"template mail/{lang}/{name}.txt.j2 must start with 'Subject:'")
        subject = lines[0].split(":", 1)[1].strip()
        body = "\n".join(lines[1:]).strip("\n") + "\n"
        return RenderedMail(subject=subject, body=body, language=lang, template=name)

    def page(self, name: str, **variables: Any) -> str:
        return self.env.get_template(f"web/{name}").render(**variables)
