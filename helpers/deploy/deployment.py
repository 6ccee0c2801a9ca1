"""Deploy the pushed image in one call: execution role, one function per runtime, the HTTP API; idempotent.

Every step looks up what exists first and updates it, so re-running `deploy` (like re-running `sam deploy`)
converges on the same resources and never duplicates them. The same code runs on both targets; only
`helpers.aws.client` knows whether it talks to AWS or to the local stack. 03 walks through the same steps one
cell at a time (role.py, function.py, http_api.py).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from botocore.exceptions import ClientError

from helpers import aws
from helpers.core.aws_facts.image_uri import parse_image_uri
from helpers.core.changes import Changes
from helpers.core.config import KitConfig
from helpers.core.errors import KitError
from helpers.core.progress import progress
from helpers.core.state import load_state, save_state
from helpers.deploy.calls import Reply, wait_until_healthy
from helpers.deploy.function import Function, ensure_function
from helpers.deploy.http_api import HttpApi, api_base_url, ensure_http_api
from helpers.deploy.role import ensure_role
from helpers.deploy.settings import LAMBDA_IMAGE_LIMIT_BYTES

@dataclass
class Deployment:
    """Everything `deploy` set up, plus the URL to call."""

    role_arn: str
    functions: dict[str, Function]
    api: HttpApi
    url: str
    changes: Changes
    health: Reply | None = None  # the first GET /health that answered 200



def check_image_sizes(uris: dict[str, str]) -> None:
    """Refuse, before anything is created, an image over Lambda's limit: "Container image code package size: 10 GB
    (maximum uncompressed image size, including all layers)" (Lambda quotas). Sizes as 02 recorded them."""
    sizes = load_state().get("image_uncompressed_bytes") or {}
    for runtime, uri in sorted(uris.items()):
        size = int(sizes.get(uri) or 0)
        if size > LAMBDA_IMAGE_LIMIT_BYTES:
            raise KitError(f"The {runtime} image {uri} is {size / 2**30:.1f} GiB uncompressed, over Lambda's 10 GiB "
                           "limit for container images: make it smaller (the slim runtime, fewer dependencies), "
                           "re-run 02, then this cell.")


def pushed_images(cfg: KitConfig) -> dict[str, str]:
    """The image URI per runtime that 02_build_image pushed (and saved in the kit's state)."""
    uris: dict[str, str] = load_state().get("image_uris") or {}
    if not uris:
        raise KitError("No pushed image found: run notebooks/02_build_image.ipynb first (it saves the image URI).")
    if cfg.runtime not in uris:
        raise KitError(f"No {cfg.runtime} image was pushed (only {', '.join(sorted(uris))}): run 02 for that "
                       f"runtime or set KIT_RUNTIME to one of them.")
    check_image_sizes(uris)
    ecr = aws.client("ecr", cfg)
    for uri in uris.values():
        ref = parse_image_uri(uri)
        try:
            with aws.aws_errors():
                ecr.describe_images(repositoryName=ref.repository, imageIds=[{"imageTag": ref.tag or "latest"}])
        except ClientError as err:
            where = (" (the local emulator starts empty after a restart, e.g. after its idle timeout)"
                     if cfg.target == "local" else "")
            raise KitError(f"The image {uri} saved by 02 is no longer in ECR{where}: re-run "
                           "notebooks/02_build_image.ipynb, then this cell.") from err
    return uris


def where_it_runs(cfg: KitConfig, image_uri: str) -> str:
    """Where invocations of a function with this image run: AWS Lambda, or which local path."""
    if cfg.target == "aws":
        return "AWS Lambda"
    from local_aws.face import where_function_runs

    return where_function_runs(image_uri)


def deploy(cfg: KitConfig, memory_mb: dict[str, int] | None = None) -> Deployment:
    """Deploy one function per pushed runtime and the HTTP API in front of cfg.runtime's; idempotent. Returns once
    `GET /health` answers 200 (HEALTH_WAIT_S at most), so the first request finds the API ready."""
    uris, changes = pushed_images(cfg), Changes()
    with aws.aws_errors():
        role_arn = ensure_role(cfg, changes)
        functions = {rt: ensure_function(cfg, rt, uri, role_arn, changes, (memory_mb or {}).get(rt))
                     for rt, uri in progress(sorted(uris.items()), desc="functions", unit="fn")}
        api = ensure_http_api(cfg, functions[cfg.runtime], changes)
    url = api_base_url(cfg, api)
    save_state(deployment={"role_arn": role_arn, "api_id": api.api_id, "api_url": url,
                           "functions": {rt: asdict(f) for rt, f in functions.items()}})
    return Deployment(role_arn=role_arn, functions=functions, api=api, url=url, changes=changes,
                      health=wait_until_healthy(url))
