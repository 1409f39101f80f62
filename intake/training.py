"""The training corpus: short mails generated from hand-written phrase banks.

rules/training/phrases_*.toml hold, per language, sentences for each intent with a
{group} or {topic} slot, ways of naming each group, and framing sentences (greetings,
introductions, closings); rules/topics.toml says how new-group topics are named (and
fills the themes other requests mention too, topic_context: a theme alone does not mean
a proposal). A fixed-seed generator combines them into thousands of varied examples, so the
classifier learns the intent and the group from many surfaces in every language.
None of it is taken from the labelled corpora (dev/, dev2/), which only measure.
"""

from __future__ import annotations

import random
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from intake.textprep import classification_text

if TYPE_CHECKING:
    from intake.rulebook import Group

SEED = 20261130
PER_INTENT = 40  # examples per language and kind: ~10,800; with fewer the figures swung with the seed
TOPIC_CONTEXT = 0.15  # of the other requests also name a theme the writer works on
MAIL_WEIGHT = 3.0  # a written mail counts as much as three generated ones (a sample weight)
MORE_OF = {"join": 2}  # join requests are most of the mail: twice as many examples
# a kind of sentence -> (intent label, group label or None when the {group} slot decides)
KINDS = {
    "join": ("join", None),
    "question": ("question", None),
    "question_general": ("question", "none"),
    "propose": ("propose", "new"),
    "facilitate": ("facilitate", None),
    "facilitate_new": ("facilitate", "new"),
    "unsubscribe": ("unsubscribe", None),
    "followup": ("followup", None),
    "other": ("other", "none"),
}
BANK_OF_GROUP = {"srpp-ict": "ict", "lcc": "lcc", "both": "both"}


@dataclass(frozen=True)
class Example:
    text: str
    language: str
    intent: str
    group: str  # srpp-ict | lcc | both | none | new
    sentence: str = ""  # the phrase-bank sentence it was made from (calibration holds sentences out)
    weight: float = 1.0  # how much it counts in training (written mails more than generated ones)


def load_banks(rules_dir: Path) -> dict[str, dict[str, list[str]]]:
    banks: dict[str, dict[str, list[str]]] = {}
    for path in sorted((rules_dir / "training").glob("phrases_*.toml")):
        with path.open("rb") as handle:
            for language, bank in tomllib.load(handle).items():
                for kind, sentences in bank.items():  # files add to each other's lists
                    banks.setdefault(language, {}).setdefault(kind, []).extend(sentences)
    return banks


def load_topics(rules_dir: Path) -> dict[str, dict[str, list[str]]]:
    with (rules_dir / "topics.toml").open("rb") as handle:
        return tomllib.load(handle)


def _group_names(rules_dir: Path, banks: dict[str, dict[str, list[str]]]) -> list[tuple[str, float]]:
    """Every group of rules/groups.toml becomes a label, its cues (literal ones) ways to name
    it: a group added to the rules is learned with no code change. Returns the label weights."""
    from intake.rulebook import load_rules  # the rules' own reader and validation

    groups = load_rules(rules_dir).groups
    for group in groups:
        for cue in group.cues:
            name = cue.text.lstrip("!")
            if "*" in name or len(name) < 3:
                continue
            bank = banks.get(cue.language if cue.language in banks else "en")
            if bank is not None:
                names = bank.setdefault(f"group:{group.id}", [])
                if name not in names:
                    names.append(name)
    weights = [(g.id, 0.88 / len(groups)) for g in groups]
    return [*weights, ("both", 0.12)] if len(groups) > 1 else weights


def load_mails(rules_dir: Path) -> list[Example]:
    """The written mails of rules/training/mails_*.toml, read as the classifier reads a mail
    (intake/textprep.classification_text), each weighing MAIL_WEIGHT in training: counted
    once by the vectorizer (an n-gram of one mail only stays out, as min_df says), three
    times by the linear models."""
    from intake.rulebook import load_rules  # the rules' own reader: which groups exist

    rules = load_rules(rules_dir)
    groups = {g.id for g in rules.groups} | {"both", "none", "new"}
    intents = {intent for intent, _ in KINDS.values()}
    names = _people_of_the_groups(rules.groups)
    languages = set(load_banks(rules_dir))  # the languages the phrase banks are written in
    examples = []
    for path in sorted((rules_dir / "training").glob("mails_*.toml")):
        with path.open("rb") as handle:
            mails = tomllib.load(handle).get("mail", [])
        for n, mail in enumerate(mails, 1):
            intent, group, language = mail.get("intent"), mail.get("group"), mail.get("language")
            if intent not in intents or group not in groups or language not in languages:
                raise ValueError(
                    f"{path.name}, mail {n}: intent {intent!r}, group {group!r} or language"
                    f" {language!r} unknown"
                )
            if not isinstance(mail.get("body"), str):
                raise ValueError(f"{path.name}, mail {n}: no body")
            subject, body = classification_text(str(mail.get("subject", "")), mail["body"])
            text = names.sub("", f"{subject}\n{body}")
            examples.append(Example(text, language, intent, group, f"{path.name}, mail {n}", MAIL_WEIGHT))
    return examples


