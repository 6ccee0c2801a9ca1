"""The facilitator's view of the room: one row per attendee, refreshed on demand.

Each row: the prefix, how many kit resources it has (cleanup.find_kit_resources, the sweep's own search), whether
its API answers `GET /health`, how many calls its functions served and what they cost so far (from Lambda's REPORT
lines in CloudWatch Logs: billed GB-seconds, requests, and the HTTP API's requests; no free tier, since the room
shares one account's), what its images cost a month to store (ECR sizes), and a flag when the attendee is over
their share of the budget. The facilitator's own credentials read everything; attendees cannot (their policy).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from helpers.aws import aws_errors, client
from helpers.build.ecr import REPOSITORY
from helpers.build.registry import stored_sizes
from helpers.cleanup import find_kit_resources
from helpers.core.config import KitConfig
from helpers.core.errors import KitError
from helpers.deploy.calls import call_api
from helpers.deploy.cost import HTTP_API_PRICE_PER_MILLION, PRICE_PER_GB_SECOND, PRICE_PER_MILLION_REQUESTS, PRICES
from helpers.deploy.http_api import HttpApi, api_base_url
from helpers.deploy.reports import Report, reports_in
from helpers.deploy.settings import function_log_group

GB = 1024 ** 3


@dataclass(frozen=True)
class Row:
    """One attendee in the facilitator's table."""

    prefix: str
    resources: int
    api: str  # "200", "no API", or what answered instead
    calls: int
    cost_usd: float  # Lambda compute + requests + HTTP API requests so far
    storage_usd_month: float  # ECR storage of their images, per month
    over_share: bool

    def as_dict(self) -> dict[str, Any]:
        return {"prefix": self.prefix, "resources": self.resources, "API /health": self.api, "calls": self.calls,
                "cost so far $": f"{self.cost_usd:.6f}", "storage $/month": f"{self.storage_usd_month:.6f}",
                "over share": "OVER" if self.over_share else ""}


def for_prefix(cfg: KitConfig, prefix: str) -> KitConfig:
    """The facilitator's config looking at one attendee's resources (the facilitator's credentials)."""
    return replace(cfg, prefix=prefix, tags={**cfg.tags, "kit-prefix": prefix})


def reports_of(cfg: KitConfig, function: str) -> list[Report]:
    """Every REPORT record in the function's log group (none when it has no log group yet)."""
    logs = client("logs", cfg)
    with aws_errors():
        try:
            pages = logs.get_paginator("filter_log_events").paginate(logGroupName=function_log_group(function))
            return reports_in("\n".join(e["message"].rstrip("\n") for p in pages for e in p.get("events", [])))
        except logs.exceptions.ResourceNotFoundException:
            return []


def calls_cost(reports: list[Report]) -> float:
    """What these invocations cost, without the free tier (x86_64 compute, Lambda and HTTP API requests)."""
    gb_s = sum(r.billed_ms / 1000 * r.memory_mb / 1024 for r in reports)
    per_request = (PRICE_PER_MILLION_REQUESTS + HTTP_API_PRICE_PER_MILLION) / 1e6
    return gb_s * PRICE_PER_GB_SECOND["x86_64"] + len(reports) * per_request


def api_health(cfg: KitConfig, apis: list[str]) -> str:
    if not apis:
        return "no API"
    api_id = apis[0].rsplit("(", 1)[1].rstrip(")")
    endpoint = "" if cfg.target == "local" else client("apigatewayv2", cfg).get_api(ApiId=api_id)["ApiEndpoint"]
    try:
        return str(call_api(api_base_url(cfg, HttpApi(api_id, "", endpoint)), "GET", "/health").status)
    except KitError:
        return "no answer"


def attendee_row(cfg: KitConfig, prefix: str, share_usd: float) -> Row:
    """One attendee's row, read with the facilitator's credentials."""
    mine = for_prefix(cfg, prefix)
    found = find_kit_resources(mine)
    reports = [r for fn in found["lambda_functions"] for r in reports_of(mine, fn)]
    stored = sum(stored_sizes(mine, repo).stored_bytes for repo in found["ecr_repositories"]
                 if repo == mine.name(REPOSITORY))
    storage = stored / GB * PRICES["ecr_storage"].usd
    cost = calls_cost(reports)
    return Row(prefix, sum(len(v) for v in found.values()), api_health(mine, found["http_apis"]), len(reports), cost,
               storage, cost + storage > share_usd)


def room_table(cfg: KitConfig, prefixes: list[str], budget_usd: float) -> list[dict[str, Any]]:
    """The facilitator's table: a row per attendee, sorted by prefix; each one's share is budget / attendees."""
    share = budget_usd / max(1, len(prefixes))
    return [attendee_row(cfg, p, share).as_dict() for p in sorted(prefixes)]
