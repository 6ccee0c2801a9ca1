"""Find and delete everything the kit created, then prove that nothing is left.

A resource is the kit's when its tags say so (`project=lambda-torch-kit`, `kit-prefix=<prefix>`), or, untagged,
when it has exactly a name the kit gives (a run that failed before tagging): never merely because its name starts
with the prefix. Log groups are the functions' own, `/aws/lambda/<function>`, by exact name. Found by listing, not
from the state file, so a half-failed earlier run is cleaned up too. AWS is eventually consistent: a resource
that vanished meanwhile (NotFound) is not an error, and the proof that nothing is left is retried for a minute.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from helpers.aws import aws_errors, client, pages
from helpers.build.ecr import REPOSITORY
from helpers.build.image_spec import RUNTIMES
from helpers.cleanup.sagemaker_sweep import SAGEMAKER_KINDS, delete_sagemaker, find_sagemaker, sagemaker_names
from helpers.core.config import KitConfig
from helpers.core.errors import KitError
from helpers.core.state import clear_state
from helpers.deploy.settings import api_name, function_name, function_log_group, role_name

KINDS = ("http_apis", "lambda_functions", *SAGEMAKER_KINDS, "iam_roles", "ecr_repositories", "log_groups")
_GONE = {"NotFoundException", "ResourceNotFoundException", "NoSuchEntity", "RepositoryNotFoundException"}
PROOF_TIMEOUT_S = 60


def kit_names(cfg: KitConfig) -> dict[str, set[str]]:
    """The exact names the kit gives, by kind."""
    functions = {function_name(cfg, rt) for rt in RUNTIMES}
    names = {"http_apis": {api_name(cfg)}, "lambda_functions": functions, "iam_roles": {role_name(cfg)},
             "ecr_repositories": {cfg.name(REPOSITORY)}, "log_groups": {function_log_group(f) for f in functions}}
    for kind, more in sagemaker_names(cfg).items():  # 03b's endpoint, its role and log group
        names[kind] = names.get(kind, set()) | more
    return names


def _is_kits(cfg: KitConfig, kind: str, name: str, tags: dict[str, str] | None) -> bool:
    """Tagged: the tags decide. Untagged: only an exact kit name."""
    if tags:
        return tags.get("kit-prefix") == cfg.prefix and tags.get("project") == cfg.tags["project"]
    return name in kit_names(cfg)[kind]


def _gone_ok(call: Callable[[], Any]) -> Any:
    """Run a call; None when its resource no longer exists (deleted meanwhile: eventual consistency)."""
    try:
        return call()
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in _GONE:
            return None
        raise


def find_kit_resources(cfg: KitConfig) -> dict[str, list[str]]:
    """Names of the kit's resources that exist now, by kind."""
    found: dict[str, list[str]] = {k: [] for k in KINDS}
    start = f"{cfg.prefix}-"
    with aws_errors():
        apigw = client("apigatewayv2", cfg)
        for api in pages(apigw.get_apis, "Items"):
            if _is_kits(cfg, "http_apis", api["Name"], api.get("Tags")):
                found["http_apis"].append(f"{api['Name']} ({api['ApiId']})")
        lam = client("lambda", cfg)
        for page in lam.get_paginator("list_functions").paginate():
            for f in page["Functions"]:
                if f["FunctionName"].startswith(start):
                    tags = _gone_ok(lambda: lam.list_tags(Resource=f["FunctionArn"]).get("Tags"))
                    if _is_kits(cfg, "lambda_functions", f["FunctionName"], tags):
                        found["lambda_functions"].append(f["FunctionName"])
        found.update(find_sagemaker(cfg, lambda kind, name, tags: _is_kits(cfg, kind, name, tags)))
        iam = client("iam", cfg)
        for page in iam.get_paginator("list_roles").paginate():
            for r in page["Roles"]:
                if r["RoleName"].startswith(start):
                    listed = _gone_ok(lambda: iam.list_role_tags(RoleName=r["RoleName"])["Tags"]) or []
                    if _is_kits(cfg, "iam_roles", r["RoleName"], {t["Key"]: t["Value"] for t in listed}):
                        found["iam_roles"].append(r["RoleName"])
        ecr = client("ecr", cfg)
        for page in ecr.get_paginator("describe_repositories").paginate():
            for repo in page["repositories"]:
                if repo["repositoryName"].startswith(start):
                    listed = _gone_ok(lambda: ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"])
                    if _is_kits(cfg, "ecr_repositories", repo["repositoryName"],
                                {t["Key"]: t["Value"] for t in listed or []}):
                        found["ecr_repositories"].append(repo["repositoryName"])
        logs, groups = client("logs", cfg), kit_names(cfg)["log_groups"]
        for prefix in (f"/aws/lambda/{start}", f"/aws/sagemaker/Endpoints/{start}"):
            for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=prefix):
                found["log_groups"].extend(g["logGroupName"] for g in page["logGroups"] if g["logGroupName"] in groups)
    return found


