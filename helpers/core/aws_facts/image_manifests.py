"""What Lambda accepts as a function's image, checked the same way after every push (helpers.build) and by the
emulated Lambda (function_states.py) when a function is created or its code updated.

Lambda takes a single-platform image: a Docker image manifest v2 schema 2 or an OCI image manifest. An image
index or manifest list (what `docker buildx` pushes with provenance attestations, or for several platforms) is
refused with "The image manifest, config or layer media type for the source image ... is not supported". An
image built for another CPU architecture than the function's is accepted but cannot start (exec format error).
"""
from __future__ import annotations

import json
from typing import Any

from helpers.core.engine import MANIFEST_TYPES

INDEX_TYPES = ("application/vnd.docker.distribution.manifest.list.v2+json",
               "application/vnd.oci.image.index.v1+json")
ALL_MANIFEST_TYPES = (*MANIFEST_TYPES, *INDEX_TYPES)  # for batch_get_image's acceptedMediaTypes
GO_ARCH = {"x86_64": "amd64", "arm64": "arm64"}  # Lambda's architecture names -> an image config's


class ImageRejected(ValueError):
    """The image cannot back a Lambda function; the message says why, as Lambda (or the kit) words it."""


def media_type(manifest: str, declared: str | None = None) -> str:
    """The manifest's media type: as declared to the registry, else its own `mediaType` field."""
    if declared:
        return declared
    doc = json.loads(manifest)
    if doc.get("mediaType"):
        return str(doc["mediaType"])
    return INDEX_TYPES[1] if "manifests" in doc else MANIFEST_TYPES[1]


def lambda_error(image_uri: str) -> str:
    """Lambda's own words for an image whose manifest it does not take."""
    return f"The image manifest, config or layer media type for the source image {image_uri} is not supported."


def check_manifest(image_uri: str, manifest: str, declared: str | None = None) -> dict[str, Any]:
    """The parsed single-platform manifest, or ImageRejected (an index or list, or an unknown media type)."""
    kind = media_type(manifest, declared)
    if kind in INDEX_TYPES:
        raise ImageRejected(
            f"{image_uri} is an image index ({kind}), not a single-platform image: Lambda refuses it. Build for one "
            "platform without attestations (docker buildx --platform linux/amd64 --provenance=false --sbom=false) "
            "and push again.")
    if kind not in MANIFEST_TYPES:
        raise ImageRejected(f"{image_uri} has the manifest media type {kind!r}: Lambda takes only "
                            f"{' or '.join(MANIFEST_TYPES)}. Push a Docker v2 schema 2 or OCI image manifest.")
    return dict(json.loads(manifest))


def check_architecture(image_uri: str, config: dict[str, Any], architecture: str) -> None:
    """ImageRejected unless the image config's `architecture` is the function's (x86_64 -> amd64, arm64)."""
    found, wanted = config.get("architecture"), GO_ARCH.get(architecture, architecture)
    if found != wanted:
        raise ImageRejected(
            f"{image_uri} was built for {found!r} but the function runs on {architecture} ({wanted}): Lambda would "
            f"fail to start it (exec format error). Build it for linux/{wanted} and push again.")
