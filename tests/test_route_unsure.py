"""Unsure decisions: only a join request (acted on without a person) goes to triage as `low confidence`."""

from __future__ import annotations

import pytest

from intake.cli.common import Obj
from intake.context import Context, Decision, Membership
from intake.stages import route
from intake.stages.parse import parse_bytes
from tests.conftest import write_config

RAW = (
    b"From: Ana <ana@city.example>\r\nTo: procurement@iclei.org\r\nSubject: Hello\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nHello.\r\n"
)


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("INTAKE_TEST_PASSWORD", "x")
    path = write_config(tmp_path, imap_port=1, smtp_port=1, inboxes=[{"name": "general", "username": "u"}])
    return Obj(str(path), "test").env


def planned(env, intent: str, confidence: float, group: str = "srpp-ict") -> Context:
    ctx = Context(message_pk=None, raw=RAW, inboxes=["general"])
    ctx.mail = parse_bytes(RAW)
    ctx.decision = Decision(
        group=group, intent=intent, language="en", confidence=confidence, runner_up="question"
    )
    ctx.membership = Membership(organisation="City", match="domain", counts=True)
    route.plan(ctx, env)
    return ctx


def test_an_unsure_join_request_goes_to_triage_as_low_confidence(env):
    # A join would be forwarded with no person looking: unsure, it waits, with the generic ack.
    ctx = planned(env, "join", 0.4)
    assert ctx.status == "triage"
    assert ctx.triage_reason.startswith("low confidence 0.40")
    assert [p.template for p in ctx.planned] == ["ack_received"]
    sure = planned(env, "join", 0.9)
    assert sure.status == "routed" and "ack_join" in [p.template for p in sure.planned]


@pytest.mark.parametrize(
    "intent, reason, templates",
    [
        ("question", "question", ["ack_received"]),
        ("propose", "new group proposal", ["ack_received", "staff_notice"]),
        ("facilitate", "facilitation offer", ["ack_received", "staff_notice"]),
        ("unsubscribe", "unsubscribe request", []),
        ("other", "not a group request (other)", []),
    ],
)
def test_an_unsure_request_a_person_handles_anyway_keeps_its_reason(env, intent, reason, templates):
    # Triage by policy is not triage because unsure; the ack never names what the mail may not be.
    ctx = planned(env, intent, 0.4, group="new:x" if intent == "propose" else "srpp-ict")
    assert ctx.status == "triage"
    assert ctx.triage_reason == reason
    assert [p.template for p in ctx.planned] == templates


def test_a_sure_proposal_gets_its_own_acknowledgement(env):
    # Above the threshold a proposal is thanked as a proposal.
    ctx = planned(env, "propose", 0.9, group="new:x")
    assert [p.template for p in ctx.planned] == ["ack_proposal", "staff_notice"]
