"""The state one message carries through the pipeline, and what every stage may use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from intake.config import Config
    from intake.rulebook import Rulebook
    from intake.store import Store
    from intake.templating import Templates


@dataclass
class Attachment:
    filename: str
    content_type: str
    size: int


@dataclass
class ParsedMail:
    sender_email: str
    sender_name: str
    reply_to: str | None
    recipients: list[str]
    subject: str
    date: str | None
    body_text: str
    attachments: list[Attachment]
    message_id: str | None
    in_reply_to: str | None
    references: list[str]
    auth_results: list[str]
    headers: dict[str, str]  # screening-relevant headers, lower-case names
    content_types: list[str]  # every MIME part's type, for screening
    notes: list[str] = field(default_factory=list)  # decoding fixes applied
    forwarded_from: tuple[str, str] | None = None  # (name, email) of an original writer
    # per Authentication-Results value: how many Received headers stand above it (RFC 8601
    # section 5: only those our border server added, above its Received line, count)
    auth_results_hops: list[int] = field(default_factory=list)
    single_mailbox: bool = True  # From is exactly one address: one writer to answer


@dataclass
class Decision:
    """Who/what/which-language, with the reasons behind each part."""

    group: str | None = None
    intent: str | None = None
    language: str | None = None  # the language we answer in (English when unsure)
    language_detected: str | None = None  # what the text looked like, however unsure
    language_confidence: float | None = None
    confidence: float = 0.0
    runner_up: str | None = None
    explanation: dict[str, Any] = field(default_factory=dict)


@dataclass
class Membership:
    organisation: str | None = None
    membership: str | None = None
    match: str = "none"  # exact | domain | subdomain | none
    authenticated: bool | None = None
    auth_evidence: str | None = None
    counts: bool = False  # whether the match counts under the trust policy
    possible_spoof: bool = False  # a trusted server reported dkim/dmarc=fail
    note: str | None = None


@dataclass
class PlannedMail:
    kind: str  # ack | forward | staff_notice
    template: str
    recipient: str
    attach_original: bool = False


@dataclass
class Env:
    """What stages may use besides the message: read-only config and rules, the store."""

    config: Config
    rules: Rulebook
    store: Store
    templates: Templates
    actor: str = "service"


@dataclass
class Context:
    message_pk: int | None
    raw: bytes = field(repr=False)
    inboxes: list[str] = field(default_factory=list)
    internal_date: str | None = None
    handled_mark: str | None = None  # our handled flag was on the server when fetched
    mail: ParsedMail | None = None
    unparseable: str | None = None
    screening: str | None = None
    screening_evidence: list[str] = field(default_factory=list)
    followup_of: int | None = None
    followup_refused: dict | None = None  # claimed a conversation its sender is not part of
    linked_request: int | None = None
    thread_evidence: str | None = None
    decision: Decision = field(default_factory=Decision)
    membership: Membership = field(default_factory=Membership)
    status: str = "new"  # the request status the route stage decides
    triage_reason: str | None = None
    planned: list[PlannedMail] = field(default_factory=list)
    suppressed: list[str] = field(default_factory=list)
    request_id: int | None = None
    outbox_ids: list[int] = field(default_factory=list)

    @property
    def is_human(self) -> bool:
        return self.screening == "human"
