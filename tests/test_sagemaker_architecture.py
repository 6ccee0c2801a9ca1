"""Issue 23, item 4: SageMaker Serverless Inference runs x86_64 only. The kit refuses an arm64 image (Docker Desktop's
default on Apple silicon) before creating anything; the emulated SageMaker fails such an endpoint as AWS would."""
from __future__ import annotations

import time
from typing import Any

import pytest

from helpers.aws import client
from helpers.core.config import get_config
from helpers.core.errors import KitError
from helpers.core.state import save_state
from local_aws.ecr.images import ImageRecord, register_image
from test_local_stack import HANDLERS, push_test_image


def _arm64_image() -> str:
    uri = push_test_image("ltk-translator", "slim-arm", register=False)
    digest = client("ecr").describe_images(repositoryName="ltk-translator",
                                           imageIds=[{"imageTag": "slim-arm"}])["imageDetails"][0]["imageDigest"]
    register_image(ImageRecord(uri=uri, digest=digest, handler="kit_test_app.app.handler", task_root=str(HANDLERS),
                               architecture="arm64"))
    save_state(image_uris={"slim": uri}, image_architectures={uri: "arm64"})
    return uri


def test_an_arm64_image_is_refused_before_anything_is_created(local_stack: Any) -> None:
    from helpers.sagemaker import deploy_serverless

    _arm64_image()
    with pytest.raises(KitError, match=r"built for arm64, but SageMaker Serverless Inference runs x86_64 only"):
        deploy_serverless(get_config())
    assert not [r for r in client("iam").list_roles()["Roles"] if "sagemaker" in r["RoleName"]]
    assert not client("sagemaker").list_models()["Models"]


def test_the_emulated_endpoint_fails_an_arm64_image(local_stack: Any) -> None:
    from helpers.core.changes import Changes
    from helpers.sagemaker.execution_role import ensure_execution_role

    uri, sm = _arm64_image(), client("sagemaker")
    role = ensure_execution_role(get_config(), "ltk-translator", Changes())
    sm.create_model(ModelName="ltk-arm", ExecutionRoleArn=role, PrimaryContainer={"Image": uri})
    sm.create_endpoint_config(EndpointConfigName="ltk-arm-cfg", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "ltk-arm",
        "ServerlessConfig": {"MemorySizeInMB": 1024, "MaxConcurrency": 1}}])
    sm.create_endpoint(EndpointName="ltk-arm-ep", EndpointConfigName="ltk-arm-cfg")
    deadline = time.monotonic() + 60
    while (ep := sm.describe_endpoint(EndpointName="ltk-arm-ep"))["EndpointStatus"] == "Creating":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert ep["EndpointStatus"] == "Failed" and "runs x86_64 only" in ep["FailureReason"]


def test_a_region_without_serverless_inference_is_refused_early_and_by_the_emulator(local_stack: Any) -> None:
    """Serverless Inference runs in the commercial Regions where SageMaker is (not in China or GovCloud)."""
    from botocore.exceptions import ClientError

    from helpers import aws
    from helpers.core.config import KitConfig
    from helpers.sagemaker import deploy_serverless

    china = KitConfig(target="local", region="cn-north-1", prefix="ltk", tags=get_config().tags)
    with pytest.raises(KitError, match="Serverless Inference is not offered in cn-north-1"):
        deploy_serverless(china)
    sm = aws._client("sagemaker", "cn-north-1", local_stack.endpoint)
    with pytest.raises(ClientError, match="not offered in cn-north-1"):
        sm.create_endpoint_config(EndpointConfigName="ltk-cn", ProductionVariants=[{
            "VariantName": "AllTraffic", "ModelName": "ltk-x",
            "ServerlessConfig": {"MemorySizeInMB": 1024, "MaxConcurrency": 1}}])
