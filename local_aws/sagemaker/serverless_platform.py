"""The CPU SageMaker Serverless Inference runs images on: x86_64.

A serverless endpoint config has no instance type and no architecture (ProductionVariantServerlessConfig: memory and
concurrency only), and SageMaker documents arm64 (AWS Graviton) hosting only for instance-based endpoints (`ml.*g`
instance types); Serverless Inference's own page lists it as CPU-only. So an arm64 image (what Docker Desktop builds
by default on Apple silicon) cannot start there: the capacity SageMaker provisions fails its start and the endpoint
goes `Failed`. The emulator does the same (control_plane.check); the kit refuses such an image before creating
anything (helpers.sagemaker.serverless).
"""
from __future__ import annotations

SERVERLESS_ARCHITECTURE = "x86_64"


def architecture_refusal(image_uri: str) -> str | None:
    """Why serverless capacity cannot start `image_uri` (built for another CPU), or None."""
    from local_aws.ecr.images import find_image

    rec = find_image(image_uri)
    if rec is None or rec.architecture == SERVERLESS_ARCHITECTURE:
        return None
    return (f"The image {image_uri} is built for {rec.architecture}; Serverless Inference runs "
            f"{SERVERLESS_ARCHITECTURE} only, so its container failed to start (exec format error).")


def serverless_regions() -> set[str]:
    """Where Serverless Inference is offered: "generally available in all AWS commercial Regions where SageMaker is
    available (except the AWS China Regions)" (SageMaker Developer Guide, "Deploy models with Amazon SageMaker
    Serverless Inference"); SageMaker's Regions as botocore's AWS-published endpoint data lists them."""
    import boto3

    return set(boto3.session.Session().get_available_regions("sagemaker", partition_name="aws"))


def region_refusal(region: str) -> str | None:
    """Why a serverless endpoint cannot be created in `region`, or None."""
    if region in serverless_regions():
        return None
    return (f"SageMaker Serverless Inference is not offered in {region}: it runs in the commercial Regions where "
            "SageMaker is available (not in the China or GovCloud Regions).")
