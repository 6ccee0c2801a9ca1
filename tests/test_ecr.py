"""ECR against moto's in-process emulator: idempotent repository, local registration, SDK push (mocked)."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from helpers import aws
from helpers.build import ecr, image_spec, layers
from helpers.core.config import KitConfig, get_config
from helpers.core.errors import KitError
from local_aws.ecr.images import find_image


@pytest.fixture
def cfg(kit_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[KitConfig]:
    """The local target's code path, pointed at moto's in-process mock."""
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        monkeypatch.setattr(aws, "client", lambda service, cfg=None: boto3.client(service, region_name="us-east-1"))
        yield get_config(target="local", region="us-east-1")


@pytest.fixture
def staged(tmp_path: Path) -> image_spec.StagedImage:
    """A small staged image: a real layer tar.gz of a tiny task root."""
    root = tmp_path / "fs" / "var" / "task"
    (root / "lambda_app").mkdir(parents=True)
    (root / "lambda_app" / "app.py").write_text("def handler(e, c): return e\n" * 50)
    tarball = tmp_path / "layer.tar.gz"
    digest, diff_id = layers.write_layer(root, tarball)
    return image_spec.StagedImage(runtime="slim", arch="x86_64", version="v1", context=str(tmp_path), key="k",
                             env={"MODEL_RUNTIME": "slim"}, cmd=["lambda_app.app.handler"], task_root=str(root),
                             tarball=str(tarball), layer_digest=digest, diff_id=diff_id,
                             task_root_bytes=layers.dir_bytes(root), tar_gz_bytes=tarball.stat().st_size)


def test_repository_is_created_once_with_scan_on_push_and_tags(cfg: KitConfig) -> None:
    first = ecr.ensure_repository(cfg)
    client = boto3.client("ecr", region_name="us-east-1")
    client.put_image_scanning_configuration(repositoryName="ltk-translator",
                                            imageScanningConfiguration={"scanOnPush": False})
    second = ecr.ensure_repository(cfg)
    repos = client.describe_repositories()["repositories"]
    assert [r["repositoryName"] for r in repos] == ["ltk-translator"]
    assert first["repositoryUri"] == second["repositoryUri"]
    assert repos[0]["imageScanningConfiguration"] == {"scanOnPush": True}  # re-applied
    tags = client.list_tags_for_resource(resourceArn=repos[0]["repositoryArn"])["tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"project": "lambda-torch-kit", "kit-prefix": "ltk"}


def test_local_manifest_describes_the_staged_layer(staged: image_spec.StagedImage) -> None:
    manifest, digest = ecr.local_manifest(staged)
    m = json.loads(manifest)
    assert m["layers"] == [{"mediaType": ecr.LAYER_TYPE, "size": staged.tar_gz_bytes, "digest": staged.layer_digest}]
    assert digest == "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
    assert ecr.local_manifest(staged) == (manifest, digest)  # deterministic


def test_register_staged_puts_image_and_records_task_root(cfg: KitConfig, staged: image_spec.StagedImage) -> None:
    pushed = ecr.push_image(cfg, image_spec.BuiltImage(staged=staged))
    client = boto3.client("ecr", region_name="us-east-1")
    detail = client.describe_images(repositoryName="ltk-translator")["imageDetails"]
    assert len(detail) == 1 and detail[0]["imageTags"] == ["slim-v1"]
    assert detail[0]["imageSizeInBytes"] == staged.tar_gz_bytes == pushed.size_bytes
    assert pushed.uri.endswith(".dkr.ecr.us-east-1.amazonaws.com/ltk-translator:slim-v1")
    assert pushed.digest == detail[0]["imageDigest"] == ecr.local_manifest(staged)[1]
    for uri in (pushed.uri, pushed.uri_by_digest):
        rec = find_image(uri)
        assert rec is not None and rec.task_root == staged.task_root and rec.handler == "lambda_app.app.handler"
        assert rec.container_image is None and rec.architecture == "x86_64"


def test_pushing_again_changes_nothing(cfg: KitConfig, staged: image_spec.StagedImage) -> None:
    first = ecr.push_image(cfg, image_spec.BuiltImage(staged=staged))
    second = ecr.push_image(cfg, image_spec.BuiltImage(staged=staged))
    client = boto3.client("ecr", region_name="us-east-1")
    assert first == second
    assert len(client.describe_images(repositoryName="ltk-translator")["imageDetails"]) == 1
    rows = ecr.list_images(cfg)
    assert [r["tags"] for r in rows] == ["slim-v1"] and rows[0]["size_mb"] == round(staged.tar_gz_bytes / 1e6, 1)


@pytest.mark.parametrize("where", ["during put_image", "after put_image", "recording the task root"])
def test_an_interrupted_push_is_completed_by_a_re_run(cfg: KitConfig, staged: image_spec.StagedImage,
                                                      monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """Ctrl-C (or a kernel restart) anywhere in 02's push leaves state that re-running the cell completes."""
    import local_aws.face

    real_client, real_register = aws.client, local_aws.face.register_image

    class Interrupting:  # the ECR client, with the push's put_image interrupted before or after it lands
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

        def put_image(self, **kw: Any) -> Any:
            if where == "after put_image":
                self.inner.put_image(**kw)
            raise KeyboardInterrupt

    def register(rec: Any) -> None:
        raise KeyboardInterrupt

    if where == "recording the task root":
        monkeypatch.setattr(local_aws.face, "register_image", register)
    else:
        monkeypatch.setattr(aws, "client", lambda service, cfg=None: Interrupting(real_client(service, cfg)))
    with pytest.raises(KeyboardInterrupt):
        ecr.push_image(cfg, image_spec.BuiltImage(staged=staged))
    monkeypatch.setattr(aws, "client", real_client)
    monkeypatch.setattr(local_aws.face, "register_image", real_register)
    pushed = ecr.push_image(cfg, image_spec.BuiltImage(staged=staged))  # the re-run
    listed = boto3.client("ecr", region_name="us-east-1").describe_images(repositoryName="ltk-translator")
    assert [d["imageTags"] for d in listed["imageDetails"]] == [["slim-v1"]]
    rec = find_image(pushed.uri)
    assert rec is not None and rec.digest == pushed.digest and rec.task_root == staged.task_root


