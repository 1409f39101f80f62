"""The groups one request is for, read from its `group` and the decision's explanation.

A request's `group` is one group id, `new:<topic>`, `none`, or `both`: more than one
existing group. Which ones `both` means is in the explanation's group part: the groups
the visitor chose on the online form (`chosen`, any number, issue 22), else the
classifier's two best-scoring groups (`scores`), as for a mail about both groups.
Routing, the register, the desk's access rules and `requests list --json` all ask here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

BOTH = "both"


def group_ids(group_id: str | None, group_explanation: Mapping[str, Any] | None) -> list[str]:
    """The group ids a request is for, in order: the visitor's choice, else best first."""
    if not group_id or group_id == "none":
        return []
    if group_id != BOTH:
        return [group_id]
    detail = group_explanation if isinstance(group_explanation, Mapping) else {}
    chosen = detail.get("chosen")
    if isinstance(chosen, list) and all(isinstance(g, str) for g in chosen):
        return list(dict.fromkeys(chosen))
    scores = detail.get("scores")
    if not isinstance(scores, Mapping):
        return []
    return [g for g, _ in sorted(scores.items(), key=lambda kv: -kv[1])[:2]]


def chosen(groups: list[str]) -> tuple[str, dict[str, Any]]:
    """The `group` value for groups chosen on the form, and what the explanation's group
    part must carry so that group_ids() gives them back."""
    if len(groups) == 1:
        return groups[0], {}
    return BOTH, {"chosen": list(groups)}
