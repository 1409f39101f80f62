"""Load rules/ (groups, intents, screening patterns) and validate them.

Rules are data so that adding an interest group or a language's cue words needs
no code change. Errors name the file and the key, like config errors.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intake.config import ConfigError
from intake.cue_index import CueIndex
from intake.textfold import fold

GROUP_STATUSES = ("open", "closed")
INTENTS = ("join", "propose", "facilitate", "question", "unsubscribe", "followup", "other")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Cue:
    text: str
    language: str
    strong: bool
    pattern: re.Pattern[str]
    literal: str = ""  # the longest fixed part: looked up before the regex runs
    leads: bool = False  # the literal is where every match starts (no wildcard before it)

    @property
    def weight(self) -> float:
        return 3.0 if self.strong else 1.0


class Cues(tuple):
    """The cues of one group, intent or topic, in the order the rules list them."""

    @functools.cached_property
    def by_literal(self) -> dict[str, list[int]]:
        """{literal: positions in this list}: which cues a literal found in a text wakes."""
        mapping: dict[str, list[int]] = {}
        for i, cue in enumerate(self):
            mapping.setdefault(cue.literal, []).append(i)
        return mapping


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    short_name: str
    status: str
    inboxes: tuple[str, ...]
    facilitators: tuple[str, ...]
    names: dict[str, str]
    aliases: tuple[str, ...]
    cues: Cues

    def display_name(self, language: str | None) -> str:
        return self.names.get(language or "en", self.name)


@dataclass(frozen=True)
class ScreeningRules:
    machine_senders: list[re.Pattern[str]] = field(default_factory=list)
    auto_reply_subjects: list[re.Pattern[str]] = field(default_factory=list)
    auto_reply_bodies: list[re.Pattern[str]] = field(default_factory=list)
    auto_reply_details: list[re.Pattern[str]] = field(default_factory=list)
    bounce_subjects: list[re.Pattern[str]] = field(default_factory=list)
    bounce_bodies: list[re.Pattern[str]] = field(default_factory=list)
    bulk_bodies: list[re.Pattern[str]] = field(default_factory=list)
    spam_wording: list[re.Pattern[str]] = field(default_factory=list)
    spam_signs: list[re.Pattern[str]] = field(default_factory=list)
    about_the_network: list[re.Pattern[str]] = field(default_factory=list)
    on_topic: list[re.Pattern[str]] = field(default_factory=list)


@dataclass(frozen=True)
class Rulebook:
    directory: Path
    groups: tuple[Group, ...]
    intent_cues: dict[str, Cues]
    topics: dict[str, Cues]
    screening: ScreeningRules
    cue_index: CueIndex = field(compare=False, repr=False)

    def group(self, group_id: str | None) -> Group | None:
        if not group_id:
            return None
        wanted = group_id.strip().lower()
        for group in self.groups:
            if wanted == group.id or wanted in group.aliases:
                return group
        return None

    def canonical_group(self, value: str | None) -> str | None:
        """Map a label or CLI value (srpp_ict, both, new:food) onto rule ids."""
        if value is None:
            return None
        value = value.strip().lower()
        if value in ("both", "none", "") or value.startswith("new:"):
            return value or "none"
        group = self.group(value)
        return group.id if group else value

    def group_for_address(self, address: str) -> Group | None:
        address = address.lower()
        for group in self.groups:
            if address in group.inboxes:
                return group
        return None


def compile_cue(text: str, language: str, *, where: str) -> Cue:
    strong = text.startswith("!")
    body = text[1:] if strong else text
    body = body.strip().lower()
    if not body:
        raise ValueError(f"{where}: empty cue")
    parts = []
    for i, chunk in enumerate(body.split("*")):
        if i:
            parts.append(r"\w*")
        parts.append(re.escape(chunk))
    regex = "".join(parts)
    prefix = r"(?<!\w)" if body[0].isalnum() else ""
    suffix = r"(?!\w)" if body[-1].isalnum() else ""
    chunks = body.split("*")
    literal = max(chunks, key=len)
    return Cue(
        text=body,
        language=language,
        strong=strong,
        pattern=re.compile(prefix + regex + suffix, re.IGNORECASE),
        literal=literal,
        leads=literal == chunks[0],
    )


def _load(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(path, "(file)", "rules file is missing")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "(syntax)", f"not valid TOML: {exc}") from None


def _cues(path: Path, key: str, table: Any) -> Cues:
    if not isinstance(table, dict):
        raise ConfigError(path, key, "must be a table of language = [cues]")
    cues = []
    for lang, items in table.items():
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ConfigError(path, f"{key}.{lang}", "must be a list of strings")
        for item in items:
            try:
                cues.append(compile_cue(item, lang, where=f"{key}.{lang}"))
            except (ValueError, re.error) as exc:
                raise ConfigError(path, f"{key}.{lang}", str(exc)) from None
    return Cues(cues)


def _groups(path: Path) -> tuple[Group, ...]:
    data = _load(path)
    raw = data.get("group")
    if not isinstance(raw, list) or not raw:
        raise ConfigError(path, "group", "at least one [[group]] is required")
    groups = []
    seen: set[str] = set()
    for i, entry in enumerate(raw):
        key = f"group[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(path, key, "must be a table")
        for required in ("id", "name", "status", "facilitators"):
            if required not in entry:
                raise ConfigError(path, f"{key}.{required}", "missing (required)")
        gid = entry["id"]
        if not isinstance(gid, str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", gid):
            raise ConfigError(path, f"{key}.id", "must be lower-case letters, digits and dashes")
        if gid in seen or gid in ("both", "none"):
            raise ConfigError(path, f"{key}.id", f"duplicate or reserved id {gid!r}")
        seen.add(gid)
        if entry["status"] not in GROUP_STATUSES:
            raise ConfigError(path, f"{key}.status", f"unknown value {entry['status']!r}; use open or closed")
        for list_key in ("facilitators", "inboxes"):
            values = entry.get(list_key, [])
            if not isinstance(values, list) or not all(
                isinstance(v, str) and _EMAIL.match(v) for v in values
            ):
                raise ConfigError(path, f"{key}.{list_key}", "must be a list of email addresses")
        if not entry["facilitators"]:
            raise ConfigError(path, f"{key}.facilitators", "name at least one facilitator")
        known = {"id", "name", "short_name", "status", "inboxes", "facilitators", "names", "aliases", "cues"}
        unknown = sorted(set(entry) - known)
        if unknown:
            raise ConfigError(path, f"{key}.{unknown[0]}", "unknown key")
        groups.append(
            Group(
                id=gid,
                name=str(entry["name"]),
                short_name=str(entry.get("short_name", gid.upper())),
                status=entry["status"],
                inboxes=tuple(v.lower() for v in entry.get("inboxes", [])),
                facilitators=tuple(entry["facilitators"]),
                names=dict(entry.get("names", {})),
                aliases=tuple(a.lower() for a in entry.get("aliases", [])),
                cues=_cues(path, f"{key}.cues", entry.get("cues", {})),
            )
        )
    return tuple(groups)


def _intents(path: Path) -> tuple[dict[str, Cues], dict[str, Cues]]:
    data = _load(path)
    intents = data.get("intent", {})
    if not isinstance(intents, dict):
        raise ConfigError(path, "intent", "must be a table")
    cues: dict[str, tuple[Cue, ...]] = {}
    for name, table in intents.items():
        if name not in INTENTS:
            raise ConfigError(path, f"intent.{name}", f"unknown intent; use one of: {', '.join(INTENTS)}")
        cues[name] = _cues(path, f"intent.{name}.cues", table.get("cues", {}))
    topics: dict[str, tuple[Cue, ...]] = {}
    for topic, items in data.get("topics", {}).items():
        if not re.fullmatch(r"[a-z0-9_]+", topic):
            raise ConfigError(path, f"topics.{topic}", "topic names are lower-case words")
        topics[topic] = _cues(path, f"topics.{topic}", {"any": items})
    return cues, topics


def _screening(path: Path) -> ScreeningRules:
    """Screening patterns, compiled on folded text (accents removed, see textfold): the
    screen stage matches them against folded text, so either spelling matches."""
    data = _load(path)
    compiled: dict[str, list[re.Pattern[str]]] = {}
    for name in ScreeningRules.__dataclass_fields__:
        items = data.get(name, [])
        if not isinstance(items, list):
            raise ConfigError(path, name, "must be a list of regular expressions")
        patterns = []
        for j, item in enumerate(items):
            try:
                patterns.append(re.compile(fold(item), re.IGNORECASE | re.MULTILINE))
            except re.error as exc:
                raise ConfigError(path, f"{name}[{j}]", f"bad regular expression: {exc}") from None
        compiled[name] = patterns
    unknown = sorted(set(data) - set(ScreeningRules.__dataclass_fields__))
    if unknown:
        raise ConfigError(path, unknown[0], "unknown key")
    return ScreeningRules(**compiled)


def load_rules(directory: str | Path) -> Rulebook:
    directory = Path(directory)
    intent_cues, topics = _intents(directory / "intents.toml")
    groups = _groups(directory / "groups.toml")
    every_cue = [c for g in groups for c in g.cues]
    every_cue += [c for table in (intent_cues, topics) for cues in table.values() for c in cues]
    return Rulebook(
        directory=directory,
        groups=groups,
        intent_cues=intent_cues,
        topics=topics,
        screening=_screening(directory / "screening.toml"),
        cue_index=CueIndex(c.literal for c in every_cue),
    )