def test_a_new_model_version_is_a_second_image(cfg: KitConfig, staged: image_spec.StagedImage) -> None:
    ecr.push_image(cfg, image_spec.BuiltImage(staged=staged))
    staged.version = "v2"
    ecr.push_image(cfg, image_spec.BuiltImage(staged=staged))
    assert sorted(r["tags"] for r in ecr.list_images(cfg)) == ["slim-v1", "slim-v2"]


def test_unstaged_image_cannot_be_registered(cfg: KitConfig, staged: image_spec.StagedImage) -> None:
    staged.tarball = None
    with pytest.raises(KitError, match="stage_task_root"):
        ecr.push_image(cfg, image_spec.BuiltImage(staged=staged))


def test_aws_target_without_engine_says_what_to_do(cfg: KitConfig, staged: image_spec.StagedImage) -> None:
    aws_cfg = KitConfig(target="aws", region="us-east-1", tags=cfg.tags)
    with pytest.raises(KitError, match="needs a container engine"):
        ecr.push_image(aws_cfg, image_spec.BuiltImage(staged=staged))


def test_registry_auth_decodes_the_token(cfg: KitConfig) -> None:
    auth = ecr.registry_auth(cfg)
    assert auth["username"] == "AWS" and auth["password"] and auth["serveraddress"].startswith("https://")


class FakeImage:
    def __init__(self) -> None:
        self.tags: list[tuple[str, str]] = []

    def tag(self, repo: str, tag: str) -> None:
        self.tags.append((repo, tag))


MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": ecr.MANIFEST_TYPE,
                       "config": {"mediaType": ecr.CONFIG_TYPE, "size": 7, "digest": "sha256:" + "0" * 64},
                       "layers": [{"mediaType": ecr.LAYER_TYPE, "size": 5_000_000, "digest": "sha256:" + "1" * 64},
                                  {"mediaType": ecr.LAYER_TYPE, "size": 6_000_000, "digest": "sha256:" + "2" * 64}]})
MANIFEST_DIGEST = "sha256:" + hashlib.sha256(MANIFEST.encode()).hexdigest()
CONFIG = {"architecture": "amd64", "os": "linux"}  # the pushed image's config blob


class FakeDocker:
    """Enough of docker.DockerClient for a push; with `to_ecr`, the 'pushed' manifest lands in moto's ECR."""

    def __init__(self, to_ecr: bool = False) -> None:
        self.image = FakeImage()
        self.images = self
        self.api = self
        self.to_ecr = to_ecr
        self.push_kwargs: dict[str, Any] = {}

    def get(self, ref: str) -> FakeImage:
        return self.image

    def push(self, repo: str, tag: str, auth_config: dict[str, str] | None, stream: bool,
             decode: bool) -> Iterator[dict]:
        self.push_kwargs = {"repo": repo, "tag": tag, "auth": auth_config}
        if self.to_ecr:
            boto3.client("ecr", region_name="us-east-1").put_image(
                repositoryName=repo.rsplit("/", 1)[1], imageManifest=MANIFEST, imageTag=tag)
        yield {"status": "Pushing", "id": "abc", "progressDetail": {"current": 2, "total": 5}}
        yield {"status": "Pushed", "id": "abc", "progressDetail": {}}
        yield {"status": f"{tag}: digest: {MANIFEST_DIGEST} size: 529"}


