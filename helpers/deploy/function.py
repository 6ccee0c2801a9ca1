"""One Lambda function per model runtime, from the image 02 pushed: created, or updated in place."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError, WaiterError

from helpers import aws
from helpers.build.live_tags import mark_live, repository_of
from helpers.core.changes import Changes, error_code, put_log_group, waiter_config
from helpers.core.config import KitConfig
from helpers.core.errors import KitError
from helpers.core.state import load_state
from helpers.deploy.settings import (FUNCTION_MEMORY_MB, RESERVED_CONCURRENCY, ROLE_RETRY_S,
                                     TIMEOUT_S, function_name, function_log_group, role_name)

@dataclass(frozen=True)
class Function:
    """A deployed function's settings as Lambda reports them."""

    name: str
    arn: str
    runtime: str
    image_uri: str
    architecture: str
    memory_mb: int
    timeout_s: int
    reserved_concurrency: int | None



def image_architecture(cfg: KitConfig, image_uri: str) -> str:
    """The CPU architecture the image was built for (local image store, or what 02 saved; x86_64 by default)."""
    if cfg.target == "local":
        from local_aws.face import find_image

        rec = find_image(image_uri)
        if rec is not None:
            return rec.architecture
    return str(load_state().get("image_architectures", {}).get(image_uri, "x86_64"))


def _retry_until_role_assumable(cfg: KitConfig, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run `call`, retrying while Lambda says the brand-new role "cannot be assumed" (IAM propagation)."""
    deadline, delay = time.monotonic() + ROLE_RETRY_S, 2.0
    while True:
        try:
            return call()
        except ClientError as err:
            retryable = error_code(err) == "InvalidParameterValueException" and "assumed" in str(err)
            if not retryable or time.monotonic() > deadline:
                if retryable:
                    raise KitError(f"Lambda still cannot assume role {role_name(cfg)} after {ROLE_RETRY_S} s: "
                                   "wait a minute for IAM to propagate, then re-run the deploy cell.") from err
                raise
            time.sleep(delay)
            delay = min(delay * 2, 15.0)


def ensure_log_group(cfg: KitConfig, function: str, changes: Changes) -> str:
    """The function's log group, `/aws/lambda/<function>`, tagged and with a LOG_RETENTION_DAYS retention (Lambda
    would create it on first use, kept forever); its name."""
    return put_log_group(aws.client("logs", cfg), function_log_group(function), cfg.tags, changes)


def wait_until_ready(cfg: KitConfig, lam: Any, name: str, waiter: str = "function_updated_v2") -> None:
    """Wait for the function to be Active and its last update Successful; a KitError quoting Lambda's reason if not."""
    try:
        lam.get_waiter(waiter).wait(FunctionName=name, WaiterConfig=waiter_config(cfg))
    except WaiterError:
        conf = lam.get_function_configuration(FunctionName=name)
        code = conf.get("StateReasonCode") or conf.get("LastUpdateStatusReasonCode") or "no reason code"
        reason = conf.get("StateReason") or conf.get("LastUpdateStatusReason") or "Lambda gave no reason"
        raise KitError(f"Function {name} did not become ready (State {conf.get('State')}, LastUpdateStatus "
                       f"{conf.get('LastUpdateStatus')}; {code}: {reason}): fix the cause, then re-run the deploy "
                       "cell (a Failed function is deleted and created again).") from None


def wake_if_inactive(cfg: KitConfig, lam: Any, name: str) -> bool:
    """After a refused call: if the function was Inactive (or is being restored), say so once and wait until it is
    Active again; True when the caller should call again. "When you try to invoke a function that is inactive, the
    invocation fails and Lambda sets the function to pending state until the function resources are recreated"
    (Lambda Developer Guide, "Lambda function states")."""
    conf = lam.get_function_configuration(FunctionName=name)
    if conf.get("State") != "Inactive" and conf.get("StateReasonCode") not in ("Idle", "Restoring"):
        return False
    print(f"{name} had been idle long enough for Lambda to make it Inactive: its first call fails while Lambda "
          "restores it, so the kit waits until it is Active again and calls once more.")
    if conf.get("State") == "Inactive":
        try:  # the call that makes Lambda restore it (it fails, as documented)
            lam.invoke(FunctionName=name, Payload=b"{}", InvocationType="RequestResponse")
        except ClientError as err:
            if error_code(err) != "ResourceConflictException":
                raise
    wait_until_ready(cfg, lam, name, "function_active_v2")
    return True


def _replace_if_failed(lam: Any, name: str, current: dict[str, Any] | None, changes: Changes) -> dict[str, Any] | None:
    """A function in state Failed cannot be updated, only deleted and created again (Lambda's rule): delete it."""
    if current is None or current.get("State") != "Failed":
        return current
    lam.delete_function(FunctionName=name)
    changes.notes.append(f"{name} was in state Failed ({current.get('StateReasonCode')}: "
                         f"{current.get('StateReason')}): deleted and created again.")
    return None