def delete_kit_resources(cfg: KitConfig, confirm: bool = False) -> dict[str, list[str]]:
    """Delete every kit resource (APIs first, roles last); on `aws` only with confirm=True. Returns what was deleted."""
    if cfg.target == "aws" and not confirm:
        raise KitError("Deleting on the real AWS account needs confirmation: set CONFIRM_DELETE = True "
                       "in the first cell, then re-run.")
    found = find_kit_resources(cfg)
    with aws_errors():
        apigw, lam, iam = client("apigatewayv2", cfg), client("lambda", cfg), client("iam", cfg)
        ecr, logs = client("ecr", cfg), client("logs", cfg)
        for api in found["http_apis"]:
            _gone_ok(lambda: apigw.delete_api(ApiId=api.rsplit("(", 1)[1].rstrip(")")))
        for name in found["lambda_functions"]:
            _gone_ok(lambda: lam.delete_function(FunctionName=name))  # its invoke permission goes with it
        delete_sagemaker(cfg, found)  # endpoint (waited for), then endpoint configs and models
        for role in found["iam_roles"]:
            attached = _gone_ok(lambda: iam.list_attached_role_policies(RoleName=role)) or {}
            for p in attached.get("AttachedPolicies", []):
                _gone_ok(lambda: iam.detach_role_policy(RoleName=role, PolicyArn=p["PolicyArn"]))
            for p in (_gone_ok(lambda: iam.list_role_policies(RoleName=role)) or {}).get("PolicyNames", []):
                _gone_ok(lambda: iam.delete_role_policy(RoleName=role, PolicyName=p))
            _gone_ok(lambda: iam.delete_role(RoleName=role))
        for repo in found["ecr_repositories"]:
            _gone_ok(lambda: ecr.delete_repository(repositoryName=repo, force=True))  # force: its images go too
        for group in found["log_groups"]:
            _gone_ok(lambda: logs.delete_log_group(logGroupName=group))
    return found


def prove_nothing_left(cfg: KitConfig, timeout_s: float = PROOF_TIMEOUT_S,
                       sleep: Callable[[float], None] = time.sleep) -> dict[str, list[str]]:
    """Search again until no kit resource is left (deletions take a moment to show on AWS), for up to
    `timeout_s`; the (empty) search result, or a KitError naming what is still there."""
    deadline, delay = time.monotonic() + timeout_s, 2.0
    while True:
        remaining = find_kit_resources(cfg)
        if not any(remaining.values()):
            return remaining
        if time.monotonic() + delay > deadline:
            left = "; ".join(f"{k}: {', '.join(v)}" for k, v in remaining.items() if v)
            raise KitError(f"Still there after {timeout_s:.0f} s: {left}. Re-run the delete cell, or delete them "
                           "in the AWS console.")
        sleep(delay)
        delay = min(delay * 2, 15.0)


def remove_built_images(client: Any) -> list[str]:
    """Remove the images the kit built in the local engine (found by their label), with all their tags.

    The offline base image stays: like `.kit/`, it is a cache that makes the next build fast.
    """
    from helpers.build.image_spec import MODEL_LABEL

    removed = []
    for image in client.images.list(filters={"label": MODEL_LABEL}):
        client.images.remove(image.id, force=True)
        removed.extend(image.tags or [image.short_id])
    return removed


def forget_local_state(cfg: KitConfig) -> list[str]:
    """Remove the kit's local state; on `local` also stop the emulators and forget the local image store.

    Images the kit built in a local container engine are removed too (returned by tag). The trained model and
    the build caches in `.kit/` stay, so a re-run is fast (`rm -rf .kit` removes them).
    """
    from helpers.core.engine import docker_client

    clear_state()
    if cfg.target == "local":
        from local_aws.face import forget_images, stop_stack

        stop_stack()  # first: it stops the function containers that use the images
        forget_images()
    client = docker_client()
    return remove_built_images(client) if client is not None else []


def kit_processes_left(cfg: KitConfig) -> list[str]:
    """On `local`: the kit's processes still running under this KIT_HOME (a stack, function instances, also those
    a killed stack left behind), as "pid name"; on `aws` the kit runs nothing on this machine."""
    if cfg.target != "local":
        return []
    import psutil

    from local_aws.face import kit_processes

    left = []
    for p in kit_processes():
        try:
            left.append(f"{p.pid} {p.name()}")
        except psutil.Error:  # it ended meanwhile
            continue
    return left
