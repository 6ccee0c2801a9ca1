"""Issue 23, item 1: a push from an engine with the containerd image store (Docker Engine 29, Docker Desktop) lands in
ECR as ONE single-platform manifest. A fake Docker Engine (HTTP, the real Docker SDK talking to it) pushes what such
an engine pushes: an OCI index (image + attestation) unless the request carries `platform` (Engine API >= 1.46)."""
from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import boto3
import docker
import pytest

from helpers import aws
from helpers.build import ecr, image_spec, layers
from helpers.core.config import KitConfig, get_config

OCI_MANIFEST, OCI_INDEX = "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json"


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


IMAGE = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 7,
                               "digest": "sha256:" + "0" * 64},
                    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "size": 5_000_000,
                                "digest": "sha256:" + "1" * 64}]})
ATTESTATION = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                          "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 3,
                                     "digest": "sha256:" + "3" * 64},
                          "layers": [{"mediaType": "application/vnd.in-toto+json", "size": 900,
                                      "digest": "sha256:" + "4" * 64}]})
INDEX = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
    {"mediaType": OCI_MANIFEST, "digest": _digest(IMAGE), "size": len(IMAGE),
     "platform": {"architecture": "amd64", "os": "linux"}},
    {"mediaType": OCI_MANIFEST, "digest": _digest(ATTESTATION), "size": len(ATTESTATION),
     "platform": {"architecture": "unknown", "os": "unknown"},
     "annotations": {"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest":
                     _digest(IMAGE)}}]})


