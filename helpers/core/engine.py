"""The container engine: a Docker SDK client for Docker or podman's Docker-compatible API, if one answers."""
from __future__ import annotations

import os

import docker
import requests

from helpers.core.errors import KitError

PING_TIMEOUT_S = 3
# Long operations (builds, pushes of ~1 GB layers) go through the same client, so its timeout is generous.
CLIENT_TIMEOUT_S = 900


def docker_client() -> docker.DockerClient | None:
    """A client for DOCKER_HOST (or the default socket) when an engine answers a ping, else None."""
    try:
        client = docker.from_env(timeout=PING_TIMEOUT_S)
        client.ping()
    except Exception:  # no socket, refused, timeout, bad DOCKER_HOST: all mean "no engine"
        return None
    client.api.timeout = CLIENT_TIMEOUT_S
    return client


def require_engine() -> docker.DockerClient:
    """The engine's client, or a KitError saying how to get one."""
    client = docker_client()
    if client is None:
        raise KitError(
            "No container engine answers: start Docker, or run `eval \"$(.ci/container-services start)\"` "
            "(podman + a local registry) so DOCKER_HOST points at one."
        )
    return client


def engine_name(client: docker.DockerClient) -> str:
    """'podman' or 'docker', from the engine's version report (for notebooks saying which path ran)."""
    components = client.version().get("Components") or []
    return "podman" if any("podman" in str(c.get("Name", "")).lower() for c in components) else "docker"


def engine_arch(client: docker.DockerClient) -> str:
    """The engine's native architecture in Lambda's words ("x86_64" or "arm64"): Docker Desktop on Apple Silicon
    and podman machine on an M-series Mac run linux/arm64 natively and x86_64 only under emulation."""
    arch = str(client.version().get("Arch") or "").lower()  # Docker and podman both report it (GOARCH words)
    return "arm64" if arch in ("arm64", "aarch64") else "x86_64"


MANIFEST_TYPES = ("application/vnd.docker.distribution.manifest.v2+json", "application/vnd.oci.image.manifest.v1+json")
INDEX_TYPES = ("application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.oci.image.index.v1+json")


def local_registry() -> str | None:
    """The local registry's `host:port` (KIT_REGISTRY, printed by .ci/container-services), or None."""
    return os.environ.get("KIT_REGISTRY") or None


def registry_manifest(reference: str) -> tuple[str, str, str]:
    """(manifest JSON, media type, digest) of `host:port/repo:tag` (or `repo@digest`) in a plain-http local registry:
    a single-platform manifest or an index, as pushed.

    These are exactly what ECR's put_image takes, so the emulated ECR lists the pushed image's real digest.
    """
    host, _, path = reference.partition("/")
    repo, _, tag = path.partition("@") if "@" in path else path.rpartition(":")
    try:
        resp = requests.get(f"http://{host}/v2/{repo}/manifests/{tag}",
                            headers={"Accept": ", ".join((*MANIFEST_TYPES, *INDEX_TYPES))}, timeout=10)
    except requests.RequestException:
        raise KitError(f"The registry {host} does not answer: run `eval \"$(.ci/container-services start)\"`.") from None
    if resp.status_code != 200:
        raise KitError(f"{reference} is not in the registry (HTTP {resp.status_code}): push it first.")
    media_type = resp.headers.get("Content-Type", MANIFEST_TYPES[0])
    return resp.content.decode(), media_type, resp.headers["Docker-Content-Digest"]


def registry_put_manifest(reference: str, manifest: str, media_type: str) -> None:
    """Put `manifest` under `host:port/repo:tag` in a plain-http local registry (the Registry API's manifest PUT)."""
    host, _, path = reference.partition("/")
    repo, _, tag = path.rpartition(":")
    try:
        resp = requests.put(f"http://{host}/v2/{repo}/manifests/{tag}", data=manifest.encode(),
                            headers={"Content-Type": media_type}, timeout=30)
    except requests.RequestException:
        raise KitError(f"The registry {host} does not answer: run `eval \"$(.ci/container-services start)\"`.") from None
    if resp.status_code not in (200, 201):
        raise KitError(f"The registry {host} refused the manifest for {reference} (HTTP {resp.status_code}): push again.")
