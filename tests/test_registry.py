"""What ECR must hold for Lambda: the pull policy, single-platform images of the function's architecture, and sizes
as the registry stores them; the base image pulled for the target platform."""
from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from helpers import aws
from helpers.build import base_image, ecr, registry
from helpers.build.image_spec import BuiltImage, StagedImage
from helpers.core.config import KitConfig, get_config
from helpers.core.errors import KitError
from helpers.deploy.settings import function_name
from helpers.core.aws_facts.image_manifests import INDEX_TYPES

CONFIG_TYPE, LAYER_TYPE = ecr.CONFIG_TYPE, ecr.LAYER_TYPE


@pytest.fixture
def calls(kit_home, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """moto's in-process ECR behind one client per service; yields the ECR operations called."""
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    seen: list[str] = []
    with mock_aws():
        clients: dict[str, Any] = {}

        def client(service: str, cfg: Any = None) -> Any:
            if service not in clients:
                clients[service] = boto3.client(service, region_name="us-east-1")
                clients[service].meta.events.register("before-call", lambda model, **_: seen.append(model.name))
            return clients[service]

        monkeypatch.setattr(aws, "client", client)
        yield seen


def manifest(layers: list[tuple[str, int]], media_type: str = ecr.MANIFEST_TYPE, config: str = "c") -> str:
    return json.dumps({"schemaVersion": 2, "mediaType": media_type,
                       "config": {"mediaType": CONFIG_TYPE, "size": 10, "digest": "sha256:" + config * 64},
                       "layers": [{"mediaType": LAYER_TYPE, "size": size, "digest": "sha256:" + d * 64}
                                  for d, size in layers]})


def put(name: str, tag: str, text: str, media_type: str | None = None) -> None:
    digest = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    boto3.client("ecr", region_name="us-east-1").put_image(
        repositoryName=name, imageManifest=text, imageTag=tag, imageDigest=digest,
        **({"imageManifestMediaType": media_type} if media_type else {}))


# ------------------------------------------------------------------------------------ the repository policy

def test_lambda_may_pull_for_the_kits_functions_and_the_policy_is_set_once(calls: list[str]) -> None:
    cfg = get_config(target="local", region="us-east-1")
    repo = ecr.ensure_repository(cfg)
    ecr_client = aws.client("ecr")
    policy = json.loads(ecr_client.get_repository_policy(repositoryName=repo["repositoryName"])["policyText"])
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert sorted(statement["Action"]) == ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    pattern = statement["Condition"]["StringLike"]["aws:sourceArn"]
    assert pattern == "arn:aws:lambda:us-east-1:123456789012:function:ltk-translator-*"
    for runtime in ("slim", "torch"):  # the functions 03 creates are the ones allowed
        assert fnmatch.fnmatch(f"arn:aws:lambda:us-east-1:123456789012:function:{function_name(cfg, runtime)}",
                               pattern)
    assert not fnmatch.fnmatch("arn:aws:lambda:us-east-1:123456789012:function:someone-else", pattern)
    calls.clear()
    ecr.ensure_repository(cfg)  # a second run: the policy is read, not written (no set-policy rights needed)
    assert "GetRepositoryPolicy" in calls and "SetRepositoryPolicy" not in calls


def test_other_statements_of_the_repository_policy_are_kept(calls: list[str]) -> None:
    cfg = get_config(target="local", region="us-east-1")
    repo = ecr.ensure_repository(cfg)
    theirs = {"Sid": "Theirs", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
              "Action": ["ecr:BatchGetImage"]}
    aws.client("ecr").set_repository_policy(repositoryName=repo["repositoryName"], policyText=json.dumps(
        {"Version": "2012-10-17", "Statement": [theirs]}))
    assert registry.ensure_lambda_pull_policy(cfg, repo) is True
    statements = json.loads(aws.client("ecr").get_repository_policy(
        repositoryName=repo["repositoryName"])["policyText"])["Statement"]
    assert [s["Sid"] for s in statements] == ["Theirs", registry.PULL_SID]


# ------------------------------------------------------------------------------------ checks after every push

def test_a_pushed_index_is_refused_with_the_reason(calls: list[str]) -> None:
    cfg = get_config(target="local", region="us-east-1")
    repo = ecr.ensure_repository(cfg)
    index = json.dumps({"schemaVersion": 2, "mediaType": INDEX_TYPES[1], "manifests": [
        {"mediaType": ecr.MANIFEST_TYPE, "size": 1, "digest": "sha256:" + "a" * 64,
         "platform": {"architecture": "amd64", "os": "linux"}}]})
    put(repo["repositoryName"], "slim-v1", index, INDEX_TYPES[1])
    with pytest.raises(KitError, match=r"is an image index .*not a single-platform image: Lambda refuses it.*"
                                       r"--provenance=false"):
        registry.verify_pushed_image(cfg, repo["repositoryName"], "slim-v1", "x86_64",
                                     lambda d: {"architecture": "amd64"})


def test_an_image_of_another_architecture_is_refused(calls: list[str]) -> None:
    cfg = get_config(target="local", region="us-east-1")
    repo = ecr.ensure_repository(cfg)
    put(repo["repositoryName"], "slim-v1", manifest([("1", 5)]))
    asked: list[str] = []

    def config_of(digest: str) -> dict[str, Any]:
        asked.append(digest)
        return {"architecture": "arm64", "os": "linux"}

    with pytest.raises(KitError, match=r"built for 'arm64' but the function runs on x86_64 \(amd64\).*exec format"):
        registry.verify_pushed_image(cfg, repo["repositoryName"], "slim-v1", "x86_64", config_of)
    assert asked == ["sha256:" + "c" * 64]  # the config named by the pushed manifest
    assert registry.verify_pushed_image(cfg, repo["repositoryName"], "slim-v1", "arm64", config_of)["layers"]


def test_the_aws_engine_push_reads_the_config_back_from_ecr(calls: list[str], monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path) -> None:
    """After a push to ECR the manifest and config are fetched from the registry, not from the local engine."""
    import helpers.core.engine

    class Docker:  # enough of docker.DockerClient: the "push" lands the manifest in moto's ECR
        images = api = None

        def get(self, ref: str) -> Any:
            return type("Image", (), {"tag": lambda self, repo, tag: None})()

        def push(self, repo: str, tag: str, **kw: Any) -> Iterator[dict]:
            put(repo.rsplit("/", 1)[1], tag, manifest([("1", 5)]))
            yield {"status": "Pushed"}

    docker = Docker()
    docker.images = docker.api = docker
    monkeypatch.setattr(helpers.core.engine, "require_engine", lambda: docker)
    fetched: list[str] = []
    monkeypatch.setattr(ecr, "ecr_config_blob",
                        lambda cfg, repo: lambda d: fetched.append(d) or {"architecture": "arm64"})
    staged = StagedImage(runtime="slim", arch="x86_64", version="v1", context=str(tmp_path), key="k")
    with pytest.raises(KitError, match="built for 'arm64'"):
        ecr.push_image(KitConfig(target="aws", region="us-east-1", tags={"project": "lambda-torch-kit",
                                                                         "kit-prefix": "ltk"}),
                       BuiltImage(staged=staged, image_ref="ltk-translator:slim-v1"))
    assert fetched and "BatchGetImage" in calls


# ------------------------------------------------------------------------------------ sizes as stored

def test_stored_sizes_count_shared_base_layers_once(calls: list[str]) -> None:
    cfg = get_config(target="local", region="us-east-1")
    repo = ecr.ensure_repository(cfg)
    base = [("a", 100_000_000), ("b", 50_000_000)]
    added = registry.added_layer_count()  # the Dockerfile's final stage: one layer per COPY
    slim = [(str(d), 1_000_000 * (d + 1)) for d in range(added)]
    torch = [(f"{d}{d}"[:1].upper(), 10_000_000) for d in "def"[:added]]
    put(repo["repositoryName"], "slim-v1", manifest(base + slim, config="1"))
    put(repo["repositoryName"], "torch-v1", manifest(base + torch, config="2"))
    sizes = registry.stored_sizes(cfg, repo["repositoryName"])
    own = sum(s for _, s in slim) + sum(s for _, s in torch)
    assert sizes.stored_bytes == 150_000_000 + own  # the base once, not twice
    assert sizes.without_base_bytes == own
    row = {r["tags"]: r for r in sizes.rows}["slim-v1"]
    assert row["base layers"] == 2 and row["MB with base"] == round((150e6 + sum(s for _, s in slim)) / 1e6, 1)


# ------------------------------------------------------------------------------------ the base image's platform

class _Image:
    def __init__(self, arch: str) -> None:
        self.attrs = {"Architecture": arch}


class _Images:
    def __init__(self, have: dict[str, str]) -> None:
        self.have, self.pulls = have, []  # ref -> architecture

    def get(self, ref: str) -> _Image:
        import docker

        if ref not in self.have:
            raise docker.errors.ImageNotFound(ref)
        return _Image(self.have[ref])

    def pull(self, ref: str, platform: str | None = None) -> None:
        self.pulls.append((ref, platform))
        self.have[ref] = (platform or "linux/amd64").split("/")[1]


def test_the_base_is_pulled_for_the_functions_platform() -> None:
    images = _Images({base_image.AWS_BASE: "amd64"})  # this machine's cached base is amd64
    client = type("Client", (), {"images": images})()
    assert base_image.resolve_base_image(client, "arm64") == base_image.AWS_BASE
    assert images.pulls == [(base_image.AWS_BASE, "linux/arm64")]  # not reused: pulled for arm64
    images.pulls.clear()
    assert base_image.resolve_base_image(client, "arm64") == base_image.AWS_BASE and images.pulls == []
