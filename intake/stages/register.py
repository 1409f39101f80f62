"""Register stage: what a decided request means for the Interest Group register.

A forwarded member join makes (or updates) a `forwarded` participant, so the forward
can carry the facilitator's confirmation link; a proposal, facilitation offer or join
for a topic that is not yet a group counts towards that topic. Runs after `record`
(the request id exists) and before `respond` (which renders the link), in the
message's transaction.
"""

from __future__ import annotations

from intake import register
from intake.context import Context, Env

# the Context fields this stage uses, and those it produces (see intake/stage_view.py)
READS: tuple[str, ...] = (
    "mail",
    "is_human",
    "decision",
    "membership",
    "followup_of",
    "planned",
    "request_id",
)
WRITES: tuple[str, ...] = ()


def run(ctx: Context, env: Env) -> None:
    register.note_request(ctx, env)
