"""Live tags: the image each deployed function and endpoint runs carries `live-<its name>` in ECR.

Lambda needs a function's image again whenever the function is updated, comes back from `Inactive` or starts new
capacity (Lambda Developer Guide, "Lambda function states"), and SageMaker Serverless pulls its model's image whenever
it provisions capacity: an image a lifecycle rule expired breaks them (`ImageDeleted`). ECR's lifecycle rules
select images by tag, and "an image that matches the tagging requirements of a rule cannot be expired by a rule with
a lower priority" (ECR User Guide, "How lifecycle policies work"). So the kit tags the exact digest each deployment
runs (03 after every create or update, 03b after every deploy: the tag moves with the deployment) and its lifecycle
policy's first rule selects `live-*` (helpers.cleanup.lifecycle): whatever is pushed, re-pushed under the same tag,
or left untagged, a live image is never expired.
"""
from __future__ import annotations

from typing import Any

from helpers.core.config import KitConfig
from helpers.core.engine import INDEX_TYPES, MANIFEST_TYPES

LIVE_PREFIX = "live-"


def live_tag(holder: str) -> str:
    """The tag that marks the image `holder` (a function or endpoint name) runs, e.g. `live-ltk-translator-slim`."""
    return f"{LIVE_PREFIX}{holder}"


def repository_of(image_uri: str) -> str:
    """The repository name in `<registry>/<repo>:<tag>` or `<registry>/<repo>@<digest>`."""
    return image_uri.split("/", 1)[1].split("@", 1)[0].rsplit(":", 1)[0]


def digest_of(cfg: KitConfig, image_uri: str) -> str:
    """The digest an image URI names now (by digest, or what its tag points at in ECR)."""
    from helpers.aws import aws_errors, client

    if "@" in image_uri:
        return image_uri.split("@", 1)[1]
    with aws_errors():
        detail = client("ecr", cfg).describe_images(repositoryName=repository_of(image_uri),
                                                    imageIds=[{"imageTag": image_uri.rsplit(":", 1)[1]}])
    return str(detail["imageDetails"][0]["imageDigest"])


def mark_live(cfg: KitConfig, repository: str, digest: str, holder: str) -> None:
    """Put `live-<holder>` on the image `digest` (ECR moves the tag off the image it marked before)."""
    from helpers.aws import aws_errors, client

    ecr = client("ecr", cfg)
    with aws_errors():
        found: list[dict[str, Any]] = ecr.batch_get_image(
            repositoryName=repository, imageIds=[{"imageDigest": digest}],
            acceptedMediaTypes=[*MANIFEST_TYPES, *INDEX_TYPES])["images"]
        if not found:
            return  # already gone: nothing to protect (the deployment reports it)
        try:
            ecr.put_image(repositoryName=repository, imageManifest=found[0]["imageManifest"], imageTag=live_tag(holder),
                          imageManifestMediaType=found[0].get("imageManifestMediaType") or MANIFEST_TYPES[0],
                          imageDigest=digest)
        except ecr.exceptions.ImageAlreadyExistsException:
            pass  # the tag is already on this image
