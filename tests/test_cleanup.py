"""04_cleanup's delete-everything path: found by tags/prefix (no state file needed), foreign resources kept."""
from __future__ import annotations

import json

import pytest

from helpers.aws import client
from helpers.cleanup.sweep import delete_kit_resources, find_kit_resources, prove_nothing_left
from helpers.core.config import KitConfig, get_config
from helpers.core.errors import KitError

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def _make_resources(prefix: str, tags: dict[str, str]) -> None:
    """What a half-failed run leaves, tagged: a role with a policy, a repository, an API and a log group."""
    iam = client("iam")
    iam.create_role(RoleName=f"{prefix}-role", AssumeRolePolicyDocument=json.dumps(TRUST),
                    Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    iam.attach_role_policy(RoleName=f"{prefix}-role", PolicyArn=BASIC)
    iam.put_role_policy(RoleName=f"{prefix}-role", PolicyName="logs", PolicyDocument=json.dumps(TRUST | {
        "Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]}))
    client("ecr").create_repository(repositoryName=f"{prefix}-images",
                                    tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    client("apigatewayv2").create_api(Name=f"{prefix}-api", ProtocolType="HTTP", Tags=tags)
    client("logs").create_log_group(logGroupName=f"/aws/lambda/{prefix}-translator-slim")


def test_delete_finds_everything_by_tags_and_keeps_foreign_resources(local_stack) -> None:
    cfg = get_config(prefix="ltk")
    _make_resources("ltk", cfg.tags)
    _make_resources("other", {"project": "someone-else"})
    found = find_kit_resources(cfg)
    assert {k: len(found[k]) for k in ("http_apis", "lambda_functions", "iam_roles", "ecr_repositories",
                                       "log_groups")} == {
        "http_apis": 1, "lambda_functions": 0, "iam_roles": 1, "ecr_repositories": 1, "log_groups": 1}

    deleted = delete_kit_resources(cfg)
    assert deleted == found
    assert all(not names for names in prove_nothing_left(cfg).values())
    # The other project's resources are untouched.
    assert client("iam").get_role(RoleName="other-role")["Role"]["RoleName"] == "other-role"
    assert [a["Name"] for a in client("apigatewayv2").get_apis()["Items"]] == ["other-api"]
    assert client("ecr").describe_repositories()["repositories"][0]["repositoryName"] == "other-images"


def test_a_same_prefixed_resource_tagged_for_another_project_is_kept(local_stack) -> None:
    cfg = get_config(prefix="ltk")
    client("ecr").create_repository(repositoryName="ltk-theirs", tags=[{"Key": "project", "Value": "theirs"}])
    assert "ltk-theirs" not in find_kit_resources(cfg)["ecr_repositories"]
    delete_kit_resources(cfg)
    assert client("ecr").describe_repositories(repositoryNames=["ltk-theirs"])["repositories"]


def test_untagged_resources_are_the_kits_only_under_its_exact_names(local_stack) -> None:
    """A run that failed before tagging left `ltk-translator` untagged: deleted. `ltk-notes` (untagged, same
    prefix) and `/aws/lambda/ltk-translator-slim-old` are someone else's: kept."""
    cfg = get_config(prefix="ltk")
    ecr, logs = client("ecr"), client("logs")
    ecr.create_repository(repositoryName="ltk-translator")
    ecr.create_repository(repositoryName="ltk-notes")
    for group in ("/aws/lambda/ltk-translator-torch", "/aws/lambda/ltk-translator-slim-old", "/aws/lambda/ltk-x"):
        logs.create_log_group(logGroupName=group)
    found = find_kit_resources(cfg)
    assert found["ecr_repositories"] == ["ltk-translator"]
    assert found["log_groups"] == ["/aws/lambda/ltk-translator-torch"]
    delete_kit_resources(cfg)
    assert "ltk-notes" in [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]
    with pytest.raises(ecr.exceptions.RepositoryNotFoundException):
        ecr.describe_repositories(repositoryNames=["ltk-translator"])
    assert sorted(g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/ltk-")[
        "logGroups"]) == ["/aws/lambda/ltk-translator-slim-old", "/aws/lambda/ltk-x"]


def test_a_resource_gone_meanwhile_does_not_stop_the_sweep(local_stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Eventual consistency: what the search found may be gone when its delete call arrives (NotFound)."""
    import helpers.cleanup.sweep as sweep

    cfg = get_config(prefix="ltk")
    _make_resources("ltk", cfg.tags)
    stale = find_kit_resources(cfg)
    stale["lambda_functions"].append("ltk-translator-slim")  # listed a moment ago, deleted since
    stale["log_groups"].append("/aws/lambda/ltk-translator-torch")
    monkeypatch.setattr(sweep, "find_kit_resources", lambda cfg: stale)
    assert delete_kit_resources(cfg) == stale
    monkeypatch.undo()
    assert all(not names for names in find_kit_resources(cfg).values())


def test_the_proof_that_nothing_is_left_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    import helpers.cleanup.sweep as sweep

    answers = [{"iam_roles": ["ltk-translator-role"]}, {"iam_roles": ["ltk-translator-role"]}, {"iam_roles": []}]
    monkeypatch.setattr(sweep, "find_kit_resources", lambda cfg: answers.pop(0))
    slept: list[float] = []
    assert prove_nothing_left(get_config(target="local"), sleep=slept.append) == {"iam_roles": []}
    assert slept == [2.0, 4.0]
    monkeypatch.setattr(sweep, "find_kit_resources", lambda cfg: {"iam_roles": ["ltk-translator-role"]})
    monkeypatch.setattr(sweep.time, "monotonic", iter(range(0, 1000, 10)).__next__)
    with pytest.raises(KitError, match=r"Still there after 60 s: iam_roles: ltk-translator-role"):
        prove_nothing_left(get_config(target="local"), sleep=lambda s: None)


def test_deleting_on_aws_needs_confirmation(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = KitConfig(target="aws")
    with pytest.raises(KitError, match="CONFIRM_DELETE = True"):
        delete_kit_resources(cfg)


class _FakeImage:
    def __init__(self, image_id: str, tags: list[str]) -> None:
        self.id, self.short_id, self.tags = image_id, image_id[:19], tags


class _FakeImages:
    def __init__(self) -> None:
        self.removed: list[tuple[str, bool]] = []
        self.filters: dict | None = None

    def list(self, filters: dict) -> list[_FakeImage]:
        self.filters = filters
        return [_FakeImage("sha256:" + "a" * 64, ["ltk-translator:slim-v1", "127.0.0.1:5000/ltk-translator:slim-v1"]),
                _FakeImage("sha256:" + "b" * 64, [])]  # a build's untagged stage image

    def remove(self, image_id: str, force: bool) -> None:
        self.removed.append((image_id, force))


def test_built_images_are_found_by_label_and_removed_with_all_tags() -> None:
    from helpers.cleanup.sweep import remove_built_images

    client = type("Client", (), {"images": _FakeImages()})()
    removed = remove_built_images(client)
    assert client.images.filters == {"label": "ltk.model-version"}
    assert client.images.removed == [("sha256:" + "a" * 64, True), ("sha256:" + "b" * 64, True)]
    assert removed == ["ltk-translator:slim-v1", "127.0.0.1:5000/ltk-translator:slim-v1", "sha256:bbbbbbbbbbbb"]
