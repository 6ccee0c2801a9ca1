"""The kit's configuration, resolved in one place: target, region, name prefix, tags."""
from __future__ import annotations

import os
from functools import lru_cache
from dataclasses import dataclass, field
from typing import Literal

from helpers.core.attendee import ATTENDEE_TAG, PREFIX_RE, identity_name, name_safe
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
    attendee: str | None = None  # who runs it (aws: the caller identity's name; KIT_ATTENDEE); tagged kit-attendee
    boundary: str | None = None  # KIT_PERMISSIONS_BOUNDARY: the policy ARN every role the kit creates is bounded by
    # local only: an IAM user's access key on the local stack (a rehearsed attendee; KIT_LOCAL_ACCESS_KEY_ID and
    # KIT_LOCAL_SECRET_ACCESS_KEY), else the stack's administrator key. Never shown (repr=False).
    local_key: tuple[str, str] | None = field(default=None, repr=False)

    def role_extras(self) -> dict[str, str]:
        """create_role's extra arguments: the permissions boundary a workshop's attendee policy requires."""
        return {"PermissionsBoundary": self.boundary} if self.boundary else {}

    def name(self, what: str) -> str:
        """A resource name carrying the kit's prefix, e.g. `ltk-translator`."""
        return f"{self.prefix}-{what}"


# Regions launched since March 2019 are opt-in: an account must enable them before any call there succeeds.
OPT_IN_REGIONS = {
    "af-south-1", "ap-east-1", "ap-south-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7",
    "ca-west-1", "eu-central-2", "eu-south-1", "eu-south-2", "il-central-1", "me-central-1", "me-south-1",
    "mx-central-1",
}


def _profile_name() -> str:
    return os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE") or "default"


def _profile_error(err: Exception) -> KitError:
    """One sentence for a profile/config file boto3 cannot use."""
    from botocore.exceptions import ProfileNotFound

    if isinstance(err, ProfileNotFound):
        return KitError(f"The AWS profile {_profile_name()!r} (AWS_PROFILE) is not in ~/.aws/config: fix the name, "
                        "or run `aws configure --profile NAME` (or `aws configure sso`), then re-run.")
    return KitError(f"The AWS configuration of profile {_profile_name()!r} is broken ({err}): fix ~/.aws/config and "
                    "~/.aws/credentials (or unset AWS_PROFILE), then re-run.")


def _profile_region() -> str | None:
    """The region of the active AWS profile (`aws configure`), or None (also when the profile is unusable)."""
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        return boto3.Session().region_name
    except BotoCoreError:
        return None


def check_aws_credentials() -> None:
    """A KitError unless boto3's credential chain yields usable credentials (each failure its own sentence).

    Expired SSO sessions, broken or missing profiles and missing credentials are told apart; resolving SSO
    credentials may call the SSO portal (target='aws' only).
    """
    import boto3
    from botocore.exceptions import (BotoCoreError, CredentialRetrievalError, SSOError, TokenRetrievalError)

    try:
        creds = boto3.Session().get_credentials()
        if creds is not None:
            creds.get_frozen_credentials()
    except (SSOError, TokenRetrievalError):
        raise KitError(f"The AWS SSO session of profile {_profile_name()!r} has expired (or was never started): run "
                       f"`aws sso login --profile {_profile_name()}`, then re-run this cell.") from None
    except CredentialRetrievalError as err:
        raise KitError(f"AWS credentials could not be loaded ({err}): fix the profile's credential source "
                       "(~/.aws/config), then re-run.") from None
    except BotoCoreError as err:
        raise _profile_error(err) from None
    if creds is None:
        raise KitError(
            "No AWS credentials found for target='aws': run `aws configure` (or set AWS_PROFILE), "
            "or use target='local' to run offline."
        )


@lru_cache(maxsize=8)
def _caller_arn(region: str, access_key: str) -> str:
    """The STS caller identity's ARN for these credentials (GetCallerIdentity needs no IAM permission)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return str(boto3.session.Session().client("sts", region_name=region).get_caller_identity()["Arn"])
    except (BotoCoreError, ClientError) as err:
        raise KitError(f"AWS did not say who these credentials belong to (sts:GetCallerIdentity: {err}): check "
                       "`aws sts get-caller-identity`, or set KIT_PREFIX.") from None


def caller_name(region: str) -> str:
    """The name of the identity the credential chain resolves to (IAM user, role session, or root)."""
    import boto3

    creds = boto3.Session().get_credentials()
    return identity_name(_caller_arn(region, creds.access_key if creds else ""))


def _local_key() -> tuple[str, str] | None:
    key, secret = os.environ.get("KIT_LOCAL_ACCESS_KEY_ID"), os.environ.get("KIT_LOCAL_SECRET_ACCESS_KEY")
    return (key, secret) if key and secret else None


def get_config(
    target: str | None = None,
    region: str | None = None,
    prefix: str | None = None,
    runtime: str | None = None,
) -> KitConfig:
    """Resolve the config from arguments, then KIT_* / AWS_* env vars, then defaults.

    The target is `local` unless asked for: `aws` only with target='aws' or KIT_TARGET=aws (credentials being
    present never switch to a real account). Region: KIT_REGION, AWS_REGION, AWS_DEFAULT_REGION, the profile's
    region, then us-east-1. Prefix: KIT_PREFIX, else on `aws` the caller identity's name made name-safe
    (helpers.core.attendee: attendees sharing an account never share a prefix), else `ltk`.
    """
    target = target or os.environ.get("KIT_TARGET") or "local"
    if target not in ("aws", "local"):
        raise KitError(f"Unknown target {target!r}: use target='local' (offline) or target='aws'.")
    if target == "aws":
        check_aws_credentials()
    region = (region or os.environ.get("KIT_REGION") or os.environ.get("AWS_REGION")
              or os.environ.get("AWS_DEFAULT_REGION") or _profile_region() or "us-east-1")
    if region not in KNOWN_REGIONS:
        raise KitError(
            f"Region {region!r} is not a region where the kit can run (Lambda images + ECR + HTTP APIs): "
            "set KIT_REGION to one like 'us-east-1' or 'eu-west-1'."
        )
    attendee = os.environ.get("KIT_ATTENDEE") or (caller_name(region) if target == "aws" else None)
    prefix = prefix or os.environ.get("KIT_PREFIX") or (name_safe(attendee) if target == "aws" and attendee else "ltk")
    if not PREFIX_RE.fullmatch(prefix):
        raise KitError(
            f"Name prefix {prefix!r} must be 2-20 lowercase letters, digits or '-', starting with a letter."
        )
    runtime = runtime or os.environ.get("KIT_RUNTIME") or "slim"
    if runtime not in ("torch", "slim"):
        raise KitError(f"Unknown runtime {runtime!r}: use 'torch' (PyTorch) or 'slim' (ONNX Runtime).")
    tags = {"project": "lambda-torch-kit", "kit-prefix": prefix} | ({ATTENDEE_TAG: attendee} if attendee else {})
    return KitConfig(target=target, region=region, prefix=prefix, runtime=runtime, tags=tags,  # type: ignore[arg-type]
                     attendee=attendee, boundary=os.environ.get("KIT_PERMISSIONS_BOUNDARY") or None,
                     local_key=_local_key() if target == "local" else None)  # type: ignore[arg-type]
