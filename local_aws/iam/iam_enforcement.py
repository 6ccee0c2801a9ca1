"""IAM enforcement on the local stack for callers with an IAM user's access key (a workshop's attendees).

moto's own opt-in authorization (INITIAL_NO_AUTH_ACTION_COUNT) only compares the Action element: its access_control
module says Resource and Condition are not supported ("TODO add support for the Resource and Condition parts"),
and most services pass resource "*". The attendee policy rests on resources named `${aws:username}-*` and on tag
conditions, so the stack evaluates it itself: the caller's access key -> the IAM user (moto's IAM state) -> the
user's inline, attached and group policies -> helpers.core.policy_evaluation for each IAM request the call makes
(iam_requests.py). A denied call gets AWS's AccessDenied in the service's protocol; nothing reaches moto.

Requests signed with the stack's own dummy key (the single-user kit, the facilitator, the emulator's internals)
are the account's administrator, as the account's root would be on AWS: unrestricted.
"""
from __future__ import annotations

import json
from typing import Any

from helpers.core.aws_facts.sigv4 import signed_key, signed_scope
from helpers.core.policy_evaluation import Decision, evaluate
from local_aws.front.wsgi import peek_body, respond
from local_aws.iam.iam_requests import Call, api_id, iam_requests, model_name, parse_call

def _iam(account: str) -> Any:
    from moto.iam.models import iam_backends

    return iam_backends[account]["aws"]


def _documents(iam: Any, user: Any) -> list[dict[str, Any]]:
    """Every identity-based policy of the user: inline, attached managed, and its groups'."""
    docs = [json.loads(d) if isinstance(d, str) else d for d in user.policies.values()]
    holders = [user, *[g for g in iam.groups.values() if user in getattr(g, "users", [])]]
    for holder in holders:
        if holder is not user:
            docs += [json.loads(d) if isinstance(d, str) else d for d in holder.policies.values()]
        for policy in holder.managed_policies.values():
            version = next(v for v in policy.versions if v.version_id == policy.default_version_id)
            doc = version.document
            docs.append(json.loads(doc) if isinstance(doc, str) else doc)
    return docs


def _principal(iam: Any, user: Any, account: str) -> dict[str, str]:
    tags = {t["Key"]: t["Value"] for t in iam.list_user_tags(user.name)}
    return {"aws:username": user.name, "aws:userid": user.id, "aws:PrincipalAccount": account,
            "aws:PrincipalArn": f"arn:aws:iam::{account}:user{user.path}{user.name}",
            **{f"aws:PrincipalTag/{k}": v for k, v in tags.items()}}


def _resource_tags(call: Call, region: str, account: str) -> dict[str, str]:
    """aws:ResourceTag/* where the attendee policy uses it: an HTTP API's tags (its routes, integrations and stages
    are authorized with them)."""
    if call.service != "apigatewayv2" or not api_id(call):
        return {}
    from moto.apigatewayv2.models import apigatewayv2_backends

    backend = apigatewayv2_backends[account][region]
    api = backend.apis.get(api_id(call))
    return backend.get_tags(api.arn) if api is not None else {}


def _role_boundary(call: Call, account: str, iam: Any) -> str | None:
    if call.service != "iam" or "RoleName" not in call.params:
        return None
    role = next((r for r in iam.get_roles() if r.name == call.params["RoleName"]), None)
    return getattr(role, "permissions_boundary_arn", None) or None


def _denied(call: Call, user_arn: str, action: str, resource: str, decision: Decision) -> tuple[int, dict, bytes]:
    why = ("with an explicit deny in an identity-based policy" if decision.effect == "ExplicitDeny" else
           "because no identity-based policy allows the " + action + " action")
    message = f"User: {user_arn} is not authorized to perform: {action} on resource: {resource} {why}"
    protocol = "rest-json" if call.service in ("lambda", "apigatewayv2", "sagemaker-runtime") else (
        "query" if call.service in ("iam", "sts", "cloudwatch") else "json")
    if protocol == "query":
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>{message}</Message>"
                "</Error><RequestId>denied-by-kit</RequestId></ErrorResponse>").encode()
        return 403, {"content-type": "text/xml"}, body
    if protocol == "rest-json":
        return 403, {"content-type": "application/json", "x-amzn-errortype": "AccessDeniedException"}, json.dumps(
            {"Message": message, "message": message}).encode()
    return 400, {"content-type": "application/x-amz-json-1.1"}, json.dumps(
        {"__type": "AccessDeniedException", "message": message}).encode()


def enforce(environ: dict, start_response: Any, account: str) -> Any | None:
    """AccessDenied (a WSGI response) when an IAM user's key signs a call its policies do not allow; else None."""
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    scope, key = signed_scope(authorization), signed_key(authorization)
    if scope is None or key is None:
        return None
    iam = _iam(account)
    user = iam.get_user_from_access_key_id(key)
    if user is None:  # the stack's own key: the account's administrator
        return None
    body, (region, service) = peek_body(environ), scope
    call = parse_call(model_name(service, environ), environ, body)
    if call is None:
        call = Call(service, "", {}, environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""))
    principal = _principal(iam, user, account)
    policies = _documents(iam, user)
    for request in iam_requests(call, region, account, principal, _resource_tags(call, region, account),
                                _role_boundary(call, account, iam)):
        decision = evaluate(request, policies)
        if not decision.allowed:
            status, headers, payload = _denied(call, principal["aws:PrincipalArn"], request.action,
                                               request.resource, decision)
            return respond(start_response, status, headers, payload)
    return None