class FakeEngine:
    """A Docker Engine API server with the containerd image store, pushing into moto's ECR."""

    def __init__(self, api_version: str, push: Any = None) -> None:
        self.api_version, self.pushes = api_version, []
        self.push_to = push or self.push_to_ecr
        engine = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, body: Any, status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                path = urlparse(self.path).path
                if path.endswith("/_ping"):
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"OK")
                elif path.endswith("/version"):
                    self._json({"ApiVersion": engine.api_version, "MinAPIVersion": "1.24", "Arch": "amd64",
                                "Version": "29.0.0", "Components": [{"Name": "Engine"}]})
                elif path.endswith("/info"):
                    self._json({"Driver": "overlayfs", "DriverStatus": [["driver-type",
                                                                         "io.containerd.snapshotter.v1"]]})
                elif path.endswith("/json"):
                    self._json({"Id": "sha256:" + "9" * 64, "Size": 123_000_000, "RepoTags": []})
                else:
                    self._json({"message": "not found"}, 404)

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path.endswith("/tag"):
                    self.send_response(201)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                name = url.path.split("/images/", 1)[1].rsplit("/push", 1)[0]
                engine.pushes.append({"path": url.path, **query})
                engine.push_to(name, query["tag"], "platform" in query)
                self._json({"status": f"{query['tag']}: digest: ... size: 1"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.client = docker.DockerClient(base_url=f"tcp://127.0.0.1:{self.server.server_address[1]}")

    @staticmethod
    def push_to_ecr(name: str, tag: str, one_platform: bool) -> None:
        repository, ecr_client = name.rsplit("/", 1)[1], _ecr_client()
        if one_platform:  # what `docker push --platform linux/amd64` stores: the image's own manifest
            ecr_client.put_image(repositoryName=repository, imageManifest=IMAGE, imageTag=tag,
                                 imageManifestMediaType=OCI_MANIFEST, imageDigest=_digest(IMAGE))
            return
        for manifest in (IMAGE, ATTESTATION):  # the containerd store pushes the children, then the index
            ecr_client.put_image(repositoryName=repository, imageManifest=manifest,
                                 imageManifestMediaType=OCI_MANIFEST, imageDigest=_digest(manifest))
        ecr_client.put_image(repositoryName=repository, imageManifest=INDEX, imageTag=tag,
                             imageManifestMediaType=OCI_INDEX, imageDigest=_digest(INDEX))


def _ecr_client() -> Any:
    from local_aws.stack.control import ensure_stack

    return boto3.client("ecr", region_name="us-east-1", endpoint_url=ensure_stack().endpoint,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def cfg(local_stack: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[KitConfig]:
    """The aws target's push path (ECR login, engine push, read-back), with ECR served by the local stack."""
    local = get_config()
    monkeypatch.setattr(aws, "client", lambda service, cfg=None: aws._client(service, "us-east-1",
                                                                               local_stack.endpoint))
    monkeypatch.setattr(ecr, "ecr_config_blob", lambda cfg, repo: lambda digest: {"architecture": "amd64",
                                                                                  "os": "linux"})
    yield KitConfig(target="aws", region="us-east-1", prefix=local.prefix, tags=local.tags)
    _ecr_client().delete_repository(repositoryName="ltk-translator", force=True)


@pytest.fixture
def built(tmp_path: Path) -> image_spec.BuiltImage:
    root = tmp_path / "task"
    root.mkdir()
    (root / "app.py").write_text("x = 1\n")
    digest, diff_id = layers.write_layer(root, tmp_path / "layer.tar.gz")
    staged = image_spec.StagedImage(runtime="slim", arch="x86_64", version="v1", context=str(tmp_path), key="k",
                                    env={}, cmd=["app.handler"], task_root=str(root),
                                    tarball=str(tmp_path / "layer.tar.gz"), layer_digest=digest, diff_id=diff_id,
                                    task_root_bytes=6, tar_gz_bytes=(tmp_path / "layer.tar.gz").stat().st_size)
    return image_spec.BuiltImage(staged=staged, image_ref="ltk-translator:slim-v1")


def _tagged(tag: str) -> dict[str, Any]:
    image = _ecr_client().batch_get_image(
        repositoryName="ltk-translator", imageIds=[{"imageTag": tag}],
        acceptedMediaTypes=[OCI_MANIFEST, OCI_INDEX])["images"][0]
    return dict(image)


@pytest.mark.parametrize("api_version", ["1.52", "1.45"])
def test_a_containerd_store_engine_still_puts_one_platform_under_the_tag(
        cfg: KitConfig, built: image_spec.BuiltImage, api_version: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import helpers.core.engine
    from helpers.build.engine_push import image_store

    engine = FakeEngine(api_version)
    monkeypatch.setattr(helpers.core.engine, "require_engine", lambda: engine.client)
    assert image_store(engine.client) == "containerd"
    pushed = ecr.push_image(cfg, built)  # verified as Lambda takes it: a single-platform manifest
    said = capsys.readouterr().out
    assert ("containerd image store) pushes an image index" in said) == (api_version == "1.45")
    assert _tagged("slim-v1")["imageManifest"] == IMAGE and pushed.digest == _digest(IMAGE)
    push = engine.pushes[0]
    if api_version == "1.52":  # the Engine API's own way: one platform asked for, at the negotiated version
        assert json.loads(push["platform"]) == {"os": "linux", "architecture": "amd64"}
        assert push["path"].startswith("/v1.52/")
    else:  # too old for `platform`: the index was pushed and the kit put its linux/amd64 image under the tag
        assert "platform" not in push


def test_the_platform_child_ignores_attestations() -> None:
    from helpers.build.engine_push import platform_child
    from helpers.core.errors import KitError

    assert platform_child(json.loads(INDEX), "x86_64")["digest"] == _digest(IMAGE)
    with pytest.raises(KitError, match="no linux/arm64 image"):
        platform_child(json.loads(INDEX), "arm64")


# ------------------------------------------------------------------- the local target: the local registry's side

CONFIG_BLOB = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}})
LAYER_BLOB = b"layer"


def _registry_image() -> str:
    return json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": len(CONFIG_BLOB),
                                  "digest": _digest(CONFIG_BLOB)},
                       "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                   "size": len(LAYER_BLOB), "digest": "sha256:" + hashlib.sha256(LAYER_BLOB).hexdigest()}]})


def push_index_to_registry(name: str, tag: str, one_platform: bool) -> None:
    """What a containerd-store engine uploads to a registry: blobs, the image, an attestation, the index."""
    import requests

    host, repo = name.split("/", 1)
    for blob in (CONFIG_BLOB.encode(), LAYER_BLOB):
        upload = requests.post(f"http://{host}/v2/{repo}/blobs/uploads/", timeout=10).headers["Location"]
        url = upload if upload.startswith("http") else f"http://{host}{upload}"
        digest = "sha256:" + hashlib.sha256(blob).hexdigest()
        requests.put(f"{url}{'&' if '?' in url else '?'}digest={digest}", data=blob, timeout=10).raise_for_status()
    image = _registry_image()
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": _digest(image), "size": len(image),
         "platform": {"architecture": "amd64", "os": "linux"}}]})
    requests.put(f"http://{host}/v2/{repo}/manifests/{_digest(image)}", data=image,
                 headers={"Content-Type": OCI_MANIFEST}, timeout=10).raise_for_status()
    top, media = (image, OCI_MANIFEST) if one_platform else (index, OCI_INDEX)
    requests.put(f"http://{host}/v2/{repo}/manifests/{tag}", data=top, headers={"Content-Type": media},
                 timeout=10).raise_for_status()


def test_the_local_registry_path_puts_one_platform_under_the_tag(local_stack: Any, built: image_spec.BuiltImage,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    import helpers.core.engine

    if not os.environ.get("KIT_REGISTRY"):
        pytest.skip("no local registry: run `eval \"$(.ci/container-services start)\"` to set KIT_REGISTRY")
    engine = FakeEngine("1.45", push_index_to_registry)  # too old for `platform`: the index is pushed
    monkeypatch.setattr(helpers.core.engine, "require_engine", lambda: engine.client)
    from dataclasses import replace

    staged = replace(built.staged, version=secrets_token())  # the registry outlives the test: a fresh tag
    tag = f"slim-{staged.version}"
    pushed = ecr.push_image(get_config(), image_spec.BuiltImage(staged=staged, image_ref=f"x:{tag}"))
    registry = os.environ["KIT_REGISTRY"]
    manifest, media_type, digest = helpers.core.engine.registry_manifest(f"{registry}/ltk-translator:{tag}")
    assert media_type == OCI_MANIFEST and manifest == _registry_image() and pushed.digest == digest


def secrets_token() -> str:
    import secrets

    return secrets.token_hex(4)
