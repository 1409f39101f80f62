"""Route stage: from the decision, what happens to the request and who gets mail.

This is the policy of the secretariat in one place:
- a member asking to join an open group: acknowledge, forward to the facilitator;
- a non-member asking to join: a kind explanation, and triage;
- a proposal or an offer to facilitate: acknowledge, notify staff, triage;
- a question: acknowledge receipt, triage;
- unsubscribe, follow-ups, unrelated mail: no automatic reply, triage;
- anything unsure (a join request of low confidence, unparseable mail): triage; an unsure
  question, proposal, ... goes to triage under its own reason with the generic acknowledgement;
- machine mail: recorded, never answered;
- a possible spoof (a trusted server said dkim/dmarc=fail), or a From that is not one
  mailbox: triage, nothing sent until a person has looked (no backscatter to a forged
  address, never forwarded as a member's).
"""

from __future__ import annotations

from intake import compose, group_set, register
from intake import queries_requests as q_requests
from intake.context import Context, Decision, Env, PlannedMail
from intake.rulebook import Group

# the Context fields this stage uses, and those it produces (see intake/stage_view.py)
READS: tuple[str, ...] = (
    "mail",
    "unparseable",
    "is_human",
    "decision",
    "membership",
    "followup_of",
    "followup_refused",
)
WRITES: tuple[str, ...] = ("planned", "status", "triage_reason")

REAL_INTENTS_ACKED = ("join", "propose", "facilitate", "question")
# the only intent acted on without a person: an unsure one goes to triage as `low confidence`.
# Every other intent goes to a person anyway, under its own reason (question, proposal, ...);
# unsure, it gets the generic acknowledgement, never one that names what it may not be.
ACTED_ON_ALONE = ("join",)


def run(ctx: Context, env: Env) -> None:
    if ctx.unparseable:
        ctx.status, ctx.triage_reason = "triage", f"unparseable: {ctx.unparseable}"
        return
    if not ctx.is_human:
        ctx.status = "ignored"
        return
    if ctx.followup_of is not None:
        ctx.status = "followup"
        _plan_followup(ctx, env)
        return
    if ctx.followup_refused is not None:  # a person looks; nothing automatic goes out
        refused = ctx.followup_refused
        return _triage(ctx, f"claims to continue request {refused['request_id']} but {refused['reason']}")
    plan(ctx, env)


def _plan_followup(ctx: Context, env: Env) -> None:
    """A reply to a known request: to the facilitator when configured and the group is known."""
    if env.config.routing.followups != "facilitator":
        return
    row = q_requests.request(env.store, ctx.followup_of)
    group = env.rules.group(row["group_id"]) if row and row["group_id"] else None
    if row is None or group is None:
        return
    ctx.decision.group = group.id
    ctx.decision.language = row["language"] or ctx.decision.language
    for facilitator in group.facilitators:
        ctx.planned.append(PlannedMail("forward", "forward_followup", facilitator, attach_original=True))


def plan(ctx: Context, env: Env, *, by_person: bool = False) -> None:
    """Decide status, triage reason and planned mail. Also used by `queue resolve`
    (by_person: a person looked, so doubts about the sender no longer hold mail back)."""
    d, m = ctx.decision, ctx.membership
    ctx.planned = []
    ctx.triage_reason = None
    sender = ctx.mail.sender_email if ctx.mail else ""  # who wrote to us gets the reply
    staff = env.config.smtp.staff_address
    groups = groups_of(d, env)
    low = d.confidence < env.config.classify.confidence_threshold

    if not sender:
        return _triage(ctx, "no sender address")
    if compose.safe_address(sender) is None:  # nothing could be sent there: say why, not crash
        return _triage(ctx, f"sender address cannot be answered: {compose.header_text(sender, 80)}")
    if not by_person and m.possible_spoof:
        return _triage(ctx, f"possible spoof: {compose.header_text(m.auth_evidence or '', 160)}")
    if not by_person and ctx.mail is not None and not ctx.mail.single_mailbox:
        return _triage(ctx, "From is not a single mailbox: not answered automatically")
    if d.intent in ("question", "other") and register.asks_for_guidelines(ctx, env):
        ctx.planned.append(PlannedMail("ack", "guidelines", sender))
        ctx.status = "routed"  # "available upon request": answered with register.guidelines
        return None
    if low and d.intent in ACTED_ON_ALONE:
        if d.intent in REAL_INTENTS_ACKED:
            ctx.planned.append(PlannedMail("ack", "ack_received", sender))
        runner = f" (runner-up: {d.runner_up})" if d.runner_up else ""
        return _triage(ctx, f"low confidence {d.confidence:.2f}{runner}")

    if d.intent == "join":
        if not groups:
            ctx.planned.append(PlannedMail("ack", "ack_received", sender))
            return _triage(ctx, "join request: group unclear")
        if not m.counts:
            ctx.planned.append(PlannedMail("ack", "ack_nonmember", sender))
            reason = m.note if m.note == "member domain not authenticated" else "non-member"
            return _triage(ctx, reason)
        closed = [g for g in groups if g.status != "open"]
        if closed:
            ctx.planned.append(PlannedMail("ack", "group_closed", sender))
            return _triage(ctx, f"group {closed[0].id} is closed")
        ctx.planned.append(PlannedMail("ack", "ack_join", sender))
        for group in groups:
            for facilitator in group.facilitators:
                ctx.planned.append(PlannedMail("forward", "forward_join", facilitator, attach_original=True))
        ctx.status = "routed"
        return None
    if d.intent in ("propose", "facilitate"):
        template = "ack_proposal" if d.intent == "propose" else "ack_facilitate"
        template = "ack_received" if low else template
        ctx.planned.append(PlannedMail("ack", template, sender))
        ctx.planned.append(PlannedMail("staff_notice", "staff_notice", staff, attach_original=True))
        return _triage(ctx, "new group proposal" if d.intent == "propose" else "facilitation offer")
    if d.intent == "question":
        ctx.planned.append(PlannedMail("ack", "ack_received", sender))
        return _triage(ctx, "question")
    if d.intent == "unsubscribe":
        return _triage(ctx, "unsubscribe request")
    if d.intent == "followup":
        return _triage(ctx, "follow-up to a conversation intake has not seen")
    return _triage(ctx, "not a group request (other)")


def groups_of(decision: Decision, env: Env) -> list[Group]:
    """The groups a decision is for (for `both`: each one chosen on the form, else the two
    best-scoring; intake/group_set.py)."""
    found = [
        env.rules.group(g) for g in group_set.group_ids(decision.group, decision.explanation.get("group"))
    ]
    return [g for g in found if g is not None]


def _triage(ctx: Context, reason: str) -> None:
    ctx.status, ctx.triage_reason = "triage", reason
