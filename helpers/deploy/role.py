"""The execution role: Lambda may assume it, and it may write the function's logs, nothing else."""
from __future__ import annotations

import json

from helpers import aws
from helpers.core.config import KitConfig
from helpers.deploy.settings import Changes, role_name, waiter_config

BASIC_EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
}


def ensure_role(cfg: KitConfig, changes: Changes) -> str:
    """The execution role (trusts Lambda, may only write its logs), created or brought up to date; its ARN."""
    iam, name = aws.client("iam", cfg), role_name(cfg)
    tags = [{"Key": k, "Value": v} for k, v in cfg.tags.items()]
    try:
        role = iam.get_role(RoleName=name)["Role"]
        if role.get("AssumeRolePolicyDocument") != TRUST_POLICY:
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(TRUST_POLICY))
        iam.tag_role(RoleName=name, Tags=tags)
        changes.updated.append(f"role {name}")
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST_POLICY), Tags=tags,
            Description="lambda-torch-kit translator: write its own CloudWatch logs, nothing else",
        )["Role"]
        iam.get_waiter("role_exists").wait(RoleName=name, WaiterConfig=waiter_config(cfg))
        changes.created.append(f"role {name}")
    attached = {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]}
    if BASIC_EXECUTION_POLICY not in attached:
        iam.attach_role_policy(RoleName=name, PolicyArn=BASIC_EXECUTION_POLICY)
    return role["Arn"]