def _people_of_the_groups(groups: Iterable[Group]) -> re.Pattern[str]:
    """The names in the group inboxes' and facilitators' addresses (philipp.tepper@ ->
    "Philipp", "Tepper", and their inflections: "Teppere", "Tepperovi"), which the written
    mails use in greetings. They are taken out of the training text: a person's name says
    nothing of what a mail wants, and the facilitator changes."""
    locals_ = {
        address.split("@")[0].lower() for group in groups for address in (*group.inboxes, *group.facilitators)
    }
    parts = {
        part
        for local in locals_
        if len(pieces := re.split(r"[._-]", local)) > 1  # a person's first.last, not procurement@
        for part in pieces
        if len(part) >= 4 and part.isalpha()
    }
    if not parts:
        return re.compile(r"(?!)")  # matches nothing
    # as a name is written: Capitalised or lower-case ("hi philipp,"), with an ending of up
    # to four letters ("Teppere", "Tepperovi"). A name that begins a common word would take
    # that word out too ("mark." and "market"): no facilitator's name does today.
    names = "|".join(sorted(f"[{p[0].upper()}{p[0]}]{re.escape(p[1:])}" for p in parts))
    return re.compile(r"(?<!\w)(?:" + names + r")(?:[a-zà-ÿ]{0,4})(?!\w)")


def generate(rules_dir: Path, *, seed: int = SEED, per_intent: int = PER_INTENT) -> list[Example]:
    """Every language's examples, the same list for the same rules and seed."""
    rng = random.Random(seed)
    topic_rng = random.Random(seed + 1)  # its own: a topic added to topics.toml leaves the rest as it was
    banks = load_banks(rules_dir)
    topics = load_topics(rules_dir)
    group_weights = tuple(_group_names(rules_dir, banks))
    examples = []
    for language, bank in sorted(banks.items()):
        for kind, (intent, fixed_group) in KINDS.items():
            sentences = bank.get(kind) or []
            for _ in range(per_intent * MORE_OF.get(kind, 1) if sentences else 0):
                group = fixed_group or _weighted(rng, group_weights)
                sentence = rng.choice(sentences)
                draw = rng.random()
                plain = kind == "join" and bank.get("join_plain") and draw < 0.35
                if plain:  # "we'd like to join the group": the context says which, if anything
                    sentence = rng.choice(bank["join_plain"])
                    if draw < 0.1 or group not in ("srpp-ict", "lcc"):
                        group, plain = "none", False  # no group named anywhere: the group is unclear
                template = sentence
                if "{group}" in sentence:
                    sentence = sentence.replace("{group}", _group_name(rng, bank, banks["en"], group))
                if "{topic}" in sentence:
                    sentence = sentence.replace("{topic}", _topic_name(topic_rng, topics, language))
                elif bank.get("topic_context") and topic_rng.random() < TOPIC_CONTEXT:
                    theme = topic_rng.choice(bank["topic_context"])
                    theme = theme.replace("{topic}", _topic_name(topic_rng, topics, language))
                    sentence = f"{theme}\n{sentence}" if topic_rng.random() < 0.5 else f"{sentence}\n{theme}"
                examples.append(
                    Example(
                        _frame(rng, bank, sentence, group, banks["en"], force_context=bool(plain)),
                        language,
                        intent,
                        group,
                        template,
                    )
                )
    return examples + load_mails(rules_dir)


def _weighted(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _group_name(rng: random.Random, bank: dict, english: dict, group: str) -> str:
    """A way to name the group: the phrase bank's, or a cue of the group's rules entry."""
    key = BANK_OF_GROUP.get(group)
    local = (bank.get(key) or []) + bank.get(f"group:{group}", [])
    in_english = (english.get(key) or []) + english.get(f"group:{group}", [])
    if not local or rng.random() < 0.15:  # international mail often names a group in English
        local = in_english
    return rng.choice(local)


def _topic_name(rng: random.Random, topics: dict, language: str) -> str:
    slug = rng.choice(sorted(topics))
    names = topics[slug].get(language) or topics[slug]["en"]
    return rng.choice(names)


CONTEXT_OF_GROUP = {
    "srpp-ict": ("ict_context",),
    "lcc": ("lcc_context",),
    "both": ("ict_context", "lcc_context"),
    "none": (),
    "new": (),
}


def _frame(
    rng: random.Random, bank: dict, core: str, group: str, english: dict, *, force_context: bool = False
) -> str:
    """A mail around the core sentence: maybe a subject line, a greeting, an
    introduction, the work behind it, a closing; sometimes lower-case, as people type."""
    lines = []
    if rng.random() < 0.4 and group not in ("none", "new") and not force_context:
        lines.append(_group_name(rng, bank, english, group))  # a subject naming the group
    if rng.random() < 0.8 and bank.get("greet"):
        lines.append(rng.choice(bank["greet"]))
    if rng.random() < 0.5 and bank.get("intro"):
        lines.append(rng.choice(bank["intro"]))
    context = [rng.choice(bank[key]) for key in CONTEXT_OF_GROUP.get(group, ()) if bank.get(key)]
    if not (force_context or rng.random() < 0.5):
        context = []
    if rng.random() < 0.35 and bank.get("neutral"):  # said by anyone, whatever they want
        context.append(rng.choice(bank["neutral"]))
    before = rng.random() < 0.5
    lines += (context if before else []) + [core] + ([] if before else context)
    if rng.random() < 0.6 and bank.get("close"):
        lines.append(rng.choice(bank["close"]))
    text = "\n".join(lines)
    return text.lower() if rng.random() < 0.1 else text
