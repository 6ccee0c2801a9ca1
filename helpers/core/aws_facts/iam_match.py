"""IAM policy matching as the emulator needs it: does an Allow statement grant this action (IAM User Guide, "IAM JSON
policy elements": Action and Resource take `*` and `?` wildcards, actions match case-insensitively; a resource-based
policy also names a Principal and may put the caller's ARN under Condition `AWS:SourceArn`). No Deny, no other
conditions: what the kit's own policies use."""
from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any

SOURCE_ARN_OPERATORS = ("ArnLike", "ArnEquals", "StringLike", "StringEquals")


def as_list(value: Any) -> list[Any]:
    """A policy field as a list (a single value, a list, or absent)."""
    return [] if value is None else value if isinstance(value, list) else [value]


def statements(doc: Any) -> list[dict[str, Any]]:
    """The statements of a policy document (JSON text or parsed)."""
    doc = json.loads(doc) if isinstance(doc, str) else doc
    return [st for st in as_list(doc.get("Statement") if isinstance(doc, dict) else None) if isinstance(st, dict)]


def _action_matches(st: dict[str, Any], action: str) -> bool:
    return any(fnmatchcase(action.lower(), str(a).lower()) for a in as_list(st.get("Action")))


def allows(docs: list[Any], action: str, resource: str) -> bool:
    """Whether an Allow statement of the identity policies `docs` grants `action` on `resource`."""
    return any(st.get("Effect") == "Allow" and _action_matches(st, action)
               and any(fnmatchcase(resource, str(r)) for r in as_list(st.get("Resource", "*")))
               for doc in docs for st in statements(doc))


def allows_service(policy: Any, service: str, action: str, source_arn: str) -> bool:
    """Whether the resource-based `policy` lets `service` (a service principal) do `action` from `source_arn`."""
    for st in statements(policy or {}):
        principal = st.get("Principal")
        services = as_list(principal.get("Service") if isinstance(principal, dict) else principal)
        if st.get("Effect") != "Allow" or service not in services or not _action_matches(st, action):
            continue
        cond = st.get("Condition") or {}
        patterns = [p for op in SOURCE_ARN_OPERATORS for p in as_list((cond.get(op) or {}).get("AWS:SourceArn"))]
        if not patterns or any(fnmatchcase(source_arn, p) for p in patterns):
            return True
    return False
