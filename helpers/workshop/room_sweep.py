"""After the day: every kit resource in the account, found by its tags (`project=lambda-torch-kit`, whatever the
`kit-prefix`), listed first, deleted on confirmation with the one sweep 04 uses (cleanup.delete_kit_resources, per
prefix), then the attendees' users, the boundary policy and the budget; and the proof that nothing is left."""
from __future__ import annotations

from typing import Any

from helpers.aws import aws_errors, client, pages
from helpers.cleanup import delete_kit_resources, find_kit_resources, prove_nothing_left
from helpers.core.config import KitConfig
from helpers.core.errors import KitError
from helpers.workshop.attendees import boundary_exists, delete_attendees, workshop_users
from helpers.workshop.budget import delete_budget, find_budget
from helpers.workshop.room import for_prefix

PROJECT = "lambda-torch-kit"


def _prefix(tags: dict[str, str] | None) -> str | None:
    tags = tags or {}
    return tags.get("kit-prefix") if tags.get("project") == PROJECT else None


def _pairs(listed: list[dict[str, str]]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in listed}


def kit_prefixes(cfg: KitConfig) -> list[str]:
    """Every `kit-prefix` on a kit-tagged function, API, repository, role or SageMaker endpoint of the account."""
    found: set[str | None] = set()
    with aws_errors():
        lam, gw, ecr, iam = (client(s, cfg) for s in ("lambda", "apigatewayv2", "ecr", "iam"))
        for page in lam.get_paginator("list_functions").paginate():
            found |= {_prefix(lam.list_tags(Resource=f["FunctionArn"]).get("Tags")) for f in page["Functions"]}
        found |= {_prefix(api.get("Tags")) for api in pages(gw.get_apis, "Items")}
        for page in ecr.get_paginator("describe_repositories").paginate():
            found |= {_prefix(_pairs(ecr.list_tags_for_resource(resourceArn=r["repositoryArn"])["tags"]))
                      for r in page["repositories"]}
        for page in iam.get_paginator("list_roles").paginate():
            found |= {_prefix(_pairs(iam.list_role_tags(RoleName=r["RoleName"])["Tags"])) for r in page["Roles"]}
        sm = client("sagemaker", cfg)
        for page in sm.get_paginator("list_endpoints").paginate():
            found |= {_prefix(_pairs(sm.list_tags(ResourceArn=e["EndpointArn"])["Tags"])) for e in page["Endpoints"]}
    return sorted(p for p in found if p)


def room_inventory(cfg: KitConfig) -> dict[str, Any]:
    """What the sweep would delete: each prefix's resources, the workshop's users, the budget."""
    prefixes = sorted(set(kit_prefixes(cfg)) | set(workshop_users(cfg)))
    found = {p: {k: v for k, v in find_kit_resources(for_prefix(cfg, p)).items() if v} for p in prefixes}
    return {"resources": {p: f for p, f in found.items() if f}, "users": workshop_users(cfg),
            "budget": (find_budget(cfg) or {}).get("BudgetName"), "boundary": boundary_exists(cfg)}


def inventory_rows(inventory: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per prefix (resources by kind), then the workshop's users and budget."""
    rows = [{"what": p, "items": sum(len(v) for v in f.values()),
             "kinds": ", ".join(f"{k} {len(v)}" for k, v in f.items())} for p, f in inventory["resources"].items()]
    rows.append({"what": "attendee users", "items": len(inventory["users"]), "kinds": ", ".join(inventory["users"])})
    rows.append({"what": "budget + boundary", "items": int(bool(inventory["budget"])) + int(inventory["boundary"]),
                 "kinds": inventory["budget"] or "-"})
    return rows


def sweep_room(cfg: KitConfig, confirm: bool = False) -> dict[str, Any]:
    """Delete every kit resource of every prefix, the attendees, the boundary and the budget (on `aws` only with
    confirm=True); returns what was found before."""
    if cfg.target == "aws" and not confirm:
        raise KitError("Sweeping the whole account needs confirmation: set CONFIRM_SWEEP = True, then re-run.")
    inventory = room_inventory(cfg)
    for prefix in inventory["resources"]:
        delete_kit_resources(for_prefix(cfg, prefix), confirm=confirm)
    delete_attendees(cfg, inventory["users"])
    delete_budget(cfg)
    return inventory


def prove_room_empty(cfg: KitConfig) -> dict[str, int]:
    """Counts that must all be 0: kit resources by tag, attendee users, budget, boundary (KitError otherwise)."""
    for prefix in kit_prefixes(cfg):
        prove_nothing_left(for_prefix(cfg, prefix))
    left = {"kit resources": sum(len(v) for p in kit_prefixes(cfg) for v in find_kit_resources(for_prefix(cfg, p))
                                 .values()),
            "attendee users": len(workshop_users(cfg)), "budgets": int(find_budget(cfg) is not None),
            "boundary policies": int(boundary_exists(cfg))}
    if any(left.values()):
        raise KitError(f"Still there after the sweep: {left}; re-run the sweep cell.")
    return left
