"""Pushing a built image with the engine as ONE single-platform manifest, whatever the engine's image store.

Docker Engine 29, and Docker Desktop with the containerd image store, push an OCI image index even for a
one-platform image (the image and its attestation manifests); Lambda refuses an index ("Lambda does not support
functions that use multi-architecture container images"). Two ways out, both used:
- Engine API v1.46 (Docker 27) and later accept `platform` on `POST /images/{name}/push`: a "JSON-encoded OCI platform
  to select the platform-variant to push" (docs.docker.com, Engine API reference, ImagePush; "Engine API version
  history", v1.46). The Docker SDK for Python 7.x does not expose it, so the kit sends that request through the SDK's
  low-level client (its URL, auth header and stream handling), at the API version the client negotiated.
- An older engine with the containerd store still pushes an index: the kit then puts the index's manifest for the
  image's platform under the tag (its layers are already in the repository, pushed with the index), which is what
  a push with a platform would have stored. `resolve_index` does it on ECR and on the local registry alike.
Which store the engine uses comes from `docker info` (`image_store`).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

from docker import auth as docker_auth
from docker.utils import version_gte

from helpers.core.engine import INDEX_TYPES, MANIFEST_TYPES
from helpers.core.errors import KitError

PLATFORM_PUSH_API = "1.46"  # the first Engine API version whose push takes `platform`
GO_ARCH = {"x86_64": "amd64", "arm64": "arm64"}


def image_store(client: Any) -> str:
    """"containerd" when the engine keeps images in containerd's store (Docker Desktop's option, Engine 29's default:
    `docker info` reports the `io.containerd.snapshotter.v1` driver type), else "classic" (overlay2, podman...)."""
    info = client.info()
    status = json.dumps(info.get("DriverStatus") or [])
    return "containerd" if "containerd.snapshotter" in status or info.get("Driver") == "overlayfs" else "classic"


def platform_push_supported(client: Any) -> bool:
    """Whether the engine takes a platform on push (the client's negotiated API version is 1.46 or later)."""
    return version_gte(str(client.api.api_version), PLATFORM_PUSH_API)


def push_stream(client: Any, target: str, tag: str, auth: dict[str, str] | None, architecture: str) -> Iterator[dict]:
    """The engine's push of `target:tag` as a stream of JSON messages; one platform (linux/<arch>) when it can."""
    api = client.api
    if not platform_push_supported(client):
        if image_store(client) == "containerd":
            print(f"This engine (Engine API {api.api_version}, containerd image store) pushes an image index; the kit "
                  "then puts the image's own platform under the tag, the single-platform image Lambda takes.")
        return api.push(target, tag=tag, auth_config=auth, stream=True, decode=True)  # type: ignore[no-any-return]
    params = {"tag": tag, "platform": json.dumps({"os": "linux", "architecture": GO_ARCH[architecture]})}
    registry, _ = docker_auth.resolve_repository_name(target)
    header = docker_auth.encode_header(auth) if auth is not None else docker_auth.get_config_header(api, registry)
    response = api._post_json(api._url("/images/{0}/push", target), None, stream=True, params=params,
                              headers={"X-Registry-Auth": header} if header else {})
    api._raise_for_status(response)
    return api._stream_helper(response, decode=True)  # type: ignore[no-any-return]


def platform_child(index: dict[str, Any], architecture: str) -> dict[str, Any]:
    """The index's descriptor of the image for linux/<architecture> (attestation manifests are `unknown/unknown`)."""
    for child in index.get("manifests", []):
        platform = child.get("platform") or {}
        if platform.get("os") == "linux" and platform.get("architecture") == GO_ARCH[architecture] \
                and child.get("mediaType") in MANIFEST_TYPES:
            return dict(child)
    raise KitError(f"The pushed image index holds no linux/{GO_ARCH[architecture]} image: rebuild for "
                   f"{architecture} (KIT_ARCH) and push again.")


def resolve_index(manifest: str, media_type: str, architecture: str, fetch: Callable[[str], tuple[str, str]],
                  put: Callable[[str, str], None]) -> tuple[str, str]:
    """(manifest, media type) under the tag after making it single-platform: an index is replaced by its
    linux/<architecture> manifest, fetched by digest (`fetch(digest)`) and put under the tag (`put(manifest, type)`)."""
    doc = json.loads(manifest)
    if media_type not in INDEX_TYPES and "manifests" not in doc:
        return manifest, media_type
    child = platform_child(doc, architecture)
    single, single_type = fetch(child["digest"])
    put(single, single_type or child["mediaType"])
    return single, single_type or child["mediaType"]


def single_platform_in_ecr(ecr: Any, repository: str, tag: str, architecture: str) -> None:
    """If the engine pushed an index to ECR (client `ecr`), put its image for `architecture` under the tag."""

    def fetch(digest: str) -> tuple[str, str]:
        image = ecr.batch_get_image(repositoryName=repository, imageIds=[{"imageDigest": digest}],
                                    acceptedMediaTypes=list(MANIFEST_TYPES))["images"][0]
        return image["imageManifest"], image.get("imageManifestMediaType", "")

    def put(manifest: str, media_type: str) -> None:
        try:
            ecr.put_image(repositoryName=repository, imageManifest=manifest, imageTag=tag,
                          imageManifestMediaType=media_type,
                          imageDigest=f"sha256:{hashlib.sha256(manifest.encode()).hexdigest()}")
        except ecr.exceptions.ImageAlreadyExistsException:
            pass

    found = ecr.batch_get_image(repositoryName=repository, imageIds=[{"imageTag": tag}],
                                acceptedMediaTypes=[*MANIFEST_TYPES, *INDEX_TYPES])["images"]
    if found:
        resolve_index(found[0]["imageManifest"], found[0].get("imageManifestMediaType", ""), architecture, fetch, put)
