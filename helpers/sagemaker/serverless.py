"""Deploy the image 02 pushed to SageMaker Serverless Inference in one idempotent call, beside the Lambda functions.

The same image serves both: Lambda runs its ENTRYPOINT with the handler (the CMD), SageMaker runs `IMAGE serve`
(lambda_app/entrypoint.sh -> lambda_app/serve.py: GET /ping, POST /invocations). 03b walks through the steps.
"""
from __future__ import annotations

import time
from dataclasses import asdict

from helpers.build.ecr import REPOSITORY
from helpers.core.changes import Changes
from helpers.core.config import KitConfig
from helpers.core.state import save_state
from helpers.core.errors import KitError
from helpers.deploy.deployment import pushed_images
from helpers.deploy.function import image_architecture
from helpers.sagemaker.endpoint import ServerlessEndpoint, deploy_endpoint
from helpers.sagemaker.execution_role import ensure_execution_role
from helpers.sagemaker.serverless_settings import ARCHITECTURE
from helpers.core.aws_facts.sagemaker_serverless import region_refusal


def deploy_serverless(cfg: KitConfig, changes: Changes | None = None,
                      env: dict[str, str] | None = None) -> ServerlessEndpoint:
    """The execution role, then model, serverless config and endpoint for cfg.runtime's pushed image; InService.
    Saves the endpoint in the kit's state (`serverless`)."""
    changes = changes if changes is not None else Changes()
    if elsewhere := region_refusal(cfg.region):  # before anything is created
        raise KitError(f"{elsewhere} Set KIT_REGION to one of them (e.g. us-east-1) for 03b.")
    image_uri = pushed_images(cfg)[cfg.runtime]
    require_serverless_architecture(cfg, image_uri)
    role_arn = ensure_execution_role(cfg, cfg.name(REPOSITORY), changes)
    endpoint = deploy_endpoint(cfg, image_uri, role_arn, changes, env=env)
    save_state(serverless=asdict(endpoint))
    return endpoint


def require_serverless_architecture(cfg: KitConfig, image_uri: str) -> None:
    """Refuse an image Serverless Inference cannot start: it runs x86_64 only (its config has no instance type, and
    SageMaker documents Graviton/arm64 only for instance-based endpoints), so an Apple-silicon arm64 build fails."""
    arch = image_architecture(cfg, image_uri)
    if arch != ARCHITECTURE:
        raise KitError(f"The {cfg.runtime} image {image_uri} is built for {arch}, but SageMaker Serverless Inference "
                       f"runs {ARCHITECTURE} only: build it for {ARCHITECTURE} in 02 (KIT_ARCH=x86_64, or "
                       "build_images(..., arch=\"x86_64\")), push it, then re-run this cell.")


def force_endpoint_cold_start(cfg: KitConfig) -> ServerlessEndpoint:
    """Make SageMaker provision new capacity (an update to a new model environment), as Lambda's cold start is forced
    by a configuration change (helpers.deploy.calls.force_function_cold_start). Takes minutes on AWS (Updating)."""
    return deploy_serverless(cfg, env={"KIT_COLD_START": str(time.time_ns())})


def where_it_serves(cfg: KitConfig, image_uri: str) -> str:
    """Where the endpoint's calls run: SageMaker Serverless on AWS, or which local path (container or host)."""
    if cfg.target == "aws":
        return "SageMaker Serverless Inference (AWS)"
    from local_aws.face import where_endpoint_serves

    return where_endpoint_serves(image_uri)
