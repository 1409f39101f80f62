"""Typed rows of whole tables: what the query modules return for a SELECT * (see
docs/design.md, "Persistence"). Columns as in db/migrations; a nullable column is `| None`."""

from __future__ import annotations

from typing import TypedDict


class RequestRow(TypedDict):
    """A whole row of requests."""

    id: int
    first_message: int
    created_at: str
    status: str
    token: str | None
    requester_email: str | None
    requester_name: str | None
    forwarded_by: str | None
    group_id: str | None
    intent: str | None
    language: str | None
    confidence: float | None
    runner_up: str | None
    organisation: str | None
    membership: str | None
    is_member: int | None
    member_match: str | None
    authenticated: int | None
    auth_evidence: str | None
    triage_reason: str | None
    explanation: str | None
    linked_request: int | None
    assigned_to: str | None
    updated_at: str | None
    language_detected: str | None
    language_confidence: float | None


class MessageRow(TypedDict):
    """A whole row of messages."""

    id: int
    message_key: str
    message_id: str | None
    size: int
    sha256: str
    stored_at: str
    internal_date: str | None
    status: str
    status_reason: str | None
    request_id: int | None
    role: str | None
    sender_email: str | None
    sender_name: str | None
    reply_to: str | None
    recipients: str | None
    subject: str | None
    date: str | None
    body_text: str | None
    attachments: str | None
    in_reply_to: str | None
    references_: str | None
    auth_results: str | None
    headers: str | None
    parse_notes: str | None
    screening: str | None
    screening_evidence: str | None
    auth_results_hops: str | None
    handled_mark: str | None
    redacted: str | None


class MemberRow(TypedDict):
    """A whole row of members."""

    id: int
    organisation: str
    country: str | None
    membership: str
    domains: str
    contact_emails: str
    updated_at: str


class GroupRow(TypedDict):
    """A whole row of register_groups."""

    id: str
    topic: str | None
    name: str
    names: str
    status: str
    source: str
    started_at: str | None
    closed_at: str | None
    facilitators: str
    inboxes: str
    cues: str
    merged_into: str | None
    ready_notified_at: str | None
    created_at: str
    updated_at: str


class ParticipantRow(TypedDict):
    """A whole row of participants."""

    id: int
    group_id: str
    organisation: str
    email: str
    contacts: str
    name: str | None
    language: str | None
    status: str
    request_id: int | None
    requested_at: str
    asked_at: str | None
    confirmed_at: str | None
    reminded_at: str | None
    leave_requested_at: str | None
    updated_at: str


class InterestRow(TypedDict):
    """A whole row of topic_interest."""

    id: int
    group_id: str
    request_id: int
    kind: str
    organisation: str | None
    email: str
    name: str | None
    language: str | None
    is_member: int
    at: str


class LinkRow(TypedDict):
    """A whole row of participant_links."""

    id: str
    participant_id: int
    created_at: str
    used_at: str | None
    used_by: str | None
    action: str | None


class SubmissionRow(TypedDict):
    """A whole row of form_submissions."""

    id: int
    token_hash: str
    email: str
    ip: str
    language: str
    payload: str
    created_at: str
    expires_at: str
    confirmed_at: str | None
    message_pk: int | None


class CheckpointRow(TypedDict):
    """A whole row of checkpoints."""

    inbox: str
    folder: str
    uidvalidity: int
    last_uid: int
    uidnext: int | None
    last_poll_at: str | None
    last_ok_at: str | None
    last_error: str | None
    failures: int
