"""Lifecycle rules: the safe policy we write, ECR's semantics and validation, on hand-made image lists."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from helpers.cleanup.lifecycle import lifecycle_policy, seed_lifecycle_policy
from helpers.core.errors import KitError
from helpers.core.aws_facts.ecr_lifecycle import evaluate_policy, tag_selected, validate_policy

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)


def _image(digest: str, days_old: float, tags: list[str] | None = None) -> dict:
    return {"imageDigest": digest, "imagePushedAt": NOW - timedelta(days=days_old),
            "imageTags": tags or [], "imageSizeInBytes": 50_000_000}


def _expired(policy: dict, images: list[dict], when: datetime = NOW) -> list[str]:
    return sorted(v.digest for v in evaluate_policy(policy, images, when) if v.expires)


def test_the_safe_policy_expires_untagged_images_and_keeps_the_newest_per_runtime() -> None:
    rules = lifecycle_policy(untagged_days=1, keep_per_runtime=2)["rules"]
    assert [(r["rulePriority"], r["selection"]["tagStatus"], r["selection"].get("tagPatternList"),
             r["selection"]["countType"], r["selection"]["countNumber"]) for r in rules] == [
        (1, "untagged", None, "sinceImagePushed", 1),
        (2, "tagged", ["torch-*"], "imageCountMoreThan", 2),
        (3, "tagged", ["slim-*"], "imageCountMoreThan", 2)]
    assert not any(r["selection"]["tagStatus"] == "any" for r in rules)
    assert validate_policy(lifecycle_policy()) == []


def test_the_deployed_tags_are_never_selected_however_much_time_passes() -> None:
    """The newest slim and torch images (what 03 deploys) survive any date; older versions and orphans go."""
    images = [_image("sha256:slim-old", 30, ["slim-v1"]), _image("sha256:slim-mid", 20, ["slim-v2"]),
              _image("sha256:slim-new", 10, ["slim-v3"]), _image("sha256:torch", 10, ["torch-v3"]),
              _image("sha256:orphan", 2)]
    for when in (NOW, NOW + timedelta(days=3650)):
        assert _expired(lifecycle_policy(1, 2), images, when) == ["sha256:orphan", "sha256:slim-old"]


def test_the_seed_rule_expires_the_deployed_images_a_day_later() -> None:
    images = [_image("sha256:slim", 0.5, ["slim-v1"]), _image("sha256:torch", 0.5, ["torch-v1"])]
    assert _expired(seed_lifecycle_policy(1), images) == []
    assert _expired(seed_lifecycle_policy(1), images, NOW + timedelta(days=1)) == ["sha256:slim", "sha256:torch"]


def test_a_tag_match_claims_the_image_even_when_the_rule_keeps_it() -> None:
    """ECR: an image that matches the tagging requirements of a rule cannot be expired by a lower-priority rule."""
    policy = {"rules": [
        {"rulePriority": 1, "selection": {"tagStatus": "tagged", "tagPatternList": ["slim-*"],
                                          "countType": "imageCountMoreThan", "countNumber": 5},
         "action": {"type": "expire"}},
        {"rulePriority": 2, "selection": {"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days",
                                          "countNumber": 1}, "action": {"type": "expire"}}]}
    images = [_image("sha256:slim", 9, ["slim-v1"]), _image("sha256:other", 9, ["misc"])]
    verdicts = {v.digest: v for v in evaluate_policy(policy, images, NOW)}
    assert not verdicts["sha256:slim"].expires and verdicts["sha256:slim"].rule == 1
    assert verdicts["sha256:other"].expires and verdicts["sha256:other"].rule == 2
    assert verdicts["sha256:slim"].reason.startswith("kept: among the newest 5 slim-*")


@pytest.mark.parametrize("selection, tags, selected", [
    ({"tagStatus": "tagged", "tagPatternList": ["slim-*"]}, ["slim-abc"], True),
    ({"tagStatus": "tagged", "tagPatternList": ["slim-*"]}, ["torch-abc"], False),
    ({"tagStatus": "tagged", "tagPatternList": ["slim-*", "torch-*"]}, ["slim-abc"], False),  # ALL patterns
    ({"tagStatus": "tagged", "tagPatternList": ["slim-*", "*-abc"]}, ["slim-abc"], True),
    ({"tagStatus": "tagged", "tagPrefixList": ["sl"]}, ["slim-abc"], True),
    ({"tagStatus": "untagged"}, [], True),
    ({"tagStatus": "untagged"}, ["x"], False),
    ({"tagStatus": "any"}, [], True),
])
def test_tag_selection(selection: dict, tags: list[str], selected: bool) -> None:
    assert tag_selected(selection, tags) is selected


@pytest.mark.parametrize("rules, problem", [
    ([{"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}},
      {"rulePriority": 2, "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan",
                                        "countNumber": 1}}], "highest rulePriority"),
    ([{"rulePriority": 1, "selection": {"tagStatus": "tagged", "countType": "imageCountMoreThan",
                                        "countNumber": 1}}], "needs a tagPatternList"),
    ([{"rulePriority": 1, "selection": {"tagStatus": "tagged", "tagPatternList": ["*a*b*c*d*e*"],
                                        "countType": "imageCountMoreThan", "countNumber": 1}}], "four wildcards"),
    ([{"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                                        "countNumber": 1}}], "countUnit 'days'"),
    ([{"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan",
                                        "countNumber": 1}},
      {"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan",
                                        "countNumber": 1}}], "its own rulePriority"),
])
def test_policies_ecr_refuses_are_refused(rules: list[dict], problem: str) -> None:
    assert any(problem in p for p in validate_policy({"rules": rules}))


@pytest.mark.parametrize("kwargs", [{"untagged_days": 0}, {"keep_per_runtime": 0}])
def test_bad_policy_arguments_say_what_to_do(kwargs: dict) -> None:
    with pytest.raises(KitError, match="at least 1"):
        lifecycle_policy(**kwargs)
