"""The serverless endpoint with the sagemaker SDK (v3 core resources): model -> endpoint config -> endpoint, idempotent.

Models and endpoint configs cannot change in place, so their names carry a hash of what they hold: a new image,
environment, memory size or concurrency makes new ones, and the endpoint (same name, same URL) is updated to them.
Re-running with nothing changed finds everything and changes nothing. The model and config an update replaced are
deleted once the endpoint no longer uses them. A Failed endpoint can only be deleted (AWS), so it is deleted and created
again. Every resource carries the kit's tags (04_cleanup finds them by those).
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from helpers import aws
from helpers.build.live_tags import digest_of, mark_live, repository_of
from helpers.core.changes import Changes, put_log_group
from helpers.core.config import KitConfig
from helpers.core.errors import KitError
from helpers.sagemaker.sdk import sdk_args
from helpers.sagemaker.serverless_settings import (MAX_CONCURRENCY, ENDPOINT_MEMORY_MB, POLL_S, ROLE_RETRY_S, VARIANT,
                                                   WAIT_S, config_name, endpoint_name, is_kit_name, endpoint_log_group,
                                                   model_name)


@dataclass(frozen=True)
class ServerlessEndpoint:
    """A deployed serverless endpoint, as SageMaker describes it."""

    name: str
    arn: str
    status: str
    config: str
    model: str
    image_uri: str
    runtime: str
    memory_mb: int
    max_concurrency: int
    role_arn: str


def _digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:8]


def _tags(cfg: KitConfig) -> list[Any]:
    from sagemaker.core.shapes import Tag

    return [Tag(key=k, value=v) for k, v in sorted(cfg.tags.items())]


def _missing(err: ClientError) -> bool:
    """SageMaker's "does not exist" answer to a Describe* call (a ValidationException saying "Could not find")."""
    return "Could not find" in err.response.get("Error", {}).get("Message", "")


def _get(resource: Any, **kwargs: Any) -> Any:
    """`resource.get(**kwargs)`, or None when it does not exist."""
    try:
        return resource.get(**kwargs)
    except ClientError as err:
        if _missing(err):
            return None
        raise


def ensure_model(cfg: KitConfig, runtime: str, image_uri: str, role_arn: str, env: dict[str, str],
                 changes: Changes) -> str:
    """The SageMaker model for this image, environment and role (named by their hash); its name."""
    from sagemaker.core.resources import Model
    from sagemaker.core.shapes import ContainerDefinition

    args, name = sdk_args(cfg), model_name(cfg, runtime, _digest(image_uri, env, role_arn))
    if _get(Model, model_name=name, **args) is None:
        deadline, delay = time.monotonic() + ROLE_RETRY_S, 2.0
        while True:
            try:
                Model.create(model_name=name, primary_container=ContainerDefinition(image=image_uri, environment=env),
                             execution_role_arn=role_arn, tags=_tags(cfg), **args)
                break
            except ClientError as err:  # a brand-new role is not assumable for a few seconds (IAM propagation)
                if "Could not assume role" not in str(err) or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 15.0)
        changes.created.append(f"model {name}")
    return name


def ensure_endpoint_config(cfg: KitConfig, model: str, memory_mb: int, max_concurrency: int, changes: Changes) -> str:
    """The serverless endpoint config for `model` (named by model, memory and concurrency); its name."""
    from sagemaker.core.resources import EndpointConfig
    from sagemaker.core.shapes import ProductionVariant, ProductionVariantServerlessConfig

    args, name = sdk_args(cfg), config_name(cfg, _digest(model, memory_mb, max_concurrency))
    if _get(EndpointConfig, endpoint_config_name=name, **args) is None:
        serverless = ProductionVariantServerlessConfig(memory_size_in_mb=memory_mb, max_concurrency=max_concurrency)
        EndpointConfig.create(endpoint_config_name=name, tags=_tags(cfg), **args, production_variants=[
            ProductionVariant(variant_name=VARIANT, model_name=model, serverless_config=serverless)])
        changes.created.append(f"endpoint config {name}")
    return name


def wait_for_endpoint(cfg: KitConfig, endpoint: Any) -> Any:
    """Poll until the endpoint is InService or Failed (no longer Creating/Updating); the refreshed endpoint."""
    deadline = time.monotonic() + WAIT_S[cfg.target]
    while endpoint.refresh().endpoint_status not in ("InService", "Failed"):
        if time.monotonic() > deadline:
            raise KitError(f"Endpoint {endpoint.endpoint_name} is still {endpoint.endpoint_status} after "
                           f"{WAIT_S[cfg.target]:.0f} s: check it in the SageMaker console, then re-run this cell.")
        time.sleep(POLL_S[cfg.target])
    return endpoint


def _delete_failed(cfg: KitConfig, endpoint: Any, changes: Changes) -> None:
    from sagemaker.core.resources import Endpoint

    endpoint.delete()
    deadline = time.monotonic() + WAIT_S[cfg.target]
    while _get(Endpoint, endpoint_name=endpoint.endpoint_name, **sdk_args(cfg)) is not None:
        if time.monotonic() > deadline:
            raise KitError(f"Endpoint {endpoint.endpoint_name} is still being deleted: re-run this cell later.")
        time.sleep(POLL_S[cfg.target])
    changes.notes.append(f"endpoint {endpoint.endpoint_name} had failed ({endpoint.failure_reason}): deleted, "
                         "created again")


