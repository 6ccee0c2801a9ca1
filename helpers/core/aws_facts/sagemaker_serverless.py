"""The CPU SageMaker Serverless Inference runs images on: x86_64.

A serverless endpoint config has no instance type and no architecture (ProductionVariantServerlessConfig: memory and
concurrency only), and SageMaker documents arm64 (AWS Graviton) hosting only for instance-based endpoints (`ml.*g`
instance types); Serverless Inference's own page lists it as CPU-only. So an arm64 image (what Docker Desktop builds
by default on Apple silicon) cannot start there: the capacity SageMaker provisions fails its start and the endpoint
goes `Failed`. The emulator does the same (local_aws.sagemaker.control_plane); the kit refuses such an image before creating
anything (helpers.sagemaker.serverless).
"""
from __future__ import annotations

SERVERLESS_ARCHITECTURE = "x86_64"


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
