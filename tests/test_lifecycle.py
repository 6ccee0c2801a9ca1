"""Lifecycle rules: the policy we write, and ECR's semantics evaluated on hand-made image lists."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from helpers.core.errors import KitError
from helpers.cleanup.lifecycle import evaluate_policy, lifecycle_policy

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)


def _image(digest: str, days_old: float, tags: list[str] | None = None) -> dict:
    return {"imageDigest": digest, "imagePushedAt": NOW - timedelta(days=days_old),
            "imageTags": tags or [], "imageSizeInBytes": 50_000_000}


def test_policy_expires_after_n_days() -> None:
    policy = lifecycle_policy(expire_days=1)
    assert policy["rules"] == [{
        "rulePriority": 1, "description": "expire images 1 day(s) after push",
        "selection": {"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1},
        "action": {"type": "expire"},
    }]


def test_since_pushed_rule_expires_only_old_images() -> None:
    images = [_image("sha256:old", 2.5, ["slim-a"]), _image("sha256:new", 0.2, ["slim-b"])]
    verdicts = {v.digest: v.expires for v in evaluate_policy(lifecycle_policy(1), images, NOW)}
    assert verdicts == {"sha256:old": True, "sha256:new": False}


def test_keep_last_claims_images_before_the_age_rule() -> None:
    images = [_image(f"sha256:{i}", days_old=i * 0.1, tags=[f"t{i}"]) for i in range(5)]
    verdicts = evaluate_policy(lifecycle_policy(expire_days=30, keep_last=2), images, NOW)
    expired = sorted(v.digest for v in verdicts if v.expires)
    assert expired == ["sha256:2", "sha256:3", "sha256:4"]  # the three oldest go, by rule 1
    assert {v.rule for v in verdicts if v.expires} == {1}


def test_only_the_last_rule_selects_any_image() -> None:
    """ECR refuses a policy with more than one tagStatus=any rule, or one that is not the last."""
    rules = lifecycle_policy(expire_days=3, keep_last=2)["rules"]
    assert [r["selection"]["tagStatus"] for r in rules] == ["tagged", "any"]
    assert rules[0]["selection"]["tagPatternList"] == ["*"]


def test_everything_expires_once_time_passes() -> None:
    images = [_image("sha256:a", 0), _image("sha256:b", 0.5)]
    later = NOW + timedelta(days=2)
    assert all(v.expires for v in evaluate_policy(lifecycle_policy(1), images, later))


@pytest.mark.parametrize("kwargs", [{"expire_days": 0}, {"expire_days": 1, "keep_last": 0}])
def test_bad_policy_arguments_say_what_to_do(kwargs: dict) -> None:
    with pytest.raises(KitError, match="at least 1"):
        lifecycle_policy(**kwargs)
