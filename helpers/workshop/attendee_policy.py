"""The attendee IAM policy of a workshop on one shared account, derived from the single-user policy
(docs/iam-policy.json) so the two never drift: every action the kit needs, on resources named `${aws:username}-*`
(the attendee's prefix is their IAM user name, helpers.core.attendee), plus:

- created resources must carry `kit-prefix=${aws:username}` (aws:RequestTag), and no tag call may set another;
- HTTP APIs (named by random ids) only when tagged `kit-prefix=${aws:username}` (aws:ResourceTag);
- roles only with the facilitator's permissions boundary (iam:PermissionsBoundary), which caps what the roles an
  attendee creates can ever do (logs, pulling images, metrics): no escalation through a role;
- explicitly denied: touching any permissions boundary, policy versions, users, and AWS Budgets (the facilitator's).

AWS sources: "IAM policy elements: Variables and tags", "Controlling access to AWS resources using tags"
(aws:RequestTag, aws:ResourceTag, aws:TagKeys), "Permissions boundaries for IAM entities" (iam:PermissionsBoundary on
iam:CreateRole / iam:PutRolePolicy), IAM User Guide.
"""
from __future__ import annotations

import copy
import json
from typing import Any

from helpers.core.paths import REPO_ROOT

SINGLE_USER_POLICY = REPO_ROOT / "docs" / "iam-policy.json"
ATTENDEE_POLICY = REPO_ROOT / "docs" / "attendee-policy.json"
BOUNDARY_POLICY = REPO_ROOT / "docs" / "attendee-boundary.json"
BOUNDARY_NAME = "ltk-workshop-boundary"
OWN = "${aws:username}"
PREFIX_TAG = "aws:RequestTag/kit-prefix"
CREATES = ["lambda:CreateFunction", "ecr:CreateRepository", "iam:CreateRole", "logs:CreateLogGroup",
           "sagemaker:CreateModel", "sagemaker:CreateEndpointConfig", "sagemaker:CreateEndpoint"]
TAGGING = ["lambda:TagResource", "ecr:TagResource", "iam:TagRole", "logs:TagResource", "sagemaker:AddTags"]
NEVER = ["iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary", "iam:CreatePolicy",
         "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:AttachRolePolicy", "iam:*User*",
         "iam:*Group*", "budgets:*"]


def _own(resource: str) -> str:
    return resource.replace("/ltk-", f"/{OWN}-").replace(":ltk-", f":{OWN}-")


def _boundary_arn() -> str:
    return f"arn:aws:iam::*:policy/{BOUNDARY_NAME}"


def _statements(single: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for st in copy.deepcopy(single["Statement"]):
        res = st["Resource"]
        st["Resource"] = [_own(r) for r in res] if isinstance(res, list) else _own(res)
        if st["Sid"] == "LoginAndListings":  # listing repositories names a repository resource (a linter finding)
            st["Action"] = [a for a in st["Action"] if a != "ecr:DescribeRepositories"]
            out.append({"Sid": "ListRepositories", "Effect": "Allow", "Action": "ecr:DescribeRepositories",
                        "Resource": "arn:aws:ecr:*:*:repository/*"})
        if st["Sid"] == "HttpApis":
            out += _http_api_statements(st["Action"])
            continue
        if st["Sid"] == "KitExecutionRole":  # roles are made and given policies only under the boundary
            bounded = ["iam:CreateRole", "iam:PutRolePolicy"]
            st["Action"] = [a for a in st["Action"] if a not in bounded]
            out.append({"Sid": "OwnRolesUnderTheBoundary", "Effect": "Allow", "Action": bounded,
                        "Resource": st["Resource"],
                        "Condition": {"ArnLike": {"iam:PermissionsBoundary": _boundary_arn()}}})
        out.append(st)
    return out


def _http_api_statements(actions: list[str]) -> list[dict[str, Any]]:
    """APIs have random ids: listing is open, creating needs the attendee's tag, the rest the API's tag."""
    return [
        {"Sid": "ListHttpApis", "Effect": "Allow", "Action": "apigateway:GET",
         "Resource": "arn:aws:apigateway:*::/apis"},
        {"Sid": "CreateOwnHttpApis", "Effect": "Allow", "Action": "apigateway:POST",
         "Resource": "arn:aws:apigateway:*::/apis", "Condition": {"StringEquals": {PREFIX_TAG: OWN}}},
        {"Sid": "OwnHttpApis", "Effect": "Allow", "Action": actions,
         "Resource": ["arn:aws:apigateway:*::/apis/*", "arn:aws:apigateway:*::/tags/*"],
         "Condition": {"StringEquals": {"aws:ResourceTag/kit-prefix": OWN}}},
    ]


def attendee_policy() -> dict[str, Any]:
    """The attendee's identity policy (the user's only policy; its boundary is the same document)."""
    single = json.loads(SINGLE_USER_POLICY.read_text())
    denies = [
        {"Sid": "CreateOnlyWithOwnPrefixTag", "Effect": "Deny", "Action": CREATES, "Resource": "*",
         "Condition": {"StringNotEquals": {PREFIX_TAG: OWN}}},
        {"Sid": "NeverRetagToAnotherPrefix", "Effect": "Deny", "Action": TAGGING + ["apigateway:POST"],
         "Resource": "*",  # only calls that set the tag (Null false), to another value
         "Condition": {"Null": {PREFIX_TAG: "false"}, "StringNotEquals": {PREFIX_TAG: OWN}}},
        {"Sid": "NoEscalationNoBudgets", "Effect": "Deny", "Action": NEVER, "Resource": "*"},
    ]
    return {"Version": "2012-10-17", "Statement": _statements(single) + denies}


def boundary_policy() -> dict[str, Any]:
    """The permissions boundary of every role an attendee creates: what Lambda's and SageMaker's execution roles
    may ever do (their own policies narrow it further)."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "WriteKitLogs", "Effect": "Allow",
         "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
         "Resource": ["arn:aws:logs:*:*:log-group:/aws/lambda/*", "arn:aws:logs:*:*:log-group:/aws/sagemaker/*"]},
        {"Sid": "PullImages", "Effect": "Allow",
         "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
         "Resource": "arn:aws:ecr:*:*:repository/*"},
        {"Sid": "RegistryLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {"Sid": "EndpointMetrics", "Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*"},
    ]}


def write_policies() -> None:
    """Write docs/attendee-policy.json and docs/attendee-boundary.json (a test keeps them equal to the code)."""
    for path, doc in ((ATTENDEE_POLICY, attendee_policy()), (BOUNDARY_POLICY, boundary_policy())):
        path.write_text(json.dumps(doc, indent=2) + "\n")


if __name__ == "__main__":
    write_policies()
