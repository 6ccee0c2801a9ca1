"""Find and delete everything the kit created, by its tags and name prefix (not only from the state file),
so a half-failed earlier run is cleaned up too; then prove that nothing is left."""
from __future__ import annotations

from typing import Any

from helpers.aws import aws_errors, client, pages
from helpers.core.config import KitConfig
from helpers.core.errors import KitError
from helpers.core.state import clear_state

KINDS = ("http_apis", "lambda_functions", "iam_roles", "ecr_repositories", "log_groups")


def _is_kits(cfg: KitConfig, name: str, tags: dict[str, str] | None) -> bool:
    """A resource is the kit's when its tags say so, or (untagged) when its name carries the prefix."""
    if tags:
        return tags.get("kit-prefix") == cfg.prefix and tags.get("project") == cfg.tags["project"]
    return name.startswith(f"{cfg.prefix}-")


def find_kit_resources(cfg: KitConfig) -> dict[str, list[str]]:
    """Names of the kit's resources that exist now, by kind."""
    found: dict[str, list[str]] = {k: [] for k in KINDS}
    with aws_errors():
        apigw = client("apigatewayv2", cfg)
        for api in pages(apigw.get_apis, "Items"):
            if _is_kits(cfg, api["Name"], api.get("Tags")):
                found["http_apis"].append(f"{api['Name']} ({api['ApiId']})")
        lam = client("lambda", cfg)
        for fn in lam.get_paginator("list_functions").paginate():
            for f in fn["Functions"]:
                if f["FunctionName"].startswith(f"{cfg.prefix}-") and _is_kits(
                        cfg, f["FunctionName"], lam.list_tags(Resource=f["FunctionArn"]).get("Tags")):
                    found["lambda_functions"].append(f["FunctionName"])
        iam = client("iam", cfg)
        for page in iam.get_paginator("list_roles").paginate():
            for r in page["Roles"]:
                if r["RoleName"].startswith(f"{cfg.prefix}-"):
                    tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=r["RoleName"])["Tags"]}
                    if _is_kits(cfg, r["RoleName"], tags):
                        found["iam_roles"].append(r["RoleName"])
        ecr = client("ecr", cfg)
        for page in ecr.get_paginator("describe_repositories").paginate():
            for repo in page["repositories"]:
                if repo["repositoryName"].startswith(f"{cfg.prefix}-"):
                    tags = {t["Key"]: t["Value"] for t in
                            ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]}
                    if _is_kits(cfg, repo["repositoryName"], tags):
                        found["ecr_repositories"].append(repo["repositoryName"])
        logs = client("logs", cfg)
        for page in logs.get_paginator("describe_log_groups").paginate(
                logGroupNamePrefix=f"/aws/lambda/{cfg.prefix}-"):
            found["log_groups"].extend(g["logGroupName"] for g in page["logGroups"])
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
            apigw.delete_api(ApiId=api.rsplit("(", 1)[1].rstrip(")"))
        for name in found["lambda_functions"]:
            lam.delete_function(FunctionName=name)  # its resource policy (invoke permission) goes with it
        for role in found["iam_roles"]:
            for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
                iam.detach_role_policy(RoleName=role, PolicyArn=p["PolicyArn"])
            for p in iam.list_role_policies(RoleName=role)["PolicyNames"]:
                iam.delete_role_policy(RoleName=role, PolicyName=p)
            iam.delete_role(RoleName=role)
        for repo in found["ecr_repositories"]:
            ecr.delete_repository(repositoryName=repo, force=True)  # force: its images go too
        for group in found["log_groups"]:
            logs.delete_log_group(logGroupName=group)
    return found


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
        from helpers.local.images import forget_images
        from helpers.local.stack import stop_stack

        stop_stack()  # first: it stops the function containers that use the images
        forget_images()
    client = docker_client()
    return remove_built_images(client) if client is not None else []
