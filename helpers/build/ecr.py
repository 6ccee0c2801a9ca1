"""ECR: the image repository (idempotent, tagged; scanning as the registry is configured: helpers.build.scanning) and pushing the built image to it.

With a container engine the image is pushed with the Docker SDK: to ECR after `get_authorization_token`
on `aws`; on `local`, to the local registry (KIT_REGISTRY), whose manifest and digest then go into the
emulated ECR with `put_image`. On `local` without an engine, the staged task root goes into the emulated ECR
with `put_image`: a schema-2 manifest whose one layer is the staged tar.gz (its real digest and size), so
`describe_images` lists it and lifecycle rules can act on it. Either way on `local`, the local image store
(local_aws.ecr.images) then tells the local Lambda runtime where the contents live.
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from helpers.core.attendee import owner_clash
from helpers.core.config import KitConfig
from helpers.core.errors import KitError
from helpers.core.engine import MANIFEST_TYPES
from helpers.build.engine_push import push_stream, resolve_index, single_platform_in_ecr
from helpers.build.image_spec import MODEL_LABEL, TASK_ROOT, BuiltImage, StagedImage
from helpers.build.registry import ecr_config_blob, ensure_lambda_pull_policy, verify_pushed_image
from helpers.core.progress import progress

REPOSITORY = "translator"  # cfg.name(REPOSITORY) -> e.g. `ltk-translator`
MANIFEST_TYPE = MANIFEST_TYPES[0]  # Docker v2 schema 2: what Lambda accepts
CONFIG_TYPE = "application/vnd.docker.container.image.v1+json"
LAYER_TYPE = "application/vnd.docker.image.rootfs.diff.tar.gzip"
ARCH_GO = {"x86_64": "amd64", "arm64": "arm64"}


@dataclass
class PushedImage:
    """An image in ECR: `uri` (repo:tag) is what 03 deploys."""

    uri: str
    digest: str
    size_bytes: int
    runtime: str
    architecture: str

    @property
    def uri_by_digest(self) -> str:
        return f"{self.uri.rsplit(':', 1)[0]}@{self.digest}"


def _ecr(cfg: KitConfig) -> Any:
    from helpers.aws import client

    return client("ecr", cfg)


def _errors() -> Any:
    from helpers.aws import aws_errors

    return aws_errors()


def ensure_repository(cfg: KitConfig) -> dict[str, Any]:
    """Create the kit's repository with the kit's tags and a policy letting Lambda pull for the kit's functions, or
    bring the existing one up to date. No per-repository scan-on-push: it is deprecated in favour of the registry's
    configuration (helpers.build.scanning reads it)."""
    ecr, name = _ecr(cfg), cfg.name(REPOSITORY)
    tags = [{"Key": k, "Value": v} for k, v in sorted(cfg.tags.items())]
    with _errors():
        try:
            repo = ecr.create_repository(
                repositoryName=name, imageTagMutability="MUTABLE", tags=tags)["repository"]
        except ecr.exceptions.RepositoryAlreadyExistsException:
            repo = ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
            listed = ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]
            clash = owner_clash({t["Key"]: t["Value"] for t in listed}, cfg.prefix, cfg.attendee)
            if clash:
                raise KitError(clash)
            ecr.tag_resource(resourceArn=repo["repositoryArn"], tags=tags)
    ensure_lambda_pull_policy(cfg, repo)  # Lambda may pull for the kit's functions (no set-policy rights needed later)
    return dict(repo)


def local_config(staged: StagedImage) -> bytes:
    """The image config (JSON) of the staged task root as a one-layer image."""
    if not staged.tarball or not staged.layer_digest:
        raise KitError("This image was not staged: call helpers.build.staging.stage_task_root() first.")
    return json.dumps({
        "architecture": ARCH_GO[staged.arch], "os": "linux",
        "config": {"Env": [f"{k}={v}" for k, v in sorted(staged.env.items())], "Cmd": staged.cmd,
                   "Entrypoint": staged.entrypoint or None,
                   "WorkingDir": TASK_ROOT, "Labels": {MODEL_LABEL: staged.version}},
        "rootfs": {"type": "layers", "diff_ids": [staged.diff_id]},
    }, sort_keys=True).encode()


def local_manifest(staged: StagedImage) -> tuple[str, str]:
    """(manifest JSON, its digest) describing the staged task root as a one-layer image.

    moto 5.2 reports `imageSizeInBytes` from the manifest's `config.size` (real ECR sums the layers),
    and the emulator never fetches blobs, so the config descriptor carries the layer's size.
    """
    config = local_config(staged)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": CONFIG_TYPE, "size": staged.tar_gz_bytes,
                   "digest": f"sha256:{hashlib.sha256(config).hexdigest()}"},
        "layers": [{"mediaType": LAYER_TYPE, "size": staged.tar_gz_bytes, "digest": staged.layer_digest}],
    }, sort_keys=True)
    return manifest, f"sha256:{hashlib.sha256(manifest.encode()).hexdigest()}"


def _describe(ecr: Any, name: str, tag: str) -> dict[str, Any]:
    return ecr.describe_images(repositoryName=name, imageIds=[{"imageTag": tag}])["imageDetails"][0]


def register_staged(cfg: KitConfig, staged: StagedImage, repo: dict[str, Any]) -> PushedImage:
    """Put the staged image in the emulated ECR (idempotent) and record its task root for the local Lambda."""
    from local_aws.face import ImageRecord, register_image

    if cfg.target != "local":
        raise KitError("Pushing to AWS ECR needs a container engine: start Docker (or podman) and re-run, "
                       "or use target='local'.")
    ecr, name, tag = _ecr(cfg), repo["repositoryName"], staged.tag
    manifest, digest = local_manifest(staged)
    with _errors():
        try:
            ecr.put_image(repositoryName=name, imageManifest=manifest, imageTag=tag,
                          imageManifestMediaType=MANIFEST_TYPE, imageDigest=digest)
        except ecr.exceptions.ImageAlreadyExistsException:
            pass  # same manifest, same tag: already there
        detail = _describe(ecr, name, tag)
    verify_pushed_image(cfg, name, tag, staged.arch, lambda digest: json.loads(local_config(staged)))
    uri = f"{repo['repositoryUri']}:{tag}"
    register_image(ImageRecord(uri=uri, digest=detail["imageDigest"], handler=staged.cmd[0],
                               task_root=staged.task_root, architecture=staged.arch,
                               uncompressed_bytes=staged.task_root_bytes))
    return PushedImage(uri=uri, digest=detail["imageDigest"], size_bytes=detail.get("imageSizeInBytes", 0),
                       runtime=staged.runtime, architecture=staged.arch)


def registry_auth(cfg: KitConfig) -> dict[str, str]:
    """Docker auth config from `get_authorization_token` (valid 12 hours; never printed)."""
    with _errors():
        data = _ecr(cfg).get_authorization_token()["authorizationData"][0]
    user, password = base64.b64decode(data["authorizationToken"]).decode().split(":", 1)
    return {"username": user, "password": password, "serveraddress": data["proxyEndpoint"]}


def _sdk_push(client: Any, built: BuiltImage, target: str, auth: dict[str, str] | None) -> None:
    """Tag the built image as `target:tag` and push it (one platform where the engine can: engine_push), showing the
    bytes sent."""
    tag = built.tag
    client.images.get(built.image_ref or "").tag(target, tag)
    layers: dict[str, tuple[int, int]] = {}
    with progress(total=0, unit="B", unit_scale=True, desc=f"push {tag}") as bar:
        for chunk in push_stream(client, target, tag, auth, built.staged.arch):
            if "error" in chunk:
                raise KitError(f"The push to {target} failed: {chunk['error'].strip()} (fix it and re-run).")
            detail = chunk.get("progressDetail") or {}
            if chunk.get("id") and detail.get("total"):
                layers[chunk["id"]] = (detail.get("current", 0), detail["total"])
                bar.total = sum(t for _, t in layers.values())
                bar.n = sum(c for c, _ in layers.values())
                bar.refresh()


def _push_to_local_registry(cfg: KitConfig, client: Any, built: BuiltImage, repo: dict[str, Any]) -> PushedImage:
    """Local target with an engine: push to the local registry, then put its manifest in the emulated ECR."""
    from helpers.core.engine import local_registry, registry_manifest, registry_put_manifest
    from local_aws.face import ImageRecord, register_image

    registry, tag = local_registry(), built.tag
    if registry is None:
        raise KitError("The local target pushes built images to a local registry: run "
                       "`eval \"$(.ci/container-services start)\"` (or start one and set KIT_REGISTRY=host:port).")
    target = f"{registry}/{repo['repositoryName']}"
    _sdk_push(client, built, target, None)
    manifest, media_type, digest = registry_manifest(f"{target}:{tag}")
    single = resolve_index(manifest, media_type, built.staged.arch,
                           lambda d: registry_manifest(f"{target}@{d}")[:2],
                           lambda m, t: registry_put_manifest(f"{target}:{tag}", m, t))
    if single[0] != manifest:
        (manifest, media_type), digest = single, f"sha256:{hashlib.sha256(single[0].encode()).hexdigest()}"
    ecr, uri = _ecr(cfg), f"{repo['repositoryUri']}:{tag}"
    with _errors():
        try:
            ecr.put_image(repositoryName=repo["repositoryName"], imageManifest=manifest, imageTag=tag,
                          imageManifestMediaType=media_type, imageDigest=digest)
        except ecr.exceptions.ImageAlreadyExistsException:
            pass
    verify_pushed_image(cfg, repo["repositoryName"], tag, built.staged.arch,
                        lambda blob: _registry_json(registry, repo["repositoryName"], blob))
    register_image(ImageRecord(uri=uri, digest=digest, handler="lambda_app.app.handler",
                               task_root=built.staged.task_root, container_image=built.image_ref,
                               architecture=built.staged.arch,
                               uncompressed_bytes=int(client.images.get(built.image_ref).attrs.get("Size") or 0)))
    size = sum(layer["size"] for layer in json.loads(manifest)["layers"])  # what ECR stores for these layers
    return PushedImage(uri=uri, digest=digest, size_bytes=size, runtime=built.staged.runtime,
                       architecture=built.staged.arch)


def _registry_json(registry: str, repository: str, digest: str) -> dict[str, Any]:
    """A JSON blob (an image config) from the plain-http local registry."""
    import requests

    try:
        return dict(requests.get(f"http://{registry}/v2/{repository}/blobs/{digest}", timeout=30).json())
    except (requests.RequestException, ValueError) as err:
        raise KitError(f"The registry {registry} did not return the image config {digest[:19]}... "
                       f"({type(err).__name__}): run `eval \"$(.ci/container-services start)\"` and push "
                       "again.") from None


def push_with_engine(cfg: KitConfig, client: Any, built: BuiltImage, repo: dict[str, Any]) -> PushedImage:
    """Push a built image: to ECR after `get_authorization_token` (aws), or via the local registry (local)."""
    if cfg.target == "local":
        return _push_to_local_registry(cfg, client, built, repo)
    repo_uri, tag = repo["repositoryUri"], built.tag
    _sdk_push(client, built, repo_uri, registry_auth(cfg))
    with _errors():
        single_platform_in_ecr(_ecr(cfg), repo["repositoryName"], tag, built.staged.arch)
    verify_pushed_image(cfg, repo["repositoryName"], tag, built.staged.arch,
                        ecr_config_blob(cfg, repo["repositoryName"]))
    with _errors():
        detail = _describe(_ecr(cfg), repo["repositoryName"], tag)
    return PushedImage(uri=f"{repo_uri}:{tag}", digest=detail["imageDigest"],
                       size_bytes=detail.get("imageSizeInBytes", 0), runtime=built.staged.runtime,
                       architecture=built.staged.arch)


def record_uncompressed_size(uri: str, size_bytes: int) -> None:
    """Remember an image's uncompressed size (all layers) in the kit's state: 03 checks it against Lambda's 10 GB
    limit before creating anything (ECR stores only compressed layer sizes)."""
    from helpers.core.state import load_state, save_state

    sizes = dict(load_state().get("image_uncompressed_bytes") or {})
    sizes[uri] = int(size_bytes)
    save_state(image_uncompressed_bytes=sizes)


def push_image(cfg: KitConfig, built: BuiltImage) -> PushedImage:
    """Push a built image (engine) or register a staged one (local, no engine) in the kit's repository; its
    uncompressed size is recorded for 03's check against Lambda's image size limit."""
    repo = ensure_repository(cfg)
    if built.image_ref is not None:
        from helpers.core.engine import require_engine

        client = require_engine()
        pushed = push_with_engine(cfg, client, built, repo)
        record_uncompressed_size(pushed.uri, int(client.images.get(built.image_ref).attrs.get("Size") or 0))
        return pushed
    pushed = register_staged(cfg, built.staged, repo)
    record_uncompressed_size(pushed.uri, built.staged.task_root_bytes)
    return pushed


def _layer_bytes(ecr: Any, name: str, digests: list[str]) -> dict[str, int]:
    """Sum of each image's layer sizes from its manifest (what real ECR reports as imageSizeInBytes)."""
    if not digests:
        return {}
    images = ecr.batch_get_image(repositoryName=name, imageIds=[{"imageDigest": d} for d in digests],
                                 acceptedMediaTypes=list(MANIFEST_TYPES))
    return {i["imageId"]["imageDigest"]: sum(layer["size"] for layer in json.loads(i["imageManifest"])["layers"])
            for i in images["images"]}


def list_images(cfg: KitConfig) -> list[dict[str, Any]]:
    """The repository's images as rows (tags, digest, size in MB), newest first.

    On `local`, sizes are summed from the manifests' layers, as real ECR does (moto reports config.size).
    """
    ecr, name = _ecr(cfg), cfg.name(REPOSITORY)
    with _errors():
        pages = ecr.get_paginator("describe_images").paginate(repositoryName=name)
        details = [d for page in pages for d in page["imageDetails"]]
        sizes = _layer_bytes(ecr, name, [d["imageDigest"] for d in details]) if cfg.target == "local" else {}
    details.sort(key=lambda d: d.get("imagePushedAt", 0), reverse=True)
    return [{"tags": ",".join(d.get("imageTags", [])), "digest": d["imageDigest"][:19] + "...",
             "size_mb": round(sizes.get(d["imageDigest"], d.get("imageSizeInBytes", 0)) / 1e6, 1)} for d in details]
