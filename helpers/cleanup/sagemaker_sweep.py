"""The SageMaker part of the sweep (sweep.py): the kit's serverless endpoint, endpoint configs and models.

Found by listing (names starting with the prefix) and kept only when their tags are the kit's, or, untagged, when
named exactly as the kit names them. Deleted in dependency order: the endpoint first, waited for until SageMaker has
removed it (`Deleting` takes a while on AWS), then the endpoint configs and the models. Its execution role and log
group are swept with the other roles and log groups (sweep.py).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from helpers.aws import client
from helpers.core.config import KitConfig
from helpers.core.errors import KitError
from helpers.sagemaker.serverless_settings import POLL_S, WAIT_S, endpoint_name, execution_role_name, endpoint_log_group

SAGEMAKER_KINDS = ("sagemaker_endpoints", "sagemaker_endpoint_configs", "sagemaker_models")
_LISTS = {  # kind -> (list call, result key, name key, ARN key)
    "sagemaker_endpoints": ("list_endpoints", "Endpoints", "EndpointName", "EndpointArn"),
    "sagemaker_endpoint_configs": ("list_endpoint_configs", "EndpointConfigs", "EndpointConfigName",
                                   "EndpointConfigArn"),
    "sagemaker_models": ("list_models", "Models", "ModelName", "ModelArn"),
}


def sagemaker_names(cfg: KitConfig) -> dict[str, set[str]]:
    """The exact names the kit gives (configs and models carry a hash: only their tags identify them)."""
    return {"sagemaker_endpoints": {endpoint_name(cfg)}, "sagemaker_endpoint_configs": set(),
            "sagemaker_models": set(), "iam_roles": {execution_role_name(cfg)},
            "log_groups": {endpoint_log_group(endpoint_name(cfg))}}


def _gone(err: ClientError) -> bool:
    """SageMaker's answer for a resource that does not exist (a ValidationException "Could not find ...")."""
    return "Could not find" in err.response.get("Error", {}).get("Message", "")


def find_sagemaker(cfg: KitConfig, is_kits: Callable[[str, str, dict[str, str] | None], bool]) -> dict[str, list[str]]:
    """The kit's SageMaker resources that exist now, by kind; `is_kits(kind, name, tags)` decides."""
    sm, found = client("sagemaker", cfg), {k: [] for k in SAGEMAKER_KINDS}
    for kind, (call, key, name_key, arn_key) in _LISTS.items():
        for page in sm.get_paginator(call).paginate(NameContains=cfg.prefix):
            for item in page[key]:
                if not item[name_key].startswith(f"{cfg.prefix}-"):
                    continue
                try:
                    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=item[arn_key])["Tags"]}
                except ClientError as err:
                    if _gone(err):
                        continue
                    raise
                if is_kits(kind, item[name_key], tags):
                    found[kind].append(item[name_key])
    return found


def delete_sagemaker(cfg: KitConfig, found: dict[str, list[str]], sleep: Callable[[float], None] = time.sleep) -> None:
    """Delete the endpoints, wait until they are gone, then delete the endpoint configs and models."""
    sm = client("sagemaker", cfg)

    def quietly(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except ClientError as err:
            if not _gone(err):
                raise
            return None

    for name in found["sagemaker_endpoints"]:
        quietly(lambda: sm.delete_endpoint(EndpointName=name))
    deadline = time.monotonic() + WAIT_S[cfg.target]
    for name in found["sagemaker_endpoints"]:
        while quietly(lambda: sm.describe_endpoint(EndpointName=name)) is not None:
            if time.monotonic() > deadline:
                raise KitError(f"Endpoint {name} is still being deleted after {WAIT_S[cfg.target]:.0f} s: "
                               "re-run this cell in a few minutes.")
            sleep(POLL_S[cfg.target])
    for name in found["sagemaker_endpoint_configs"]:
        quietly(lambda: sm.delete_endpoint_config(EndpointConfigName=name))
    for name in found["sagemaker_models"]:
        quietly(lambda: sm.delete_model(ModelName=name))
