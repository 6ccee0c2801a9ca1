"""The local image store: what the local Lambda runtime should run for an image URI pushed to the emulated ECR.

moto's ECR keeps manifests but drops layer bytes, so 02_build_image registers here, after each push,
where the image's contents live on this machine (a staged task root and/or an image in a local engine).
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

from filelock import FileLock

from helpers.core.aws_facts.image_uri import parse_image_uri
from helpers.core.paths import kit_home, write_json


@dataclass
class ImageRecord:
    """One pushed image: its registry URI and digest, and where its contents are on this machine."""

    uri: str  # repo-uri:tag as pushed to the (emulated) ECR
    digest: str  # "sha256:..."
    handler: str = "lambda_app.app.handler"  # the image CMD
    task_root: str | None = None  # staged LAMBDA_TASK_ROOT on the host (the host launcher)
    container_image: str | None = None  # image ref in the local engine (the container launcher)
    architecture: str = "x86_64"
    uncompressed_bytes: int = 0  # all layers uncompressed, as Lambda measures its 10 GiB limit (0: unknown)

    @property
    def repository(self) -> str:
        """The repository URI without tag or digest."""
        return _split(self.uri)[0]


def _split(image_uri: str) -> tuple[str, str | None, str | None]:
    """(registry/repository, tag, digest) of an image URI."""
    ref = parse_image_uri(image_uri)
    return ref.name, ref.tag, ref.digest


def _path() -> Path:
    d = kit_home() / "local"
    d.mkdir(parents=True, exist_ok=True)
    return d / "images.json"


@contextmanager
def _locked() -> Iterator[Path]:
    path = _path()
    with FileLock(path.with_suffix(".lock")):  # portable (no fcntl on Windows)
        yield path


def _load(path: Path) -> list[dict]:
    return json.loads(path.read_text()) if path.exists() else []


def register_image(rec: ImageRecord) -> None:
    """Record a pushed image; a re-push of the same tag replaces the tag's previous record."""
    if not rec.digest.startswith("sha256:"):
        raise ValueError(f"digest must look like 'sha256:...', got {rec.digest!r}")
    with _locked() as path:
        records = [r for r in _load(path) if r["uri"] != rec.uri]
        records.append(asdict(rec))
        write_json(path, records, indent=2)


def find_image(image_uri: str) -> ImageRecord | None:
    """The record for `repo-uri:tag` or `repo-uri@sha256:...` (newest registration wins), else None."""
    repo, tag, digest = _split(image_uri)
    with _locked() as path:
        records = [ImageRecord(**r) for r in _load(path)]
    for rec in reversed(records):
        rec_repo, rec_tag, _ = _split(rec.uri)
        if rec_repo != repo:
            continue
        if digest is not None and rec.digest == digest:
            return rec
        if digest is None and rec_tag == (tag or "latest"):
            return rec
    return None


def forget_images() -> None:
    """Empty the local image store (04_cleanup: the emulated ECR it mirrors is gone with the stack)."""
    with _locked() as path:
        path.unlink(missing_ok=True)


def too_large(image_uri: str | None) -> tuple[str, str] | None:
    """Lambda's size failure (aws_facts.image_manifests.size_failure) for an image of this store, from the
    uncompressed size its push recorded; None when it fits or is not here."""
    from helpers.core.aws_facts.image_manifests import size_failure

    rec = find_image(image_uri) if image_uri else None
    return size_failure(rec.uncompressed_bytes) if rec else None
