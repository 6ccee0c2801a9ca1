"""The execution role: Lambda may assume it, and it may write its own functions' logs, nothing else.

AWS's managed `AWSLambdaBasicExecutionRole` lets a function write to *every* log group of the account (`*`); the
kit's role gets an inline policy limited to `/aws/lambda/<prefix>-translator-*`. The log groups are created by the
kit (function.py) with a retention period, so stored logs do not grow (and bill) forever.
"""
from __future__ import annotations

import json
from typing import Any

from helpers import aws
from helpers.core.attendee import owner_clash
from helpers.core.config import KitConfig
from helpers.core.errors import KitError
from helpers.core.changes import Changes, put_inline_policy, update_role, waiter_config
from helpers.deploy.settings import role_name

BASIC_EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"  # too broad: detached
LOG_POLICY_NAME = "write-own-logs"
LAMBDA_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
}


def log_policy(cfg: KitConfig, account: str) -> dict[str, Any]:
    """The role's only permissions: create and write the log groups of the kit's functions in this region."""
    groups = f"arn:aws:logs:{cfg.region}:{account}:log-group:/aws/lambda/{cfg.name('translator-')}*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "CreateOwnLogGroups", "Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": groups},
            {"Sid": "WriteOwnLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": f"{groups}:*"},
        ],
    }


def ensure_role(cfg: KitConfig, changes: Changes) -> str:
    """The execution role (trusts Lambda, may only write its functions' logs), created or updated; its ARN."""
    iam, name = aws.client("iam", cfg), role_name(cfg)
    tags = [{"Key": k, "Value": v} for k, v in cfg.tags.items()]
    try:
        role = iam.get_role(RoleName=name)["Role"]
        clash = owner_clash({t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=name)["Tags"]}, cfg.prefix,
                            cfg.attendee)
        if clash:
            raise KitError(clash)
        changed = update_role(iam, role, LAMBDA_TRUST_POLICY, cfg.tags)
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY), Tags=tags,
            Description="lambda-torch-kit translator: write its own CloudWatch logs, nothing else", **cfg.role_extras(),
        )["Role"]
        iam.get_waiter("role_exists").wait(RoleName=name, WaiterConfig=waiter_config(cfg))
        changes.created.append(f"role {name}")
        changed = False
    changed |= put_inline_policy(iam, name, LOG_POLICY_NAME, log_policy(cfg, role["Arn"].split(":")[4])) == "updated"
    attached = {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]}
    if BASIC_EXECUTION_POLICY in attached:  # an earlier kit version attached it: every log group of the account
        iam.detach_role_policy(RoleName=name, PolicyArn=BASIC_EXECUTION_POLICY)
        changed = True
    if changed:
        changes.updated.append(f"role {name}")
    return str(role["Arn"])