BUILT_REF = "ltk-translator:slim-v1"


def test_aws_engine_push_authenticates_with_ecr(cfg: KitConfig, staged: image_spec.StagedImage,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import helpers.core.engine

    docker = FakeDocker(to_ecr=True)
    monkeypatch.setattr(helpers.core.engine, "require_engine", lambda: docker)
    monkeypatch.setattr(ecr, "ecr_config_blob", lambda cfg, repo: lambda digest: CONFIG)  # moto has no blob URLs
    aws_cfg = KitConfig(target="aws", region="us-east-1", tags=cfg.tags)
    pushed = ecr.push_image(aws_cfg, image_spec.BuiltImage(staged=staged, image_ref=BUILT_REF))
    repo_uri = pushed.uri.rsplit(":", 1)[0]
    assert docker.image.tags == [(repo_uri, "slim-v1")] and docker.push_kwargs["repo"] == repo_uri
    assert docker.push_kwargs["auth"]["username"] == "AWS" and docker.push_kwargs["tag"] == "slim-v1"
    assert pushed.digest.startswith("sha256:") and pushed.size_bytes > 0
    assert find_image(pushed.uri) is None  # nothing to run locally on the aws target


def test_local_engine_push_goes_through_the_registry(cfg: KitConfig, staged: image_spec.StagedImage,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import helpers.core.engine

    docker = FakeDocker()
    asked: list[str] = []

    def manifest_of(ref: str) -> tuple[str, str, str]:
        asked.append(ref)
        return MANIFEST, ecr.MANIFEST_TYPE, MANIFEST_DIGEST

    monkeypatch.setattr(helpers.core.engine, "require_engine", lambda: docker)
    monkeypatch.setattr(helpers.core.engine, "local_registry", lambda: "127.0.0.1:5999")
    monkeypatch.setattr(helpers.core.engine, "registry_manifest", manifest_of)
    monkeypatch.setattr(ecr, "_registry_json", lambda registry, repo, digest: CONFIG)
    pushed = ecr.push_image(cfg, image_spec.BuiltImage(staged=staged, image_ref=BUILT_REF))
    assert docker.image.tags == [("127.0.0.1:5999/ltk-translator", "slim-v1")] and docker.push_kwargs["auth"] is None
    assert asked == ["127.0.0.1:5999/ltk-translator:slim-v1"]
    listed = boto3.client("ecr", region_name="us-east-1").describe_images(repositoryName="ltk-translator")
    assert [(d["imageDigest"], d["imageTags"]) for d in listed["imageDetails"]] == [(MANIFEST_DIGEST, ["slim-v1"])]
    assert pushed.digest == MANIFEST_DIGEST and pushed.size_bytes == 11_000_000  # the layers' bytes
    assert ecr.list_images(cfg)[0]["size_mb"] == 11.0  # summed from the layers, as real ECR reports it
    rec = find_image(pushed.uri)
    assert rec is not None and rec.container_image == BUILT_REF and rec.digest == MANIFEST_DIGEST
    again = ecr.push_image(cfg, image_spec.BuiltImage(staged=staged, image_ref=BUILT_REF))
    assert again == pushed  # idempotent


def test_local_engine_without_registry_says_how_to_get_one(cfg: KitConfig, staged: image_spec.StagedImage,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import helpers.core.engine

    monkeypatch.setattr(helpers.core.engine, "require_engine", lambda: FakeDocker())
    monkeypatch.setattr(helpers.core.engine, "local_registry", lambda: None)
    with pytest.raises(KitError, match="container-services start"):
        ecr.push_image(cfg, image_spec.BuiltImage(staged=staged, image_ref=BUILT_REF))


def test_engine_push_error_is_a_kit_error(cfg: KitConfig, staged: image_spec.StagedImage,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import helpers.core.engine

    class Denied(FakeDocker):
        def push(self, *a: Any, **k: Any) -> Iterator[dict]:
            yield {"error": "denied: not authorized\n"}

    monkeypatch.setattr(helpers.core.engine, "require_engine", lambda: Denied())
    aws_cfg = KitConfig(target="aws", region="us-east-1", tags=cfg.tags)
    with pytest.raises(KitError, match="failed: denied: not authorized"):
        ecr.push_image(aws_cfg, image_spec.BuiltImage(staged=staged, image_ref=BUILT_REF))


def test_auth_token_is_never_printed(cfg: KitConfig, capsys: pytest.CaptureFixture[str]) -> None:
    auth = ecr.registry_auth(cfg)
    assert auth["password"] not in capsys.readouterr().out
