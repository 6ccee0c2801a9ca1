"""ECR lifecycle rules: let pushed images expire so storage stays inside the free tier.

ECR applies lifecycle rules by itself about once a day. The local emulator never applies them, so
`preview_lifecycle` evaluates the rules here (ECR's semantics: rules in priority order, each image is
claimed by the first rule it matches) and, on `aws`, asks ECR's own preview as well.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from helpers.aws import aws_errors, client
from helpers.core.config import KitConfig
from helpers.core.errors import KitError


def lifecycle_policy(expire_days: int = 1, keep_last: int | None = None) -> dict[str, Any]:
    """A policy that expires every image `expire_days` after push; optionally keep only the last K images."""
    if expire_days < 1:
        raise KitError(f"expire_days must be at least 1 (got {expire_days}): ECR counts whole days since push.")
    rules: list[dict[str, Any]] = []
    if keep_last is not None:
        if keep_last < 1:
            raise KitError(f"keep_last must be at least 1 (got {keep_last}), or None to keep every image.")
        rules.append({
            "rulePriority": 1,
            "description": f"keep only the last {keep_last} tagged images",
            # ECR allows one `any` rule, with the lowest priority: this one selects tagged images only.
            "selection": {"tagStatus": "tagged", "tagPatternList": ["*"], "countType": "imageCountMoreThan",
                          "countNumber": keep_last},
            "action": {"type": "expire"},
        })
    rules.append({
        "rulePriority": len(rules) + 1,
        "description": f"expire images {expire_days} day(s) after push",
        "selection": {"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days",
                      "countNumber": expire_days},
        "action": {"type": "expire"},
    })
    return {"rules": rules}


def apply_lifecycle_policy(cfg: KitConfig, repository: str, policy: dict[str, Any]) -> dict[str, Any]:
    """Put the policy on the repository (idempotent: it replaces any earlier one) and read it back."""
    ecr = client("ecr", cfg)
    with aws_errors():
        ecr.put_lifecycle_policy(repositoryName=repository, lifecyclePolicyText=json.dumps(policy))
        stored = ecr.get_lifecycle_policy(repositoryName=repository)
    return json.loads(stored["lifecyclePolicyText"])


@dataclass(frozen=True)
class Verdict:
    """What a lifecycle policy does to one image."""

    tags: tuple[str, ...]
    digest: str
    pushed_at: datetime
    size_mb: float
    expires: bool
    rule: int | None  # priority of the rule that expires it


def _images(cfg: KitConfig, repository: str) -> list[dict[str, Any]]:
    ecr = client("ecr", cfg)
    with aws_errors():
        pages = ecr.get_paginator("describe_images").paginate(repositoryName=repository)
        return [d for page in pages for d in page["imageDetails"]]


def evaluate_policy(policy: dict[str, Any], images: list[dict[str, Any]], now: datetime) -> list[Verdict]:
    """Apply ECR's lifecycle semantics to `images` (describe_images details) as of `now`."""
    claimed: dict[str, int | None] = {}
    for rule in sorted(policy["rules"], key=lambda r: r["rulePriority"]):
        sel = rule["selection"]
        candidates = [i for i in images if i["imageDigest"] not in claimed and _tag_matches(sel, i)]
        candidates.sort(key=lambda i: i["imagePushedAt"], reverse=True)  # newest first
        if sel["countType"] == "imageCountMoreThan":
            for i in candidates[: sel["countNumber"]]:
                claimed[i["imageDigest"]] = None  # kept by this rule
            for i in candidates[sel["countNumber"]:]:
                claimed[i["imageDigest"]] = rule["rulePriority"]
        else:  # sinceImagePushed
            limit = timedelta(days=sel["countNumber"])
            for i in candidates:
                if now - i["imagePushedAt"] > limit:
                    claimed[i["imageDigest"]] = rule["rulePriority"]
    return [
        Verdict(tuple(i.get("imageTags", [])), i["imageDigest"], i["imagePushedAt"],
                round(i.get("imageSizeInBytes", 0) / 1e6, 1),
                claimed.get(i["imageDigest"]) is not None, claimed.get(i["imageDigest"]))
        for i in sorted(images, key=lambda i: i["imagePushedAt"])
    ]


def _tag_matches(selection: dict[str, Any], image: dict[str, Any]) -> bool:
    status = selection["tagStatus"]
    tagged = bool(image.get("imageTags"))
    return status == "any" or (status == "tagged") == tagged


def preview_lifecycle(cfg: KitConfig, repository: str, policy: dict[str, Any],
                      days_from_now: float = 0) -> list[Verdict]:
    """Which images the policy expires `days_from_now` days from now (0: today)."""
    now = datetime.now(timezone.utc) + timedelta(days=days_from_now)
    return evaluate_policy(policy, _images(cfg, repository), now)