def _wait_for_earlier_update(cfg: KitConfig, lam: Any, name: str, current: dict[str, Any], changes: Changes) -> None:
    """Wait for an earlier update still in progress (another would conflict). One that failed (`LastUpdateStatus`
    Failed, `State` Active) needs no wait: "Lambda abandoned the update and the function's previous code and
    configuration remain available", and a new update is the fix (Lambda Developer Guide, "Lambda function states")."""
    if current.get("LastUpdateStatus") == "Failed":
        changes.notes.append(f"{name}: its last update had failed ({current.get('LastUpdateStatusReasonCode')}: "
                             f"{current.get('LastUpdateStatusReason')}); Lambda kept the previous code and "
                             "configuration, so it is updated again.")
        return
    wait_until_ready(cfg, lam, name)


def ensure_function(
    cfg: KitConfig, runtime: str, image_uri: str, role_arn: str, changes: Changes,
    memory_mb: int | None = None, timeout_s: int = TIMEOUT_S,
) -> Function:
    """Create the runtime's image function, or update its code and configuration; wait until it is ready."""
    lam, name = aws.client("lambda", cfg), function_name(cfg, runtime)
    arch = image_architecture(cfg, image_uri)
    settings = {
        "Role": role_arn, "MemorySize": memory_mb or FUNCTION_MEMORY_MB[runtime], "Timeout": timeout_s,
        "Environment": {"Variables": {"MODEL_RUNTIME": runtime}},
        "Description": f"lambda-torch-kit French-to-English translator ({runtime} runtime)",
    }
    ensure_log_group(cfg, name, changes)
    try:
        found = lam.get_function(FunctionName=name)
    except lam.exceptions.ResourceNotFoundException:
        found = None
    current = _replace_if_failed(lam, name, found and found["Configuration"], changes)
    if current is None:
        _retry_until_role_assumable(cfg, lambda: lam.create_function(
            FunctionName=name, PackageType="Image", Code={"ImageUri": image_uri},
            Architectures=[arch], Tags=cfg.tags, **settings))
        wait_until_ready(cfg, lam, name, "function_active_v2")
        changes.created.append(f"function {name}")
    else:
        if current.get("PackageType") != "Image":
            raise KitError(f"Function {name} exists but is not an image function: delete it (04_cleanup) "
                           "or choose another KIT_PREFIX, then re-run.")
        _update_function(cfg, lam, found, image_uri, [arch], settings, changes)
    mark_running_image(cfg, lam, name)
    conf = lam.get_function_configuration(FunctionName=name)
    return Function(
        name=name, arn=conf["FunctionArn"], runtime=runtime, image_uri=image_uri,
        architecture=conf.get("Architectures", [arch])[0], memory_mb=conf["MemorySize"],
        timeout_s=conf["Timeout"], reserved_concurrency=_cap_concurrency(lam, name, changes),
    )


def _update_function(cfg: KitConfig, lam: Any, found: dict[str, Any], image_uri: str, architectures: list[str],
                     settings: dict[str, Any], changes: Changes) -> None:
    """Update an existing function's code (always: the tag may point at a new push) and configuration; listed in
    `changes.updated` only when its image digest, architecture, settings or tags really changed."""
    current, name = found["Configuration"], found["Configuration"]["FunctionName"]
    _wait_for_earlier_update(cfg, lam, name, current, changes)
    lam.update_function_code(FunctionName=name, ImageUri=image_uri, Architectures=architectures)
    wait_until_ready(cfg, lam, name)
    lam.update_function_configuration(FunctionName=name, **settings)
    wait_until_ready(cfg, lam, name)
    tags_differ = any(found.get("Tags", {}).get(k) != v for k, v in cfg.tags.items())
    if tags_differ:
        lam.tag_resource(Resource=current["FunctionArn"], Tags=cfg.tags)
    now = lam.get_function(FunctionName=name)
    if tags_differ or current.get("LastUpdateStatus") == "Failed" or any(
            now["Configuration"].get(k) != current.get(k) for k in ("Architectures", *settings)) or (
            now["Code"].get("ResolvedImageUri") != found["Code"].get("ResolvedImageUri")):
        changes.updated.append(f"function {name}")


def mark_running_image(cfg: KitConfig, lam: Any, name: str) -> None:
    """Tag the digest the function runs `live-<function>` (helpers.build.live_tags): no lifecycle rule expires it."""
    resolved = lam.get_function(FunctionName=name)["Code"].get("ResolvedImageUri") or ""
    if "@" in resolved:
        mark_live(cfg, repository_of(resolved), resolved.split("@", 1)[1], name)


def _cap_concurrency(lam: Any, name: str, changes: Changes) -> int | None:
    """Reserve RESERVED_CONCURRENCY for the function; accounts with a low quota refuse, then the stage throttle caps."""
    try:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=RESERVED_CONCURRENCY)
        return RESERVED_CONCURRENCY
    except ClientError as err:
        if error_code(err) != "InvalidParameterValueException" or "Concurren" not in str(err):
            raise
        changes.notes.append(
            f"{name}: this account's concurrency quota is too low to reserve {RESERVED_CONCURRENCY} (new accounts "
            "get 10), so it runs unreserved and the API stage throttling is the cost cap; raise the quota in "
            "Service Quotas to enable the reservation.")
        return None

