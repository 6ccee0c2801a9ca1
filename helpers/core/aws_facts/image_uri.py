"""Container image URIs as ECR and Lambda write them: `ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO[:TAG][@sha256:...]`
(Amazon ECR User Guide, "Pushing an image"; Docker's reference grammar: the first path component is a registry
when it has a `.` or a `:` or is `localhost`, and a registry's port is not a tag)."""
from __future__ import annotations

import re
from dataclasses import dataclass

_ECR_HOST = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com")


@dataclass(frozen=True)
class ImageUri:
    """The parts of an image URI."""

    registry: str | None  # e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com, 127.0.0.1:5000; None: none named
    repository: str  # the path in the registry, e.g. ltk-translator
    tag: str | None
    digest: str | None  # sha256:...

    @property
    def name(self) -> str:
        """registry/repository without tag or digest (what two references to one repository share)."""
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    @property
    def ecr_account_region(self) -> tuple[str, str] | None:
        """(account, region) of an ECR registry; None for any other registry."""
        m = _ECR_HOST.match(self.registry or "")
        return (m["account"], m["region"]) if m else None


def parse_image_uri(uri: str) -> ImageUri:
    """Split an image URI into registry, repository, tag and digest."""
    rest, _, digest = uri.partition("@")
    first, slash, path = rest.partition("/")
    registry = first if slash and ("." in first or ":" in first or first == "localhost") else None
    path = path if registry else rest
    head, _, last = path.rpartition("/")
    name, colon, tag = last.partition(":")
    repository = f"{head}/{name}" if head else name
    return ImageUri(registry, repository, tag if colon else None, digest or None)
