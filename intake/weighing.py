"""How much the n-gram model's vote weighs against the cues: measured on held-out written mail.

Each rules/training/mails_*.toml file is held out in turn. The models are trained on everything
else (the generated corpus and the other written files), and the whole classifier (cues,
question form, thread-free model vote) decides the held-out file's mails at each candidate
weight. The labelled corpora dev/ and dev2/ take no part: they measure the choice afterwards
(docs/languages.md), so the figures reported there are not the figures it was chosen on.

    python -m intake.weighing rules/            # about two and a half minutes for twelve files

Measured 1 December 2026 (2,016 written mails in twelve files): intent 82.2 % at weight 4,
85.0 at 6, 86.7 at 8, 87.1 at 10, 87.3 at 12; group 92.5, 93.1, 93.0, 92.9, 92.5. The gain
flattens after 8 and group is best at 6 to 8: MODEL_WEIGHT is 8. With the rules chosen after
it (OUTRANK_FLOOR, UNNAMED_SHARE, ...): 84.8, 87.4, 88.7, 89.2, 89.4; group 93.8, 94.5, 94.6,
94.7, 94.7.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from intake.calibration import plain_mail
from intake.context import ParsedMail
from intake.model import Models, fit
from intake.rulebook import Rulebook, load_rules
from intake.stages.classify import Decision, classify
from intake.training import SEED, Example, generate

CANDIDATES = (4.0, 6.0, 8.0, 10.0, 12.0)


@dataclass(frozen=True)
class Written:
    """One written training mail, as the classifier receives it."""

    mail: ParsedMail
    intent: str
    group: str  # srpp-ict | lcc | both | none | new


@dataclass(frozen=True)
class Score:
    weight: float
    mails: int
    intent: float  # share decided right
    group: float


def written(path: Path) -> list[Written]:
    """The mails of one mails_*.toml file (load_mails has checked their labels)."""
    with path.open("rb") as handle:
        mails = tomllib.load(handle).get("mail", [])
    return [Written(plain_mail(m["body"], str(m.get("subject", ""))), m["intent"], m["group"]) for m in mails]


def folds(rules_dir: Path, *, seed: int = SEED) -> list[tuple[Models, list[Written]]]:
    """(models trained without a file, that file's mails) for every written-mail file."""
    examples = generate(rules_dir, seed=seed)
    found = []
    for path in sorted((rules_dir / "training").glob("mails_*.toml")):
        kept = [e for e in examples if not _from_file(e, path.name)]
        found.append((fit(kept, seed=seed), written(path)))
    return found


def _from_file(example: Example, name: str) -> bool:
    return example.sentence.startswith(f"{name}, mail ")


def score(weight: float, decide: Callable[[Written], Decision], mails: Iterable[Written]) -> Score:
    """The share of mails whose intent and group (a new topic counts as `new`) come out right."""
    total = right_intent = right_group = 0
    for item in mails:
        decision = decide(item)
        group = "new" if (decision.group or "").startswith("new:") else decision.group
        total += 1
        right_intent += decision.intent == item.intent
        right_group += group == item.group
    return Score(weight, total, right_intent / max(total, 1), right_group / max(total, 1))


def table(rules: Rulebook, held: list[tuple[Models, list[Written]]], weights: Iterable[float]) -> list[Score]:
    """One Score per candidate weight over every held-out file."""
    scores = []
    for weight in weights:
        per_file = [score(weight, _decider(rules, models, weight), mails) for models, mails in held]
        total = sum(s.mails for s in per_file)
        scores.append(
            Score(
                weight,
                total,
                sum(s.intent * s.mails for s in per_file) / max(total, 1),
                sum(s.group * s.mails for s in per_file) / max(total, 1),
            )
        )
    return scores


def _decider(rules: Rulebook, models: Models, weight: float) -> Callable[[Written], Decision]:
    return lambda item: classify(item.mail, rules, models=models, model_weight=weight)


def main(argv: list[str]) -> None:
    rules_dir = Path(argv[0] if argv else "rules")
    rules = load_rules(rules_dir)
    for s in table(rules, folds(rules_dir), CANDIDATES):
        print(
            f"model weight {s.weight:4.1f}: intent {s.intent * 100:5.1f} %,"
            f" group {s.group * 100:5.1f} % of {s.mails} mails"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
