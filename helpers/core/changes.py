"""The toolkit every deploying stage (03, 03b, 04) shares: what a step changed, the waiters' pace, an AWS error's
code, and an IAM inline policy made equal to what the kit wants. Takes AWS clients as arguments; calls no helper
of `helpers.aws` (the layer above), so `helpers.aws.deploy_step` wraps it with the kit's AWS error sentences."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from helpers.core.config import KitConfig

LOG_RETENTION_DAYS = 7  # CloudWatch Logs keeps stored logs forever (and bills them) unless told otherwise


@dataclass
class Changes:
    """What a deploy run did, resource by resource ("function ltk-translator-slim"). `created`: made by this run;
    `updated`: existed and this run really changed it (a resource found already as wanted is in neither);
    `notes`: anything else worth a sentence."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """What the run did, in one line, then one line per note."""
        said = [f"created {', '.join(self.created)}"] if self.created else []
        said += [f"already there, brought up to date: {', '.join(self.updated)}"] if self.updated else []
        return "\n".join(["; ".join(said) or "already there, nothing to change", *self.notes])


def waiter_config(cfg: KitConfig) -> dict[str, int]:
    """How often and how long a boto3 waiter polls: every 5 s on AWS, every second on the local target."""
    return {"Delay": 5, "MaxAttempts": 60} if cfg.target == "aws" else {"Delay": 1, "MaxAttempts": 60}


def error_code(err: ClientError) -> str:
    """The AWS error code of a failed call (`ResourceConflictException`), or "" when the answer had none."""
    return str(err.response.get("Error", {}).get("Code", ""))


def put_inline_policy(iam: Any, role: str, policy_name: str, wanted: dict[str, Any]) -> str:
    """Make the role's inline policy `policy_name` equal `wanted` (`iam`: an IAM client): "created", "updated" or
    "unchanged"."""
    try:
        current = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
    except iam.exceptions.NoSuchEntityException:
        current = None
    if current == wanted:
        return "unchanged"
    iam.put_role_policy(RoleName=role, PolicyName=policy_name, PolicyDocument=json.dumps(wanted))
    return "created" if current is None else "updated"


def update_role(iam: Any, role: dict[str, Any], trust: dict[str, Any], tags: dict[str, str]) -> bool:
    """Bring an existing role's trust policy and tags to what the kit wants (`iam`: an IAM client; `role`: GetRole's
    `Role`); True when either really changed. Tags the kit does not set are left alone (TagRole merges)."""
    name, changed = role["RoleName"], False
    if role.get("AssumeRolePolicyDocument") != trust:
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
        changed = True
    current = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=name)["Tags"]}
    if any(current.get(k) != v for k, v in tags.items()):
        iam.tag_role(RoleName=name, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
        changed = True
    return changed


def put_log_group(logs: Any, group: str, tags: dict[str, str], changes: Changes) -> str:
    """The log group `group` (a function's or an endpoint's), created ahead of the service that writes to it, with
    the kit's tags and a LOG_RETENTION_DAYS retention (`logs`: a CloudWatch Logs client); its name. An existing
    group is re-tagged (TagResource merges) and listed as updated only when its retention had to change."""
    try:
        logs.create_log_group(logGroupName=group, tags=tags)
        changes.created.append(f"log group {group}")
        retention = None
    except logs.exceptions.ResourceAlreadyExistsException:
        found = next(g for g in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
                     if g["logGroupName"] == group)
        logs.tag_resource(resourceArn=found.get("logGroupArn") or found["arn"].removesuffix(":*"), tags=tags)
        retention = found.get("retentionInDays")
        if retention != LOG_RETENTION_DAYS:
            changes.updated.append(f"log group {group}")
    if retention != LOG_RETENTION_DAYS:
        logs.put_retention_policy(logGroupName=group, retentionInDays=LOG_RETENTION_DAYS)
    return group
