"""Canned answers: the texts a reply written in the desk starts from.

One TOML file per language, templates/canned/<lang>.toml (docs/desk.md): a
greeting, a signature and the answers, each with a title and a text. They are data the
secretariat edits, not code; Jinja2 renders them with StrictUndefined, as the mail
templates are. A fill-in ([[date and time]]) marks what staff must complete: a reply
that still has one is not sent (fill_ins()).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from intake.templating import FALLBACK_LANGUAGE, LANGUAGE_ALIASES

CANNED_DIR = "canned"
FILL_IN = re.compile(r"\[\[[^\[\]\n]{1,80}\]\]")
VARIABLES = ("sender_name", "staff_name", "group_name")  # what a canned text may use
NO_GROUP = "[[group]]"  # group_name when the request has no group: staff fill it in

_ENV = jinja2.Environment(
    undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False, trim_blocks=True
)


class CannedError(Exception):
    """A canned-answer file is missing or malformed; one line naming the file and key."""


@dataclass(frozen=True)
class CannedAnswer:
    name: str
    title: str
    text: str  # Jinja2 source


@dataclass(frozen=True)
class CannedSet:
    language: str
    language_name: str  # the language's name in itself ("Deutsch")
    greeting: str  # Jinja2 source
    signature: str  # Jinja2 source
    answers: dict[str, CannedAnswer]


def directory(templates_dir: Path) -> Path:
    return Path(templates_dir) / CANNED_DIR


def languages(templates_dir: Path) -> list[str]:
    """The languages with canned answers, English first."""
    found = sorted(p.stem for p in directory(templates_dir).glob("*.toml"))
    return sorted(found, key=lambda code: (code != FALLBACK_LANGUAGE, code))


def language_of(templates_dir: Path, language: str | None) -> str:
    """The language a reply is written in: the one asked for when it has canned answers
    ("no"/"nn" read Bokmål), else English."""
    code = (language or FALLBACK_LANGUAGE).strip().lower()
    code = LANGUAGE_ALIASES.get(code, code)
    return code if code in languages(templates_dir) else FALLBACK_LANGUAGE


def load(templates_dir: Path, language: str) -> CannedSet:
    """The canned answers of one language (read at each call: an edit shows at once)."""
    path = directory(templates_dir) / f"{language}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CannedError(f"{path}: no canned answers for language {language!r}") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CannedError(f"{path}: {exc}") from None
    answers = {}
    for name, entry in data.items():
        if name in ("language_name", "greeting", "signature"):
            continue
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), str) and entry[k].strip() for k in ("title", "text")
        ):
            raise CannedError(f"{path}: [{name}] needs a title and a text")
        answers[name] = CannedAnswer(name=name, title=entry["title"].strip(), text=entry["text"].strip())
    for key in ("language_name", "greeting", "signature"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise CannedError(f"{path}: {key} is missing or empty")
    return CannedSet(
        language=language,
        language_name=data["language_name"].strip(),
        greeting=data["greeting"].strip(),
        signature=data["signature"].strip(),
        answers=answers,
    )


def render(source: str, variables: dict[str, Any]) -> str:
    try:
        return _ENV.from_string(source).render(**variables).strip()
    except jinja2.TemplateError as exc:
        raise CannedError(f"a canned text cannot be rendered: {exc}") from None


def draft(canned: CannedSet, name: str | None, variables: dict[str, Any]) -> str:
    """The text the reply form starts with: greeting, the answer (none: an empty line to
    write in), signature."""
    parts = [render(canned.greeting, variables)]
    if name:
        answer = canned.answers.get(name)
        if answer is None:
            raise CannedError(f"no canned answer {name!r} in {canned.language}")
        parts.append(render(answer.text, variables))
    else:
        parts.append("")
    parts.append(render(canned.signature, variables))
    return "\n\n".join(parts) + "\n"


def fill_ins(text: str) -> list[str]:
    """The fill-ins ([[...]]) a text still has, in order."""
    return FILL_IN.findall(text)
