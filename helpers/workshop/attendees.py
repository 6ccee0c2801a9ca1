"""The room's attendees on one account: an IAM user each (the user name is their prefix), the attendee policy
(docs/attendee-policy.json) inline, an access key, and the permissions boundary every role they create must carry.

Same code on both targets: on `aws` the facilitator hands each attendee their key (never printed here); on `local`
the keys are the emulator's, and the stack enforces the attendee policy for them (local_aws/iam).
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from helpers.aws import aws_errors, client
from helpers.core.attendee import ATTENDEE_TAG, PREFIX_RE
from helpers.core.config import KitConfig
from helpers.core.errors import KitError
from helpers.workshop.attendee_policy import BOUNDARY_NAME, attendee_policy, boundary_policy

POLICY_NAME = "ltk-attendee"
WORKSHOP_TAG = "kit-workshop"


@dataclass(frozen=True)
class Attendee:
    """One attendee: the IAM user (= prefix) and its access key (the secret is never shown)."""

    name: str
    access_key_id: str = ""
    secret_access_key: str = field(default="", repr=False)


def ensure_boundary(cfg: KitConfig) -> str:
    """The managed policy every attendee role is bounded by (created once); its ARN."""
    iam = client("iam", cfg)
    with aws_errors():
        account = client("sts", cfg).get_caller_identity()["Account"]
        arn = f"arn:aws:iam::{account}:policy/{BOUNDARY_NAME}"
        try:
            iam.get_policy(PolicyArn=arn)
        except iam.exceptions.NoSuchEntityException:
            iam.create_policy(PolicyName=BOUNDARY_NAME, PolicyDocument=json.dumps(boundary_policy()),
                              Description="lambda-torch-kit workshop: the most an attendee's role may do",
                              Tags=[{"Key": "project", "Value": "lambda-torch-kit"}])
    return arn


def create_attendee(cfg: KitConfig, name: str) -> Attendee:
    """An IAM user `name` with the attendee policy and a fresh access key (an existing user gets a new key)."""
    if not PREFIX_RE.fullmatch(name):
        raise KitError(f"Attendee name {name!r} must be a kit prefix (2-20 lowercase letters, digits or '-', "
                       "starting with a letter): the policy names their resources `${aws:username}-*`.")
    iam = client("iam", cfg)
    tags = [{"Key": "project", "Value": "lambda-torch-kit"}, {"Key": WORKSHOP_TAG, "Value": cfg.prefix}]
    with aws_errors():
        try:
            iam.create_user(UserName=name, Tags=tags)
        except iam.exceptions.EntityAlreadyExistsException:
            pass
        iam.put_user_policy(UserName=name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(attendee_policy()))
        key = iam.create_access_key(UserName=name)["AccessKey"]
    return Attendee(name, key["AccessKeyId"], key["SecretAccessKey"])


def attendee_config(cfg: KitConfig, attendee: Attendee, boundary_arn: str) -> KitConfig:
    """The kit's config as this attendee runs it: their prefix and tag, the boundary, and (local) their key."""
    tags = {"project": cfg.tags["project"], "kit-prefix": attendee.name, ATTENDEE_TAG: attendee.name}
    key = (attendee.access_key_id, attendee.secret_access_key) if cfg.target == "local" else None
    return replace(cfg, prefix=attendee.name, tags=tags, attendee=attendee.name, boundary=boundary_arn,
                   local_key=key)


def workshop_users(cfg: KitConfig) -> list[str]:
    """The IAM users this facilitator's workshop created (tag kit-workshop=<facilitator's prefix>)."""
    iam, found = client("iam", cfg), []
    with aws_errors():
        for page in iam.get_paginator("list_users").paginate():
            for user in page["Users"]:
                tags = {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName=user["UserName"])["Tags"]}
                if tags.get(WORKSHOP_TAG) == cfg.prefix:
                    found.append(user["UserName"])
    return sorted(found)


def delete_attendees(cfg: KitConfig, names: list[str]) -> list[str]:
    """Delete these attendee users (keys and policy first) and, when none is left, the boundary policy."""
    iam = client("iam", cfg)
    with aws_errors():
        for name in names:
            for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
                iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
            for policy in iam.list_user_policies(UserName=name)["PolicyNames"]:
                iam.delete_user_policy(UserName=name, PolicyName=policy)
            iam.delete_user(UserName=name)
        if not workshop_users(cfg):
            account = client("sts", cfg).get_caller_identity()["Account"]
            try:
                iam.delete_policy(PolicyArn=f"arn:aws:iam::{account}:policy/{BOUNDARY_NAME}")
            except iam.exceptions.NoSuchEntityException:
                pass
    return names


def boundary_exists(cfg: KitConfig) -> bool:
    iam: Any = client("iam", cfg)
    account = client("sts", cfg).get_caller_identity()["Account"]
    try:
        iam.get_policy(PolicyArn=f"arn:aws:iam::{account}:policy/{BOUNDARY_NAME}")
        return True
    except iam.exceptions.NoSuchEntityException:
        return False


def hand_out_keys(cfg: KitConfig, names: list[str], path: Path) -> Path:
    """Create the attendees (and the boundary) and write their keys to `path` (a CSV only the facilitator can read:
    mode 0600; the secrets are never printed): one line per attendee, with the settings their laptop needs."""
    boundary = ensure_boundary(cfg)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["attendee", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "KIT_REGION",
                         "KIT_PERMISSIONS_BOUNDARY", "KIT_TARGET"])
        for name in names:
            a = create_attendee(cfg, name)
            writer.writerow([a.name, a.access_key_id, a.secret_access_key, cfg.region, boundary, "aws"])
    return path