def ensure_endpoint(cfg: KitConfig, config: str, changes: Changes) -> Any:
    """The endpoint serving `config`: created, or updated to it (UpdateEndpoint), and InService; the SDK's Endpoint."""
    from sagemaker.core.resources import Endpoint

    args, name = sdk_args(cfg), endpoint_name(cfg)
    put_log_group(aws.client("logs", cfg), endpoint_log_group(name), cfg.tags, changes)  # before SageMaker writes
    endpoint = _get(Endpoint, endpoint_name=name, **args)
    if endpoint is not None and wait_for_endpoint(cfg, endpoint).endpoint_status == "Failed":
        _delete_failed(cfg, endpoint, changes)
        endpoint = None
    if endpoint is None:
        endpoint = Endpoint.create(endpoint_name=name, endpoint_config_name=config, tags=_tags(cfg), **args)
        changes.created.append(f"endpoint {name}")
    elif endpoint.endpoint_config_name != config:
        replaced = endpoint.endpoint_config_name
        endpoint.endpoint_config_name = config
        endpoint.update()
        changes.updated.append(f"endpoint {name} ({replaced} -> {config})")
    wait_for_endpoint(cfg, endpoint)
    if endpoint.endpoint_status == "Failed" or endpoint.endpoint_config_name != config:
        raise KitError(f"Endpoint {name} could not be provisioned with {config}: {endpoint.failure_reason} "
                       f"(its logs: {endpoint_log_group(name)}); fix the image or the role, then re-run this cell.")
    return endpoint


def _replaced(cfg: KitConfig, sm: Any, kind: str, keep: str) -> list[str]:
    """The kit's models (`kind` "model") or endpoint configs ("config") other than `keep`: exactly a name the kit
    gives under cfg's prefix AND the kit's tags for that prefix (NameContains alone also matches `altk-...`)."""
    call, key, name_key, arn_key = {"model": ("list_models", "Models", "ModelName", "ModelArn"),
                                    "config": ("list_endpoint_configs", "EndpointConfigs", "EndpointConfigName",
                                               "EndpointConfigArn")}[kind]
    found = []
    for page in sm.get_paginator(call).paginate(NameContains=cfg.name("translator-")):
        for item in page[key]:
            name = item[name_key]
            if name == keep or not is_kit_name(cfg, kind, name):
                continue
            tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=item[arn_key])["Tags"]}
            if all(tags.get(k) == v for k, v in cfg.tags.items()):
                found.append(name)
    return found


def remove_replaced(cfg: KitConfig, keep_config: str, keep_model: str, changes: Changes) -> None:
    """Delete the kit's endpoint configs and models for this endpoint other than the ones it uses now (selected by
    exact name and tags, as 04's sweep selects them)."""
    sm = aws.client("sagemaker", cfg)
    with aws.aws_errors():
        for name in _replaced(cfg, sm, "config", keep_config):
            sm.delete_endpoint_config(EndpointConfigName=name)
            changes.notes.append(f"deleted replaced endpoint config {name}")
        for name in _replaced(cfg, sm, "model", keep_model):
            sm.delete_model(ModelName=name)
            changes.notes.append(f"deleted replaced model {name}")


def describe(endpoint: Any, model: str, runtime: str, role_arn: str, image_uri: str, memory_mb: int,
             max_concurrency: int) -> ServerlessEndpoint:
    """The SDK's Endpoint and what it was deployed with, as one record (the kit's state keeps it)."""
    return ServerlessEndpoint(name=endpoint.endpoint_name, arn=endpoint.endpoint_arn, status=endpoint.endpoint_status,
                              config=endpoint.endpoint_config_name, model=model, image_uri=image_uri, runtime=runtime,
                              memory_mb=memory_mb, max_concurrency=max_concurrency, role_arn=role_arn)


def deploy_endpoint(cfg: KitConfig, image_uri: str, role_arn: str, changes: Changes, runtime: str | None = None,
                    env: dict[str, str] | None = None) -> ServerlessEndpoint:
    """Model, serverless endpoint config and endpoint for `image_uri`, InService; replaced ones removed. Idempotent."""
    runtime = runtime or cfg.runtime
    memory, concurrency = ENDPOINT_MEMORY_MB[runtime], MAX_CONCURRENCY
    with aws.aws_errors():
        model = ensure_model(cfg, runtime, image_uri, role_arn, {"MODEL_RUNTIME": runtime, **(env or {})}, changes)
        config = ensure_endpoint_config(cfg, model, memory, concurrency, changes)
        endpoint = ensure_endpoint(cfg, config, changes)
    remove_replaced(cfg, config, model, changes)
    mark_live(cfg, repository_of(image_uri), digest_of(cfg, image_uri), endpoint.endpoint_name)  # never expired
    return describe(endpoint, model, runtime, role_arn, image_uri, memory, concurrency)
