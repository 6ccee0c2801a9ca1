"""IAM's policy evaluation for one request within one account: identity-based policies and a permissions boundary.

Follows AWS's documented logic ("Policy evaluation logic" and "How AWS enforcement code logic evaluates requests to
allow or deny access", IAM User Guide, docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic
.html): every request starts implicitly denied; an explicit Deny in any applicable policy (identity or boundary)
wins; with a permissions boundary, the request must be allowed by the boundary AND by an identity-based policy.
Resource-based policies, SCPs/RCPs and session policies are not modelled (the kit's attendees have none).

Within a statement (IAM JSON policy element references): Action / NotAction match case-insensitively with `*` and
`?`; Resource / NotResource match case-sensitively with wildcards, after policy variables (`${aws:username}`,
`${aws:PrincipalTag/k}`, `${aws:userid}`, `${*}` `${?}` `${$}`, and `${key, 'default'}`) are replaced; a variable
missing from the request context makes that value match nothing. Condition: operators are ANDed, keys within an
operator ANDed, values of one key ORed. "If the key that you specify in a policy condition is not present in the
request context, the values do not match and the condition is false"; a negated operator (StringNotEquals,
StringNotLike, ArnNotLike) is then true; `...IfExists` is true when the key is absent; `Null` tests presence
("Condition operators", reference_policies_elements_condition_operators.html). Multivalued keys (aws:TagKeys)
take ForAllValues: (true when absent) or ForAnyValue: (false when absent).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from helpers.core.aws_facts.iam_match import as_list, statements

Context = dict[str, "str | list[str]"]
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


@dataclass(frozen=True)
class Request:
    """One call as IAM sees it: the action, the resource's ARN, and the request context's condition keys."""

    action: str
    resource: str
    context: Context = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """`Allow`, `ExplicitDeny` or `ImplicitDeny`, and which statement (or policy) decided."""

    effect: str
    reason: str

    @property
    def allowed(self) -> bool:
        return self.effect == "Allow"


def substitute(value: str, context: Context) -> str | None:
    """`value` with its policy variables replaced from the context; None when one is missing (no default)."""
    missing = False

    def one(match: re.Match[str]) -> str:
        nonlocal missing
        key, _, default = match.group(1).partition(",")
        key = key.strip()
        if key in _ESCAPES:
            return _ESCAPES[key]
        found = context.get(key)
        if isinstance(found, str):
            return found
        if default.strip():
            return default.strip().strip("'")
        missing = True
        return ""

    replaced = _VARIABLE.sub(one, value)
    return None if missing else replaced


def _glob(pattern: str, value: str, ignore_case: bool = False) -> bool:
    pattern = pattern.replace("[", "[[]")  # IAM wildcards are only * and ?
    return fnmatchcase(value.lower(), pattern.lower()) if ignore_case else fnmatchcase(value, pattern)


def _actions_match(patterns: Any, action: str) -> bool:
    return any(_glob(p, action, ignore_case=True) for p in as_list(patterns))


def _resources_match(patterns: Any, resource: str, context: Context) -> bool:
    for pattern in as_list(patterns):
        pattern = substitute(pattern, context)
        if pattern is not None and _glob(pattern, resource):
            return True
    return False


_OPERATORS = {  # name -> (compare one value with one policy value, negated)
    "StringEquals": (lambda v, p: v == p, False), "StringNotEquals": (lambda v, p: v == p, True),
    "StringEqualsIgnoreCase": (lambda v, p: v.lower() == p.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda v, p: v.lower() == p.lower(), True),
    "StringLike": (lambda v, p: _glob(p, v), False), "StringNotLike": (lambda v, p: _glob(p, v), True),
    "ArnEquals": (lambda v, p: v == p, False), "ArnLike": (lambda v, p: _glob(p, v), False),
    "ArnNotEquals": (lambda v, p: v == p, True), "ArnNotLike": (lambda v, p: _glob(p, v), True),
    "Bool": (lambda v, p: v.lower() == p.lower(), False),
}


def _condition_holds(operator: str, key: str, wanted: Any, context: Context) -> bool:
    present = key in context
    if operator == "Null":  # "true": the key must be absent
        return any((str(w).lower() == "true") != present for w in as_list(wanted))
    qualifier, _, op = operator.rpartition(":")
    if_exists = op.endswith("IfExists")
    op = op.removesuffix("IfExists")
    if op not in _OPERATORS:
        raise ValueError(f"condition operator {operator!r} is not modelled")
    compare, negated = _OPERATORS[op]
    if not present:
        if qualifier == "ForAllValues":
            return True
        return if_exists or (negated and qualifier != "ForAnyValue")
    values = [str(v) for v in as_list(context[key])]
    policy = [p for p in (substitute(str(w), context) for w in as_list(wanted)) if p is not None]

    def matches(value: str) -> bool:
        return any(compare(value, p) for p in policy)

    if qualifier == "ForAllValues":
        return all(matches(v) != negated for v in values)
    if qualifier == "ForAnyValue":
        return any(matches(v) != negated for v in values)
    return any(matches(v) for v in values) != negated


def statement_applies(statement: dict[str, Any], request: Request) -> bool:
    """Action (or NotAction), Resource (or NotResource) and every Condition match the request."""
    if "Action" in statement and not _actions_match(statement["Action"], request.action):
        return False
    if "NotAction" in statement and _actions_match(statement["NotAction"], request.action):
        return False
    if "Resource" in statement and not _resources_match(statement["Resource"], request.resource, request.context):
        return False
    if "NotResource" in statement and _resources_match(statement["NotResource"], request.resource,
                                                       request.context):
        return False
    return all(_condition_holds(op, key, wanted, request.context)
               for op, keys in (statement.get("Condition") or {}).items() for key, wanted in keys.items())


def _verdict(policies: list[dict[str, Any]], request: Request) -> tuple[str, str]:
    """("Deny" | "Allow" | "", the deciding statement's Sid) for one set of policies."""
    allow = ""
    for policy in policies:
        for n, statement in enumerate(statements(policy)):
            if statement_applies(statement, request):
                sid = statement.get("Sid") or f"statement {n}"
                if statement["Effect"] == "Deny":
                    return "Deny", sid
                allow = allow or sid
    return ("Allow", allow) if allow else ("", "")


def evaluate(request: Request, identity_policies: list[dict[str, Any]],
             boundary: dict[str, Any] | None = None) -> Decision:
    """The decision for `request` made by a user's or role's policies and its permissions boundary (if any)."""
    verdict, sid = _verdict(identity_policies + ([boundary] if boundary else []), request)
    if verdict == "Deny":
        return Decision("ExplicitDeny", f"explicitly denied by {sid}")
    if boundary is not None and _verdict([boundary], request)[0] != "Allow":
        return Decision("ImplicitDeny", "not allowed by the permissions boundary")
    verdict, sid = _verdict(identity_policies, request)
    if verdict == "Allow":
        return Decision("Allow", f"allowed by {sid}")
    return Decision("ImplicitDeny", "no statement allows it")
