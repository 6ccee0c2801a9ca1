"""What the SageMaker Serverless deployment is made of, in one place: names, sizes, limits, waits.

Sized like the Lambda functions (03, helpers/deploy/settings.py): the translator peaks at 74 MB (slim) / 312 MB
(torch), and serverless memory starts at 1024 MB (1 GB steps up to 6144 MB, CPU share grows with it).
"""
from __future__ import annotations

import re

from helpers.core.config import KitConfig

ENDPOINT_MEMORY_MB = {"slim": 1024, "torch": 2048}  # the smallest size for slim; torch imports faster with more CPU
MAX_CONCURRENCY = 2  # at most 2 copies at once: a cost cap, like the functions' reserved concurrency
VARIANT = "AllTraffic"  # serverless endpoints have exactly one production variant
CONTENT_TYPE = "application/json"
WAIT_S = {"aws": 1800.0, "local": 300.0}  # creating or updating a serverless endpoint takes minutes on AWS
POLL_S = {"aws": 15.0, "local": 0.2}
ARCHITECTURE = "x86_64"  # the only CPU Serverless Inference runs (no instance type to pick Graviton with; see 03b)
ROLE_RETRY_S = 120  # IAM is eventually consistent: SageMaker may not assume a brand-new role for a few seconds


def endpoint_name(cfg: KitConfig) -> str:
    """The endpoint's name (what callers invoke; it stays across updates), e.g. `ltk-translator-sls`."""
    return cfg.name("translator-sls")


def execution_role_name(cfg: KitConfig) -> str:
    """The role SageMaker assumes to pull the image and write the endpoint's logs, e.g. `ltk-sagemaker-role`."""
    return cfg.name("sagemaker-role")


def endpoint_log_group(endpoint: str) -> str:
    """Where SageMaker writes an endpoint's container output, e.g. `/aws/sagemaker/Endpoints/ltk-translator-sls`."""
    return f"/aws/sagemaker/Endpoints/{endpoint}"


def model_name(cfg: KitConfig, runtime: str, digest: str) -> str:
    """A model's name: the runtime and a hash of what it holds, e.g. `ltk-translator-slim-0a1b2c3d`."""
    return cfg.name(f"translator-{runtime}-{digest}")


def config_name(cfg: KitConfig, digest: str) -> str:
    """An endpoint config's name: the endpoint's and a hash of what it holds, e.g. `ltk-translator-sls-0a1b2c3d`."""
    return f"{endpoint_name(cfg)}-{digest}"


def is_kit_name(cfg: KitConfig, kind: str, name: str) -> bool:
    """Whether `name` is exactly a name the kit gives a model (`kind` "model") or an endpoint config ("config") under
    cfg's prefix: never merely a name containing it (`altk-translator-...` is another prefix's)."""
    pattern = (re.escape(cfg.name("translator-")) + r"(slim|torch)-[0-9a-f]{8}" if kind == "model"
               else re.escape(endpoint_name(cfg)) + r"-[0-9a-f]{8}")
    return re.fullmatch(pattern, name) is not None
