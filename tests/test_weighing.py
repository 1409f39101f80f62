"""The model weight's measurement on held-out written mail (intake/weighing.py)."""

from __future__ import annotations

from intake import model
from intake.context import Decision
from intake.rulebook import load_rules
from intake.stages.classify import MODEL_WEIGHT
from intake.training import Example, load_mails
from intake.weighing import Written, _from_file, score, table, written
from tests.conftest import ROOT

RULES = load_rules(ROOT / "rules")


def _decision(group: str, intent: str) -> Decision:
    return Decision(group=group, intent=intent, language="en")


def test_a_file_is_held_out_by_its_own_mails_only():
    # The fold of one file leaves out exactly that file's mails as training reads them
    # (load_mails), not another file's whose name starts the same, nor a generated example.
    paths = sorted((ROOT / "rules" / "training").glob("mails_*.toml"))
    examples = load_mails(ROOT / "rules")
    for path in paths[:3]:
        assert sum(_from_file(e, path.name) for e in examples) == len(written(path))
    assert not _from_file(Example("x", "en", "join", "lcc", "mails_r2a2.toml, mail 3"), "mails_r2a.toml")
    assert not _from_file(Example("x", "en", "join", "lcc", "We'd like to join {group}."), "mails_r2a.toml")


def test_score_counts_intent_and_group_and_a_new_topic_as_new():
    # A new group's topic counts as `new` (the written mails label no topic); each field on its own.
    mails = [
        Written(None, "propose", "new"),  # type: ignore[arg-type]
        Written(None, "join", "lcc"),  # type: ignore[arg-type]
        Written(None, "question", "none"),  # type: ignore[arg-type]
    ]
    decided = iter(
        [
            _decision("new:circular-furniture", "propose"),
            _decision("srpp-ict", "join"),
            _decision("none", "other"),
        ]
    )
    s = score(8.0, lambda _: next(decided), mails)
    assert (s.mails, s.intent, s.group) == (3, 2 / 3, 2 / 3)


def test_every_written_file_reads_as_mails_with_labels():
    # Each file's mails arrive with their subject, body and labels, as the classifier gets them.
    path = sorted((ROOT / "rules" / "training").glob("mails_*.toml"))[0]
    mails = written(path)
    assert len(mails) >= 100
    assert all(m.mail.body_text and m.intent and m.group for m in mails)
    assert sum(bool(m.mail.subject) for m in mails) > len(mails) * 0.9


def test_the_model_weight_changes_decisions_it_is_measured_on():
    # The weight reaches the decision: with the model's vote at weight 0 (its reading still
    # steers a few rules) the same mails are decided worse than at the shipped weight. (The
    # shipped models, which saw these mails: one "fold" that is not held out.)
    models = model.trained(str(ROOT / "rules"))
    mail = written(sorted((ROOT / "rules" / "training").glob("mails_*.toml"))[0])
    scores = table(RULES, [(models, mail)], [0.0, MODEL_WEIGHT])
    assert [s.weight for s in scores] == [0.0, MODEL_WEIGHT]
    assert scores[1].intent > scores[0].intent  # trained on these mails: the model knows them
