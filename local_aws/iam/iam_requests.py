"""A signed request to the stack's front endpoint, as IAM sees it: the operation (from botocore's service models:
X-Amz-Target, the query's Action, or the REST path), and the IAM requests it makes (action, resource ARN, request
context: aws:RequestTag/*, aws:TagKeys, aws:ResourceTag/* of HTTP APIs, iam:PermissionsBoundary, and the
iam:PassRole a function or model with a role implies). ARN formats and condition keys: "Actions, resources, and
condition keys for AWS services" (Service Authorization Reference) for Lambda, ECR, CloudWatch Logs, IAM, SageMaker
and API Gateway (v2 resources are paths: arn:aws:apigateway:REGION::/apis/ID...).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, unquote

from helpers.core.policy_evaluation import Request

PREFIX = {"cloudwatch": "cloudwatch", "sagemaker-runtime": "sagemaker"}
RENAMED = {"lambda:Invoke": "lambda:InvokeFunction"}
FREE = {"sts:GetCallerIdentity"}  # no permission needed (STS API reference)
_PASSES = {"lambda": ("Role", "lambda.amazonaws.com"), "sagemaker": ("ExecutionRoleArn", "sagemaker.amazonaws.com")}


@dataclass(frozen=True)
class Call:
    """One API call: the botocore service model's name, the operation, its parameters, the HTTP method and path."""

    service: str
    operation: str
    params: dict[str, Any]
    method: str
    path: str


def model_name(scope: str, environ: dict) -> str:
    """botocore's service name for a request signed for `scope` (API Gateway v1/v2 and SageMaker share one)."""
    path = environ.get("PATH_INFO", "")
    if scope == "apigateway":
        return "apigatewayv2" if path.startswith("/v2/") else "apigateway"
    if scope == "sagemaker" and not environ.get("HTTP_X_AMZ_TARGET"):
        return "sagemaker-runtime"
    return {"monitoring": "cloudwatch"}.get(scope, scope)


