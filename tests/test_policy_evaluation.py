"""The policy evaluator (helpers.core.policy_evaluation) on planted allow/deny cases, the attendee policy it
enforces offline, and the attendee policy linted by parliament (a real IAM policy linter)."""
from __future__ import annotations

import json
import warnings

import pytest

from helpers.core.policy_evaluation import Request, evaluate, substitute
from helpers.workshop.attendee_policy import (ATTENDEE_POLICY, BOUNDARY_POLICY, attendee_policy, boundary_policy)

ADA = {"aws:username": "ws-ada", "aws:PrincipalTag/team": "blue"}
FN = "arn:aws:lambda:us-east-1:123456789012:function:{}-translator-slim"


def allow(statement: dict, **extra) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **statement}, *extra.get("more", [])]}


@pytest.mark.parametrize("policy, request_, effect", [
    (allow({"Action": "lambda:Get*", "Resource": "*"}), Request("lambda:GetFunction", "x"), "Allow"),
    (allow({"Action": "LAMBDA:getfunction", "Resource": "*"}), Request("lambda:GetFunction", "x"), "Allow"),
    (allow({"Action": "lambda:Get?unction", "Resource": "*"}), Request("lambda:GetFunction", "x"), "Allow"),
    (allow({"Action": "lambda:Get*", "Resource": "*"}), Request("lambda:DeleteFunction", "x"), "ImplicitDeny"),
    (allow({"NotAction": "iam:*", "Resource": "*"}), Request("iam:CreateUser", "x"), "ImplicitDeny"),
    (allow({"NotAction": "iam:*", "Resource": "*"}), Request("lambda:DeleteFunction", "x"), "Allow"),
    (allow({"Action": "*", "NotResource": "arn:aws:s3:::secret*"}), Request("s3:GetObject", "arn:aws:s3:::secret1"),
     "ImplicitDeny"),
    (allow({"Action": "*", "Resource": "arn:aws:lambda:*:*:function:ws-*"}), Request("x:y", FN.format("WS-ada")),
     "ImplicitDeny"),  # resources match case-sensitively
    (allow({"Action": "*", "Resource": "*"}, more=[{"Effect": "Deny", "Action": "lambda:Delete*", "Resource": "*"}]),
     Request("lambda:DeleteFunction", FN.format("ws-ada"), ADA), "ExplicitDeny"),  # explicit deny wins
    (allow({"Action": "*", "Resource": "arn:aws:lambda:*:*:function:${aws:username}-*"}),
     Request("lambda:DeleteFunction", FN.format("ws-ada"), ADA), "Allow"),  # policy variable
    (allow({"Action": "*", "Resource": "arn:aws:lambda:*:*:function:${aws:username}-*"}),
     Request("lambda:DeleteFunction", FN.format("ws-bob"), ADA), "ImplicitDeny"),
    (allow({"Action": "*", "Resource": "arn:aws:lambda:*:*:function:${aws:username}-*"}),
     Request("lambda:DeleteFunction", FN.format("ws-ada"), {}), "ImplicitDeny"),  # variable missing: no match
    (allow({"Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/k": "${aws:username}"}}}),
     Request("a:b", "r", {**ADA, "aws:ResourceTag/k": "ws-ada"}), "Allow"),
    (allow({"Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/k": "${aws:username}"}}}),
     Request("a:b", "r", ADA), "ImplicitDeny"),  # key absent: the condition is false
    (allow({"Action": "*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:ResourceTag/k": "x"}}}),
     Request("a:b", "r", ADA), "Allow"),  # key absent: a negated operator is true
    (allow({"Action": "*", "Resource": "*", "Condition": {"StringEqualsIfExists": {"aws:ResourceTag/k": "x"}}}),
     Request("a:b", "r", ADA), "Allow"),
    (allow({"Action": "*", "Resource": "*", "Condition": {"Null": {"aws:RequestTag/k": "true"}}}),
     Request("a:b", "r", {"aws:RequestTag/k": "v"}), "ImplicitDeny"),
    (allow({"Action": "*", "Resource": "*", "Condition": {"StringLike": {"aws:PrincipalTag/team": ["red", "bl*"]}}}),
     Request("a:b", "r", ADA), "Allow"),  # values of one key are ORed
    (allow({"Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue",
                                                                            "aws:username": "ws-bob"}}}),
     Request("a:b", "r", ADA), "ImplicitDeny"),  # keys are ANDed
    (allow({"Action": "*", "Resource": "*", "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}}),
     Request("a:b", "r", {"aws:TagKeys": ["a", "c"]}), "ImplicitDeny"),
    (allow({"Action": "*", "Resource": "*", "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}}}),
     Request("a:b", "r", {"aws:TagKeys": ["a", "c"]}), "Allow"),
    (allow({"Action": "*", "Resource": "*", "Condition": {"ArnLike": {"iam:PermissionsBoundary": "arn:aws:iam::*:x"}}}),
     Request("iam:CreateRole", "r", {"iam:PermissionsBoundary": "arn:aws:iam::1:x"}), "Allow"),
])
def test_planted_cases(policy: dict, request_: Request, effect: str) -> None:
    assert evaluate(request_, [policy]).effect == effect


def test_a_permissions_boundary_caps_what_a_policy_allows() -> None:
    admin = allow({"Action": "*", "Resource": "*"})
    role = Request("iam:CreateUser", "arn:aws:iam::1:user/x")
    assert evaluate(role, [admin]).allowed
    decision = evaluate(role, [admin], boundary=boundary_policy())
    assert decision.effect == "ImplicitDeny" and "boundary" in decision.reason
    logs = Request("logs:PutLogEvents", "arn:aws:logs:us-east-1:1:log-group:/aws/lambda/ws-ada-translator-slim:x")
    assert evaluate(logs, [admin], boundary=boundary_policy()).allowed
    assert not evaluate(logs, [allow({"Action": "s3:*", "Resource": "*"})], boundary=boundary_policy()).allowed


def test_policy_variables_escape_and_default() -> None:
    assert substitute("a-${*}-${?}-${$}", {}) == "a-*-?-$"
    assert substitute("${aws:username, 'nobody'}", {}) == "nobody"
    assert substitute("${aws:username}", {}) is None


POLICY, BOUNDARY = attendee_policy(), boundary_policy()


def as_ada(action: str, resource: str, **context: str) -> str:
    return evaluate(Request(action, resource, {**ADA, **context}), [POLICY]).effect


def test_the_attendee_policy_allows_own_and_denies_others() -> None:
    assert as_ada("lambda:DeleteFunction", FN.format("ws-ada")) == "Allow"
    assert as_ada("lambda:DeleteFunction", FN.format("ws-bob")) == "ImplicitDeny"
    assert as_ada("lambda:CreateFunction", FN.format("ws-ada"), **{"aws:RequestTag/kit-prefix": "ws-ada"}) == "Allow"
    assert as_ada("lambda:CreateFunction", FN.format("ws-ada")) == "ExplicitDeny"  # untagged create
    assert as_ada("lambda:TagResource", FN.format("ws-ada"), **{"aws:RequestTag/kit-prefix": "ws-bob"}) == \
        "ExplicitDeny"
    api_part = "arn:aws:apigateway:us-east-1::/apis/a1b2c3/integrations"  # no tags in the call: not a retag
    assert as_ada("apigateway:POST", api_part, **{"aws:ResourceTag/kit-prefix": "ws-ada"}) == "Allow"
    repo = "arn:aws:ecr:us-east-1:1:repository/{}-translator"
    assert as_ada("ecr:BatchDeleteImage", repo.format("ws-bob")) == "ImplicitDeny"
    assert as_ada("ecr:DeleteRepository", repo.format("ws-bob")) == "ImplicitDeny"
    group = "arn:aws:logs:us-east-1:1:log-group:/aws/lambda/{}-translator-slim"
    assert as_ada("logs:DeleteLogGroup", group.format("ws-ada")) == "Allow"
    assert as_ada("logs:DeleteLogGroup", group.format("ws-bob")) == "ImplicitDeny"
    endpoint = "arn:aws:sagemaker:us-east-1:1:endpoint/{}-translator"
    assert as_ada("sagemaker:DeleteEndpoint", endpoint.format("ws-bob")) == "ImplicitDeny"
    api = "arn:aws:apigateway:us-east-1::/apis/a1b2c3"
    assert as_ada("apigateway:DELETE", api, **{"aws:ResourceTag/kit-prefix": "ws-ada"}) == "Allow"
    assert as_ada("apigateway:DELETE", api, **{"aws:ResourceTag/kit-prefix": "ws-bob"}) == "ImplicitDeny"
    assert as_ada("apigateway:GET", "arn:aws:apigateway:us-east-1::/apis") == "Allow"
    assert as_ada("budgets:ViewBudget", "arn:aws:budgets::1:budget/ltk-workshop") == "ExplicitDeny"


def test_attendees_create_roles_only_under_the_boundary_and_cannot_remove_it() -> None:
    role = "arn:aws:iam::1:role/ws-ada-translator-role"
    bounded = {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/ltk-workshop-boundary",
               "aws:RequestTag/kit-prefix": "ws-ada"}
    assert as_ada("iam:CreateRole", role, **bounded) == "Allow"
    assert as_ada("iam:CreateRole", role, **{"aws:RequestTag/kit-prefix": "ws-ada"}) == "ImplicitDeny"
    assert as_ada("iam:DeleteRolePermissionsBoundary", role) == "ExplicitDeny"
    assert as_ada("iam:AttachRolePolicy", role) == "ExplicitDeny"
    assert as_ada("iam:PassRole", role, **{"iam:PassedToService": "lambda.amazonaws.com"}) == "Allow"
    assert as_ada("iam:PassRole", role, **{"iam:PassedToService": "ec2.amazonaws.com"}) == "ImplicitDeny"
    assert as_ada("iam:PassRole", role.replace("ws-ada", "ws-bob"),
                  **{"iam:PassedToService": "lambda.amazonaws.com"}) == "ImplicitDeny"


def test_the_docs_hold_the_generated_policies() -> None:
    assert json.loads(ATTENDEE_POLICY.read_text()) == POLICY, "run python -m helpers.workshop.attendee_policy"
    assert json.loads(BOUNDARY_POLICY.read_text()) == BOUNDARY


@pytest.mark.parametrize("path", [ATTENDEE_POLICY, BOUNDARY_POLICY], ids=lambda p: p.name)
def test_parliament_finds_nothing_in_the_attendee_policies(path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # parliament imports pkg_resources (deprecated)
        from parliament import analyze_policy_string
    findings = analyze_policy_string(path.read_text()).findings
    assert findings == [], [(f.issue, f.detail) for f in findings]


def test_parliament_would_flag_a_planted_mistake() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from parliament import analyze_policy_string
    bad = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:DeleteFuncton",
                                                   "Resource": "*"}]}
    assert analyze_policy_string(json.dumps(bad)).findings
