"""`intake eval` and `intake explain`: the service's own stages, run on files.

Nothing here models the truth separately: each file goes through the same
pipeline stages the service runs (parse, screen, thread, classify, membership,
route), in memory, storing and sending nothing.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from intake import pipeline
from intake import queries_requests as q_requests
from intake.context import Context, Env
from intake.stages.classify import machine_intent

DRY_STAGES = ("parse", "screen", "thread", "classify", "membership", "route")
UNCERTAIN_REASONS = ("low confidence", "group unclear", "unparseable", "shunted")
MACHINE_INTENT = "auto"


def run_file(env: Env, raw: bytes, *, inbox: str | None = None) -> Context:
    """Run the dry stages on raw bytes; inbox defaults to the one the mail was addressed to."""
    ctx = Context(message_pk=None, raw=raw, inboxes=[inbox] if inbox else [])
    pipeline.run_stages(ctx, env, DRY_STAGES[:1])
    if not inbox and ctx.mail is not None:
        ctx.inboxes = [
            i.name for i in env.config.inboxes if i.address and i.address.lower() in ctx.mail.recipients
        ]
    pipeline.run_stages(ctx, env, DRY_STAGES[1:])
    return ctx


def predicted(ctx: Context) -> dict[str, Any]:
    """The decision in the vocabulary of labels.csv."""
    if ctx.screening is not None and ctx.screening != "human":
        return {
            "intent": machine_intent(ctx.screening, ctx.screening_evidence),
            "group": "none",
            "language": ctx.decision.language,
            "screening": ctx.screening,
        }
    return {
        "intent": ctx.decision.intent,
        "group": ctx.decision.group,
        "language": ctx.decision.language,
        "screening": ctx.screening,
    }


def _labels(directory: Path) -> list[dict[str, str]]:
    path = directory / "labels.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: eval needs labels.csv beside the .eml files")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def evaluate_classification(env: Env, directory: Path, *, include_staff: bool = False) -> dict[str, Any]:
    rows = _labels(directory)
    fields = ("group", "intent", "language")
    correct: Counter[str] = Counter()
    confusion: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    wrong: list[dict[str, Any]] = []
    per_language: dict[str, Counter[str]] = defaultdict(Counter)
    human = uncertain = queued = english_when_unsure = below_threshold = 0
    scored = 0
    for row in rows:
        path = directory / row["file"]
        if not path.is_file():
            continue
        ctx = run_file(env, path.read_bytes())
        got = predicted(ctx)
        truth = {
            "group": env.rules.canonical_group(row.get("group")) or "none",
            "intent": row.get("intent", ""),
            "language": row.get("language", ""),
        }
        is_machine = truth["intent"] == MACHINE_INTENT
        scored += 1
        per_language[truth["language"]]["files"] += 1
        misses = {}
        for f in fields:
            if f == "language" and is_machine:
                correct[f] += 1  # a machine's language is not asked for
                per_language[truth["language"]][f] += 1
                continue
            if _agrees(f, got[f] or "none", truth[f]):
                correct[f] += 1
                per_language[truth["language"]][f] += 1
            else:
                misses[f] = {"expected": truth[f], "got": got[f]}
        confusion["group"][(truth["group"], got["group"] or "none")] += 1
        confusion["intent"][(truth["intent"], got["intent"] or "none")] += 1
        if not is_machine:
            human += 1
            reason = ctx.triage_reason or ""
            per_language[truth["language"]]["human"] += 1
            if got["language"] == "en" and truth["language"] != "en":
                english_when_unsure += 1
            if ctx.status == "triage":
                queued += 1
            # however it was routed: how often the classifier itself was unsure
            below_threshold += ctx.decision.confidence < env.config.classify.confidence_threshold
            if any(reason.startswith(r) for r in UNCERTAIN_REASONS):
                uncertain += 1
                per_language[truth["language"]]["uncertain"] += 1
        if misses:
            wrong.append(
                {
                    "file": row["file"],
                    "misses": misses,
                    "confidence": ctx.decision.confidence,
                    "screening": ctx.screening,
                }
            )
    result: dict[str, Any] = {
        "directory": str(directory),
        "files": scored,
        "accuracy": {f: round(correct[f] / scored, 4) if scored else None for f in fields},
        "human_mail": human,
        "triage_rate": round(uncertain / human, 4) if human else None,
        "staff_queue_rate": round(queued / human, 4) if human else None,
        "below_threshold_rate": round(below_threshold / human, 4) if human else None,
        "answered_in_english_when_unsure": english_when_unsure,
        "per_language": {
            code: {
                "files": c["files"],
                **{f: round(c[f] / c["files"], 4) for f in fields},
                "triage_rate": round(c["uncertain"] / c["human"], 4) if c["human"] else None,
            }
            for code, c in sorted(per_language.items())
        },
        "confusion": {
            k: [{"expected": e, "got": g, "count": n} for (e, g), n in sorted(v.items())]
            for k, v in confusion.items()
        },
        "misclassified": wrong,
    }
    if include_staff:
        result["staff_labels"] = _staff_examples(env)
    return result


def _agrees(field: str, got: str, expected: str) -> bool:
    """A field's answer is right. Any `new:<topic>` is right for a `new:<topic>` label: the
    slug is the labeller's own wording (judged by reading, not by string equality). English
    is right where the language was unsure (never a wrong language, English when unsure)."""
    if field == "group" and got.startswith("new:") and expected.startswith("new:"):
        return True
    if field == "language" and got == "en":
        return True
    return got == expected


def _staff_examples(env: Env) -> dict[str, Any]:
    """Score the classifier on requests staff resolved by hand."""
    latest = q_requests.labelled_examples(env.store)
    ok: Counter[str] = Counter()
    for r in latest:
        got = predicted(run_file(env, env.store.raw_of(r["first_message"]) or b""))
        ok["group"] += got["group"] == r["group_id"]
        ok["intent"] += got["intent"] == r["intent"]
    n = len(latest)
    return {
        "examples": n,
        "group_accuracy": round(ok["group"] / n, 4) if n else None,
        "intent_accuracy": round(ok["intent"] / n, 4) if n else None,
    }


def format_classification(result: dict[str, Any]) -> str:
    out = [f"{result['files']} files in {result['directory']}", ""]
    for field, value in result["accuracy"].items():
        out.append(f"  {field:<9} accuracy {value * 100:6.1f}%")
    out.append(
        f"  triage rate (uncertain, of {result['human_mail']} human mails):"
        f" {result['triage_rate'] * 100:.1f}%"
    )
    out.append(f"  staff queue rate (anything a person must handle): {result['staff_queue_rate'] * 100:.1f}%")
    out.append(
        f"  below the confidence threshold (whatever the route): {result['below_threshold_rate'] * 100:.1f}%"
    )
    out.append(
        f"  human mail not in English answered in English (language unsure):"
        f" {result['answered_in_english_when_unsure']}"
    )
    out += [
        "",
        "Per language (writer's language from labels.csv):",
        f"  {'lang':<5} {'files':>5} {'group':>7} {'intent':>7} {'language':>8} {'triage':>7}",
    ]
    for code, r in result["per_language"].items():
        triage = "-" if r["triage_rate"] is None else f"{r['triage_rate'] * 100:.0f}%"
        out.append(
            f"  {code:<5} {r['files']:>5} {r['group'] * 100:>6.0f}% {r['intent'] * 100:>6.0f}%"
            f" {r['language'] * 100:>7.0f}% {triage:>7}"
        )
    for name in ("group", "intent"):
        out += ["", f"Confusion ({name}): expected -> got (count)"]
        for item in result["confusion"][name]:
            mark = "" if item["expected"] == item["got"] else "   <-- wrong"
            out.append(f"  {item['expected']:<22} -> {item['got']:<22} {item['count']:>3}{mark}")
    out += ["", f"Misclassified files: {len(result['misclassified'])}"]
    for item in result["misclassified"]:
        misses = "; ".join(
            f"{f}: expected {m['expected']}, got {m['got']}" for f, m in item["misses"].items()
        )
        out.append(f"  {item['file']}: {misses} (confidence {item['confidence']})")
    if "staff_labels" in result:
        s = result["staff_labels"]
        out.append(
            f"\nStaff-labelled examples: {s['examples']}, group accuracy"
            f" {s['group_accuracy']}, intent accuracy {s['intent_accuracy']}"
        )
    return "\n".join(out)


SCREEN_CLASSES = ("human", "auto_reply", "bounce", "list_or_bulk", "own_loop", "spam")


def evaluate_screening(env: Env, directory: Path) -> dict[str, Any]:
    rows = _labels(directory)
    pairs: list[tuple[str, str, str]] = []
    unscored: list[str] = []
    for row in rows:
        if "relpath" in row:  # realworld layout: source/relpath/label
            label = row["label"]
            if label == "unknown":
                continue
            label = "human" if label == "normal_human" else label
            path = directory / row["source"] / row["relpath"]
        else:  # dev layout: intent 'auto' marks machine mail
            label = "machine" if row.get("intent") == MACHINE_INTENT else "human"
            path = directory / row["file"]
            if row.get("intent") == "other" and row.get("needs_reply") == "false":
                unscored.append(row["file"])  # newsletters, pitches: either verdict is fine
                continue
        if not path.is_file():
            continue
        ctx = run_file(env, path.read_bytes())
        got = ctx.screening or "unparseable"
        if label == "machine":
            got = "machine" if got != "human" else "human"
        pairs.append((str(path.relative_to(directory)), label, got))
    classes = sorted({p[1] for p in pairs} | {p[2] for p in pairs})
    table = {}
    for cls in classes:
        tp = sum(1 for _, t, g in pairs if t == cls and g == cls)
        fp = sum(1 for _, t, g in pairs if t != cls and g == cls)
        fn = sum(1 for _, t, g in pairs if t == cls and g != cls)
        table[cls] = {
            "support": tp + fn,
            "predicted": tp + fp,
            "precision": round(tp / (tp + fp), 4) if tp + fp else None,
            "recall": round(tp / (tp + fn), 4) if tp + fn else None,
        }
    answered_machines = [p for p in pairs if p[1] != "human" and p[2] == "human"]
    silenced_humans = [p for p in pairs if p[1] == "human" and p[2] != "human"]
    return {
        "directory": str(directory),
        "files": len(pairs),
        "classes": table,
        "machine_mail_that_would_be_answered": len(answered_machines),
        "answered_machines": [p[0] for p in answered_machines],
        "human_mail_screened_out": [p[0] for p in silenced_humans],
        "errors": [{"file": f, "expected": t, "got": g} for f, t, g in pairs if t != g],
        "not_scored": unscored,
    }


def format_screening(result: dict[str, Any]) -> str:
    out = [
        f"{result['files']} labelled files in {result['directory']}",
        "",
        f"  {'class':<14} {'support':>7} {'predicted':>9} {'precision':>9} {'recall':>7}",
    ]
    for cls, r in result["classes"].items():
        p = "-" if r["precision"] is None else f"{r['precision'] * 100:.1f}%"
        rc = "-" if r["recall"] is None else f"{r['recall'] * 100:.1f}%"
        out.append(f"  {cls:<14} {r['support']:>7} {r['predicted']:>9} {p:>9} {rc:>7}")
    out += ["", f"machine mail that would be acknowledged: {result['machine_mail_that_would_be_answered']}"]
    for f in result["answered_machines"]:
        out.append(f"  {f}")
    out.append(f"human mail screened out: {len(result['human_mail_screened_out'])}")
    for f in result["human_mail_screened_out"]:
        out.append(f"  {f}")
    if result["not_scored"]:
        out.append(
            f"not scored (bulk mail needing no reply, either verdict is right):"
            f" {', '.join(result['not_scored'])}"
        )
    return "\n".join(out)


def explain(env: Env, raw: bytes, *, inbox: str | None = None) -> dict[str, Any]:
    ctx = run_file(env, raw, inbox=inbox)
    mail = ctx.mail
    template_lang = {
        p.template: env.templates.resolve(p.template, ctx.decision.language if p.kind == "ack" else "en")
        for p in ctx.planned
    }
    return {
        "parse": {
            "from": f"{mail.sender_name} <{mail.sender_email}>" if mail else None,
            "subject": mail.subject if mail else None,
            "unparseable": ctx.unparseable,
            "notes": mail.notes if mail else [],
            "forwarded_from": mail.forwarded_from if mail else None,
            "inboxes": ctx.inboxes,
        },
        "screening": {"verdict": ctx.screening, "evidence": ctx.screening_evidence},
        "thread": {
            "followup_of": ctx.followup_of,
            "linked_request": ctx.linked_request,
            "evidence": ctx.thread_evidence,
        },
        "classification": {
            "group": ctx.decision.group,
            "intent": ctx.decision.intent,
            "language": ctx.decision.language,
            "confidence": ctx.decision.confidence,
            "runner_up": ctx.decision.runner_up,
            "why": ctx.decision.explanation,
        },
        "membership": {
            "organisation": ctx.membership.organisation,
            "match": ctx.membership.match,
            "counts_as_member": ctx.membership.counts,
            "authenticated": ctx.membership.authenticated,
            "auth_evidence": ctx.membership.auth_evidence,
            "note": ctx.membership.note,
        },
        "route": {
            "status": ctx.status,
            "triage_reason": ctx.triage_reason,
            "would_send": [
                {
                    "kind": p.kind,
                    "template": p.template,
                    "language": template_lang[p.template],
                    "to": p.recipient,
                }
                for p in ctx.planned
            ],
        },
    }


def format_explain(r: dict[str, Any]) -> str:
    c, m, s = r["classification"], r["membership"], r["route"]
    out = [
        f"From:        {r['parse']['from']}",
        f"Subject:     {r['parse']['subject']}",
        f"Inbox:       {', '.join(r['parse']['inboxes']) or '(not addressed to a configured inbox)'}",
    ]
    if r["parse"]["unparseable"]:
        out.append(f"Parse:       UNPARSEABLE - {r['parse']['unparseable']}")
    for note in r["parse"]["notes"]:
        out.append(f"Parse note:  {note}")
    if r["parse"]["forwarded_from"]:
        name, addr = r["parse"]["forwarded_from"]
        out.append(f"Forwarded:   original writer {name} <{addr}>")
    out.append(
        f"Screening:   {r['screening']['verdict']}"
        + (f"  ({'; '.join(r['screening']['evidence'])})" if r["screening"]["evidence"] else "")
    )
    t = r["thread"]
    out.append(f"Thread:      {t['evidence'] or 'new conversation'}")
    if c["intent"] and "group" not in c["why"]:
        out.append(
            f"Decision:    group {c['group']}, intent {c['intent']} (from the screening"
            f" verdict; machines are never classified or answered)"
        )
        out.append(f"Language:    {c['language']}")
        out.append(f"Membership:  {m['organisation'] or 'not in the roster'} (match: {m['match']})")
    elif c["intent"]:
        why = c["why"]
        out.append(f"Group:       {c['group']}  (scores {json.dumps(why['group']['scores'])})")
        for group, cues in why["group"]["cues"].items():
            out.append(f"               {group}: {', '.join(cues[:8])}")
        out.append(f"Intent:      {c['intent']}  (scores {json.dumps(why['intent']['scores'])})")
        for intent, cues in why["intent"]["cues"].items():
            out.append(f"               {intent}: {', '.join(cues[:8])}")
        lang = why["language"]
        out.append(
            f"Language:    {c['language']}  (detected {lang.get('detected', c['language'])},"
            f" confidence {lang['confidence']}, floor {lang.get('floor', '-')},"
            f" from {lang['from']})"
        )
        if "topic" in why:
            out.append(f"Topic:       {why['topic']}")
        out.append(f"Confidence:  {c['confidence']}  (runner-up: {c['runner_up']})")
        out.append(
            f"Membership:  {m['organisation'] or 'not in the roster'} (match: {m['match']},"
            f" counts: {m['counts_as_member']}, authenticated: {m['authenticated']})"
            + (f" - {m['note']}" if m["note"] else "")
        )
    out.append(
        f"Route:       {s['status']}" + (f" - triage: {s['triage_reason']}" if s["triage_reason"] else "")
    )
    if s["would_send"]:
        for mail in s["would_send"]:
            out.append(
                f"Would send:  {mail['kind']} using {mail['template']} ({mail['language']}) to {mail['to']}"
            )
    else:
        out.append("Would send:  nothing")
    return "\n".join(out)
