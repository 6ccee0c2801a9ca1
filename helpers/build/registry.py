"""What the ECR repository holds and lets Lambda do: the pull policy, the checks after a push, the stored sizes.

- Lambda pulls a function's image as the service principal `lambda.amazonaws.com`. When the repository policy does
  not allow it (`ecr:BatchGetImage`, `ecr:GetDownloadUrlForLayer`), Lambda adds the statement itself at deploy time,
  but only if the deploying user may get and set the repository policy. The kit sets it once, idempotently, when it
  creates the repository (02), limited by `aws:sourceArn` to the kit's functions.
- After every push the manifest is read back from the registry: a single-platform image (Docker v2 schema 2 or OCI
  manifest) whose config names the function's architecture; an index is refused with the reason
  (helpers.core.aws_facts.image_manifests, the same rules the emulated Lambda applies).
- Sizes come from what the registry stores: each image's layers from its manifest, layers shared between images
  (the Lambda base) counted once, as ECR bills storage; with and without the base image's layers.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from helpers.build.dockerfile import parse_dockerfile
from helpers.build.image_spec import DOCKERFILE
from helpers.core.config import KitConfig
from helpers.core.errors import KitError
from helpers.core.aws_facts.image_manifests import ALL_MANIFEST_TYPES, ImageRejected, check_architecture, check_manifest

PULL_SID = "LambdaECRImageRetrievalPolicy"
PULL_ACTIONS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
ECR_FREE_TIER_NOTE = ("ECR's free tier (500 MB-month of private storage) covers the first 12 months of accounts "
                      "opened before 15 July 2025; accounts opened since get credits instead.")


def _ecr(cfg: KitConfig) -> Any:
    from helpers.aws import client

    return client("ecr", cfg)


def _errors() -> Any:
    from helpers.aws import aws_errors

    return aws_errors()


def lambda_pull_statement(cfg: KitConfig, repository_arn: str) -> dict[str, Any]:
    """The repository policy statement that lets Lambda pull images for the kit's functions only."""
    _, _, _, region, account, _ = repository_arn.split(":", 5)
    return {"Sid": PULL_SID, "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": PULL_ACTIONS, "Condition": {"StringLike": {
                "aws:sourceArn": f"arn:aws:lambda:{region}:{account}:function:{cfg.name('translator-*')}"}}}


def ensure_lambda_pull_policy(cfg: KitConfig, repo: dict[str, Any]) -> bool:
    """Put the Lambda pull statement into the repository policy (other statements kept); True if it changed."""
    ecr, name = _ecr(cfg), repo["repositoryName"]
    wanted = lambda_pull_statement(cfg, repo["repositoryArn"])
    with _errors():
        try:
            policy = json.loads(ecr.get_repository_policy(repositoryName=name)["policyText"])
        except ecr.exceptions.RepositoryPolicyNotFoundException:
            policy = {"Version": "2012-10-17", "Statement": []}
        statements = policy.get("Statement", [])
        if wanted in statements:
            return False
        policy["Statement"] = [s for s in statements if s.get("Sid") != PULL_SID] + [wanted]
        ecr.set_repository_policy(repositoryName=name, policyText=json.dumps(policy))
    return True


def verify_pushed_image(cfg: KitConfig, repository: str, tag: str, architecture: str,
                        config_of: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    """Read the pushed manifest back and check that Lambda can run it on `architecture`; the manifest.

    `config_of(digest)` fetches the image config blob (from ECR, the local registry, or the staged image).
    """
    ecr = _ecr(cfg)
    with _errors():
        found = ecr.batch_get_image(repositoryName=repository, imageIds=[{"imageTag": tag}],
                                    acceptedMediaTypes=list(ALL_MANIFEST_TYPES))["images"]
    if not found:
        raise KitError(f"{repository}:{tag} is not in ECR after the push: re-run the push cell.")
    uri = f"{repository}:{tag}"
    try:
        manifest = check_manifest(uri, found[0]["imageManifest"], found[0].get("imageManifestMediaType"))
        check_architecture(uri, config_of(manifest["config"]["digest"]), architecture)
    except ImageRejected as err:
        raise KitError(str(err)) from None
    return manifest


def ecr_config_blob(cfg: KitConfig, repository: str) -> Callable[[str], dict[str, Any]]:
    """A `config_of` for images in real ECR: the config blob through its download URL."""
    import requests

    def config_of(digest: str) -> dict[str, Any]:
        with _errors():
            url = _ecr(cfg).get_download_url_for_layer(repositoryName=repository, layerDigest=digest)["downloadUrl"]
        return dict(requests.get(url, timeout=60).json())

    return config_of


def added_layer_count() -> int:
    """How many layers the Dockerfile's final stage adds on top of its base (one per COPY, ADD or RUN)."""
    steps = parse_dockerfile(DOCKERFILE.read_text())
    last_from = max(i for i, (instruction, _) in enumerate(steps) if instruction == "FROM")
    return sum(instruction in ("COPY", "ADD", "RUN") for instruction, _ in steps[last_from:])


@dataclass(frozen=True)
class StoredSizes:
    """What the repository stores: one row per image, and the totals ECR bills (shared layers once)."""

    rows: list[dict[str, Any]]
    stored_bytes: int  # every distinct layer (and config) once: what ECR bills
    without_base_bytes: int  # the same, leaving out the base image's layers


def stored_sizes(cfg: KitConfig, repository: str) -> StoredSizes:
    """Sizes from the registry's manifests (not from local files), per image and in total."""
    ecr, added = _ecr(cfg), added_layer_count()
    with _errors():
        details = [d for page in ecr.get_paginator("describe_images").paginate(repositoryName=repository)
                   for d in page["imageDetails"]]
        images = ecr.batch_get_image(repositoryName=repository,
                                     imageIds=[{"imageDigest": d["imageDigest"]} for d in details],
                                     acceptedMediaTypes=list(ALL_MANIFEST_TYPES))["images"] if details else []
    rows, blobs, own = [], {}, {}
    for image in images:
        manifest = json.loads(image["imageManifest"])
        layers = manifest.get("layers", [])
        base, mine = layers[:max(0, len(layers) - added)], layers[max(0, len(layers) - added):]
        for layer in layers:
            blobs[layer["digest"]] = layer["size"]
        for layer in mine:
            own[layer["digest"]] = layer["size"]
        digest = image["imageId"]["imageDigest"]
        tags = [t for d in details if d["imageDigest"] == digest for t in d.get("imageTags", [])]
        rows.append({"tags": ",".join(tags) or "<untagged>", "layers": len(layers), "base layers": len(base),
                     "MB with base": round(sum(x["size"] for x in layers) / 1e6, 1),
                     "MB without base": round(sum(x["size"] for x in mine) / 1e6, 1)})
    return StoredSizes(sorted(rows, key=lambda r: r["tags"]), sum(blobs.values()), sum(own.values()))