@lru_cache(maxsize=32)
def _model(service: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


@lru_cache(maxsize=32)
def _routes(service: str) -> list[tuple[str, re.Pattern[str], str]]:
    """(method, path regex, operation) for a REST service, most literal first."""
    model, routes = _model(service), []
    for name in model.operation_names:
        http = model.operation_model(name).http
        template = http["requestUri"].split("?", 1)[0]
        regex = re.sub(r"\\\{(\w+)\\\+\\\}", r"(?P<\1>.+)", re.escape(template))
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", regex)
        routes.append((http["method"], re.compile(regex), name, len(re.sub(r"\{[^}]*\}", "", template))))
    return [(m, r, n) for m, r, n, _ in sorted(routes, key=lambda t: -t[3])]


def parse_call(service: str, environ: dict, body: bytes) -> Call | None:
    """The operation and parameters of a request (None: a service botocore does not know)."""
    method, path = environ.get("REQUEST_METHOD", ""), unquote(environ.get("PATH_INFO", ""))
    try:
        protocol = _model(service).protocol
    except Exception:  # an unknown service: the caller decides
        return None
    if protocol == "json":
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        params = json.loads(body or b"{}") if body.strip() else {}
        return Call(service, target.rsplit(".", 1)[-1], params if isinstance(params, dict) else {}, method, path)
    if protocol == "query":
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        return Call(service, form.pop("Action", ""), form, method, path)
    for verb, regex, name in _routes(service):
        match = regex.fullmatch(path)
        if verb == method and match:
            params = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
            try:
                doc = json.loads(body) if body.strip() else {}
            except ValueError:
                doc = {}
            return Call(service, name, {**params, **(doc if isinstance(doc, dict) else {}), **match.groupdict()},
                        method, path)
    return Call(service, "", {}, method, path)  # no route: the method and path still name action and resource


def request_tags(params: dict[str, Any]) -> dict[str, str]:
    """The tags a call sets: `Tags`/`tags` as a map or a Key/Value list, or IAM's Tags.member.N.Key/Value."""
    tags = params.get("Tags", params.get("tags"))
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    if isinstance(tags, list):
        return {str(t.get("Key", t.get("key"))): str(t.get("Value", t.get("value"))) for t in tags
                if isinstance(t, dict)}
    keys = {k[:-3]: v for k, v in params.items() if re.fullmatch(r"Tags\.member\.\d+\.Key", k)}
    return {v: str(params.get(f"{k}Value", "")) for k, v in keys.items()}


def _name(value: str, kind: str) -> str:
    """A name from a name-or-ARN parameter (Lambda's FunctionName may be an ARN, with a qualifier)."""
    if value.startswith("arn:"):
        value = value.split(f":{kind}:", 1)[-1] if f":{kind}:" in value else value.rsplit("/", 1)[-1]
    return value.split(":", 1)[0]


def resource_arn(call: Call, region: str, account: str) -> str:
    """The resource the call acts on, as the Service Authorization Reference names it ("*": none or many)."""
    p, svc = call.params, call.service
    if svc == "apigatewayv2":
        return f"arn:aws:apigateway:{region}::{call.path.removeprefix('/v2')}"
    for key in ("Resource", "ResourceArn", "resourceArn"):
        if isinstance(p.get(key), str) and p[key].startswith("arn:"):
            return str(p[key])
    if svc == "lambda" and "FunctionName" in p:
        return f"arn:aws:lambda:{region}:{account}:function:{_name(p['FunctionName'], 'function')}"
    if svc == "ecr":
        name = p.get("repositoryName") or "*"
        return f"arn:aws:ecr:{region}:{account}:repository/{name}"
    if svc == "logs" and (p.get("logGroupName") or p.get("logGroupIdentifier")):
        return f"arn:aws:logs:{region}:{account}:log-group:{p.get('logGroupName') or p['logGroupIdentifier']}"
    if svc == "iam":
        for key, kind in (("RoleName", "role"), ("UserName", "user"), ("GroupName", "group")):
            if key in p:
                return f"arn:aws:iam::{account}:{kind}/{p[key]}"
        return str(p.get("PolicyArn", "*"))
    if svc.startswith("sagemaker"):
        for key, kind in (("EndpointName", "endpoint"), ("EndpointConfigName", "endpoint-config"),
                          ("ModelName", "model")):
            if key in p:
                return f"arn:aws:sagemaker:{region}:{account}:{kind}/{str(p[key]).lower()}"
    if svc == "budgets" and "BudgetName" in p:
        return f"arn:aws:budgets::{account}:budget/{p['BudgetName']}"
    return "*"


def api_id(call: Call) -> str | None:
    """The HTTP API a v2 call is about (its routes, stages... inherit the API's tags), also through /tags/ARN."""
    match = re.search(r"/apis/([a-z0-9]+)", call.path)
    return match.group(1) if match else None


def iam_requests(call: Call, region: str, account: str, principal: dict[str, str],
                 resource_tags: dict[str, str], boundary: str | None) -> list[Request]:
    """The IAM requests one call makes (empty: it needs no permission)."""
    if call.service == "apigatewayv2":
        action = f"apigateway:{call.method}"
    else:
        action = f"{PREFIX.get(call.service, call.service)}:{call.operation}"
        action = RENAMED.get(action, action)
    if action in FREE:
        return []
    context: dict[str, Any] = dict(principal)
    tags = request_tags(call.params)
    if tags:
        context |= {f"aws:RequestTag/{k}": v for k, v in tags.items()} | {"aws:TagKeys": sorted(tags)}
    context |= {f"aws:ResourceTag/{k}": v for k, v in resource_tags.items()}
    if call.service == "iam" and (call.params.get("PermissionsBoundary") or boundary):
        context["iam:PermissionsBoundary"] = call.params.get("PermissionsBoundary") or boundary
    found = [Request(action, resource_arn(call, region, account), context)]
    role_key, to_service = _PASSES.get(call.service, ("", ""))
    if role_key and isinstance(call.params.get(role_key), str):
        found.append(Request("iam:PassRole", call.params[role_key], {**principal,
                                                                     "iam:PassedToService": to_service}))
    return found
