"""Who may call which web endpoint: one table, checked on the server before every view.

A form hidden in a template keeps nobody out; this table does. Every endpoint of
the app must have a rule here: an endpoint without one is refused (and
tests/test_web_access.py fails), so a new route cannot ship unguarded.

Rules:
- public:  anyone, also without a session (the login page, static files);
- account: any logged-in account (queue, logout);
- request: staff, or the facilitator of the request's group (others get 404);
- group:   staff, or the facilitator of the group named in the URL (others get 404);
- staff:   staff only (the roster, the overview, linking senders, replaying);
- admin:   admins only (account administration); everyone else gets 404.
"""

from __future__ import annotations

import json

from intake import group_set, queries_requests, queries_staff
from intake.accounts import Account
from intake.store import Store

PUBLIC, ACCOUNT, REQUEST, GROUP, STAFF = "public", "account", "request", "group", "staff"
ADMIN = "admin"

RULES: dict[str, str] = {
    "auth.login": PUBLIC,
    "static": PUBLIC,
    "auth.logout": ACCOUNT,
    "desk.home": ACCOUNT,
    "desk.queue": ACCOUNT,
    "desk.request_page": REQUEST,
    "desk.preview": REQUEST,
    "desk.resolve": REQUEST,
    "desk.close": REQUEST,
    "desk.reopen": REQUEST,
    "desk.assign": REQUEST,
    "desk.note": REQUEST,
    "desk.attachment": REQUEST,
    "reply.form": REQUEST,  # a reply to the requester (docs/desk.md); may_reply decides
    "reply.preview": REQUEST,
    "reply.send": REQUEST,
    "desk.link": STAFF,  # changes the roster: who counts as a member
    "desk.replay": STAFF,  # re-runs the pipeline on a shunted message
    "roster.members_page": STAFF,
    "roster.members_upload": STAFF,
    "roster.members_apply": STAFF,
    "roster.overview": STAFF,
    "privacy.erase": STAFF,  # erases a person's data (GDPR art. 17), after confirmation
    "register.link_page": PUBLIC,  # the facilitator's link: its signed, single-use token is the key
    "register.overview": ACCOUNT,  # groups; a facilitator sees their own
    "register.group_page": GROUP,
    "register.participant_action": GROUP,  # confirm, decline, leave
    "register.record_meeting": GROUP,
    "register.start": STAFF,
    "register.set_status": STAFF,
    "register.cues": STAFF,
    "register.merge": STAFF,
    "register.report_page": STAFF,
    "register.report_csv": STAFF,
    "monitoring.healthz": PUBLIC,  # for load balancers: no personal data
    "monitoring.metrics": PUBLIC,  # for Prometheus: counts only
    "form.interest": PUBLIC,  # the online form (issue 22): anyone may express interest
    "form.confirm_page": PUBLIC,  # its mailed link: the random secret in the link is the key
    "admin.accounts_page": ADMIN,  # desk accounts (issue 21): only admins manage them
    "admin.add_account": ADMIN,
    "admin.account_page": ADMIN,
    "admin.set_role": ADMIN,
    "admin.set_disabled": ADMIN,
    "admin.reset_password": ADMIN,
    "own.password_page": ACCOUNT,  # one's own password, after the current one
}


def rule_of(endpoint: str | None) -> str | None:
    return RULES.get(endpoint or "")


def may_see_request(store: Store, account: Account, request_id: int) -> bool:
    """Staff see every request; a facilitator their own group's (or a "both" request whose
    two best-scoring groups include theirs). An unknown id (or one beyond SQLite's
    integers) is not seen by anyone."""
    if not 0 < request_id < 2**63:
        return False
    row = queries_requests.group_of(store, request_id)
    if row is None:
        return False
    if not account.is_facilitator:
        return True
    return account.group_id in groups_of(row["group_id"], row["explanation"])


def groups_of(group_id: str | None, explanation: str | None) -> list[str]:
    """The groups a request belongs to: its group, or for "both" each one (intake/group_set.py)."""
    try:
        detail = json.loads(explanation or "{}").get("classification", {}).get("group")
    except (ValueError, AttributeError):
        detail = None
    return group_set.group_ids(group_id, detail)


def may_see_group(account: Account, group_id: str) -> bool:
    """Staff see every group; a facilitator their own."""
    return not account.is_facilitator or account.group_id == group_id


def may_route_to(account: Account, group: str) -> bool:
    """Staff route anywhere; a facilitator only within their own group."""
    return not account.is_facilitator or group == account.group_id


def may_reply(store: Store, account: Account, request_id: int) -> bool:
    """Staff answer any request; a facilitator only one of their own group (not a "both"
    request they can read because their group is one of its two)."""
    if not account.is_facilitator:
        return True
    row = queries_requests.group_of(store, request_id)
    return row is not None and row["group_id"] == account.group_id


def assignable(store: Store, request_id: int) -> list[str]:
    """Who a request may be assigned to: enabled accounts that can see it."""
    row = queries_requests.group_of(store, request_id)
    groups = groups_of(row["group_id"], row["explanation"]) if row else []
    return [
        r["name"]
        for r in queries_staff.enabled_accounts(store)
        if r["role"] != "facilitator" or r["group_id"] in groups
    ]
