"""The kit's configuration, resolved in one place: target, region, name prefix, tags."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Literal

from helpers.core.errors import KitError

Target = Literal["aws", "local"]
Runtime = Literal["torch", "slim"]

# Regions where Lambda container images, ECR and HTTP APIs are all available (commercial partition).
KNOWN_REGIONS = {
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1",
    "eu-south-1", "eu-south-2", "ap-south-1", "ap-south-2", "ap-northeast-1", "ap-northeast-2",
    "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
    "ap-east-1", "me-south-1", "me-central-1", "af-south-1", "il-central-1",
}


@dataclass(frozen=True)
class KitConfig:
    """Everything that differs between runs: where to deploy and what to call things."""

    target: Target
    region: str = "us-east-1"
    prefix: str = "ltk"
    runtime: Runtime = "slim"
    tags: dict[str, str] = field(default_factory=dict)

    def name(self, what: str) -> str:
        """A resource name carrying the kit's prefix, e.g. `ltk-translator`."""
        return f"{self.prefix}-{what}"


def _has_aws_credentials() -> bool:
    import boto3

    try:
        return boto3.Session().get_credentials() is not None
    except Exception:  # a broken profile file counts as "no credentials"
        return False


def get_config(
    target: str | None = None,
    region: str | None = None,
    prefix: str | None = None,
    runtime: str | None = None,
) -> KitConfig:
    """Resolve the config from arguments, then KIT_* env vars, then defaults.

    The target defaults to `aws` when boto3 finds credentials and `local` otherwise.
    """
    target = target or os.environ.get("KIT_TARGET") or ("aws" if _has_aws_credentials() else "local")
    if target not in ("aws", "local"):
        raise KitError(f"Unknown target {target!r}: use target='local' (offline) or target='aws'.")
    if target == "aws" and not _has_aws_credentials():
        raise KitError(
            "No AWS credentials found for target='aws': run `aws configure` (or set AWS_PROFILE), "
            "or use target='local' to run offline."
        )
    region = (region or os.environ.get("KIT_REGION") or os.environ.get("AWS_REGION")
              or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
    if region not in KNOWN_REGIONS:
        raise KitError(
            f"Region {region!r} is not a region where the kit can run (Lambda images + ECR + HTTP APIs): "
            "set KIT_REGION to one like 'us-east-1' or 'eu-west-1'."
        )
    prefix = prefix or os.environ.get("KIT_PREFIX") or "ltk"
    if not re.fullmatch(r"[a-z][a-z0-9-]{1,19}", prefix):
        raise KitError(
            f"Name prefix {prefix!r} must be 2-20 lowercase letters, digits or '-', starting with a letter."
        )
    runtime = runtime or os.environ.get("KIT_RUNTIME") or "slim"
    if runtime not in ("torch", "slim"):
        raise KitError(f"Unknown runtime {runtime!r}: use 'torch' (PyTorch) or 'slim' (ONNX Runtime).")
    tags = {"project": "lambda-torch-kit", "kit-prefix": prefix}
    return KitConfig(target=target, region=region, prefix=prefix, runtime=runtime, tags=tags)  # type: ignore[arg-type]
