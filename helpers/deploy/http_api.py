"""The HTTP API in front of a function: the API, its Lambda proxy integration, routes, stage, invoke permission."""
from __future__ import annotations

import json
from dataclasses import dataclass

from helpers import aws
from helpers.core.changes import Changes
from helpers.core.config import KitConfig
from helpers.core.errors import KitError
from helpers.deploy.function import Function
from helpers.deploy.settings import CORS, INTEGRATION_TIMEOUT_MS, ROUTES, STAGE, THROTTLING, api_name

@dataclass(frozen=True)
class HttpApi:
    """An API Gateway HTTP API: its id, name and (on aws) its https endpoint."""

    api_id: str
    name: str
    endpoint: str


def ensure_api(cfg: KitConfig, changes: Changes) -> HttpApi:
    """The HTTP API itself (name, CORS, tags), created or brought up to date; no routes yet."""
    gw, name = aws.client("apigatewayv2", cfg), api_name(cfg)
    found = [a for a in aws.pages(gw.get_apis, "Items") if a["Name"] == name]
    if len(found) > 1:
        raise KitError(f"There are {len(found)} HTTP APIs named {name}: "
                       "delete the extra ones (04_cleanup), then re-run.")
    if found:
        api = found[0]  # GetApis lists each API's CorsConfiguration and Tags (API Gateway V2 API Reference, GetApis)
        cors_differs = api.get("CorsConfiguration") != CORS
        tags_differ = any(api.get("Tags", {}).get(k) != v for k, v in cfg.tags.items())
        if cors_differs:
            gw.update_api(ApiId=api["ApiId"], CorsConfiguration=CORS)
        if tags_differ:
            gw.tag_resource(ResourceArn=f"arn:aws:apigateway:{cfg.region}::/apis/{api['ApiId']}", Tags=cfg.tags)
        if cors_differs or tags_differ:
            changes.updated.append(f"http-api {name}")
    else:
        api = gw.create_api(Name=name, ProtocolType="HTTP", CorsConfiguration=CORS, Tags=cfg.tags,
                            Description="lambda-torch-kit translator API")
        changes.created.append(f"http-api {name}")
    return HttpApi(api_id=api["ApiId"], name=name, endpoint=api["ApiEndpoint"])


def ensure_routes(cfg: KitConfig, api: HttpApi, integration_id: str, changes: Changes) -> list[str]:
    """Every route in ROUTES sent to the integration; the route keys."""
    gw = aws.client("apigatewayv2", cfg)
    target = f"integrations/{integration_id}"
    routes = {r["RouteKey"]: r for r in aws.pages(gw.get_routes, "Items", ApiId=api.api_id)}
    for key in ROUTES:
        if key not in routes:
            gw.create_route(ApiId=api.api_id, RouteKey=key, Target=target)
            changes.created.append(f"route {key}")
        elif routes[key].get("Target") != target:
            gw.update_route(ApiId=api.api_id, RouteId=routes[key]["RouteId"], Target=target)
            changes.updated.append(f"route {key}")
    return list(ROUTES)


def ensure_http_api(cfg: KitConfig, fn: Function, changes: Changes) -> HttpApi:
    """The HTTP API in front of `fn`: proxy integration, the routes, throttled $default stage, invoke permission."""
    api = ensure_api(cfg, changes)
    ensure_routes(cfg, api, ensure_integration(cfg, api, fn, changes), changes)
    ensure_stage(cfg, api, changes)
    ensure_invoke_permission(cfg, fn, api, changes)
    return api


def ensure_integration(cfg: KitConfig, api: HttpApi, fn: Function, changes: Changes) -> str:
    """The API's one Lambda proxy integration (payload format 2.0) pointing at `fn`; its id."""
    gw, api_id = aws.client("apigatewayv2", cfg), api.api_id
    wanted = {"IntegrationUri": fn.arn, "PayloadFormatVersion": "2.0",
              "TimeoutInMillis": INTEGRATION_TIMEOUT_MS}
    existing = [i for i in aws.pages(gw.get_integrations, "Items", ApiId=api_id) if i["IntegrationType"] == "AWS_PROXY"]
    if not existing:
        made = gw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationMethod="POST", **wanted)
        changes.created.append("integration lambda-proxy")
        return made["IntegrationId"]
    integ = existing[0]
    if any(integ.get(k) != v for k, v in wanted.items()):
        gw.update_integration(ApiId=api_id, IntegrationId=integ["IntegrationId"], **wanted)
        changes.updated.append("integration lambda-proxy")
    return integ["IntegrationId"]


def ensure_stage(cfg: KitConfig, api: HttpApi, changes: Changes) -> None:
    """The auto-deploying $default stage with throttling limits (so the URL has no stage path)."""
    gw, api_id = aws.client("apigatewayv2", cfg), api.api_id
    stages = {s["StageName"]: s for s in aws.pages(gw.get_stages, "Items", ApiId=api_id)}
    if STAGE not in stages:
        gw.create_stage(ApiId=api_id, StageName=STAGE, AutoDeploy=True, DefaultRouteSettings=THROTTLING,
                        Tags=cfg.tags)
        changes.created.append(f"stage {STAGE}")
        return
    settings = stages[STAGE].get("DefaultRouteSettings", {})
    if not stages[STAGE].get("AutoDeploy") or any(settings.get(k) != v for k, v in THROTTLING.items()):
        gw.update_stage(ApiId=api_id, StageName=STAGE, AutoDeploy=True, DefaultRouteSettings=THROTTLING)
        changes.updated.append(f"stage {STAGE}")


def ensure_invoke_permission(cfg: KitConfig, fn: Function, api: HttpApi, changes: Changes) -> None:
    """Let API Gateway invoke `fn`, from this API only (a resource policy statement, added once)."""
    lam = aws.client("lambda", cfg)
    account = fn.arn.split(":")[4]
    source_arn = f"arn:aws:execute-api:{cfg.region}:{account}:{api.api_id}/*/*"
    sid = f"{api_name(cfg)}-invoke"
    try:
        statements = json.loads(lam.get_policy(FunctionName=fn.name)["Policy"])["Statement"]
    except lam.exceptions.ResourceNotFoundException:
        statements = []
    current = next((s for s in statements if s.get("Sid") == sid), None)
    if current is not None:
        if json.dumps(current.get("Condition", {})).find(source_arn) >= 0:
            return
        lam.remove_permission(FunctionName=fn.name, StatementId=sid)
    lam.add_permission(FunctionName=fn.name, StatementId=sid, Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com", SourceArn=source_arn)
    (changes.updated if current is not None else changes.created).append(f"permission {sid}")


def api_base_url(cfg: KitConfig, api: HttpApi) -> str:
    """The URL to send requests to: the local HTTP API endpoint, or the API's https endpoint on aws."""
    if cfg.target == "local":
        from local_aws.face import api_url

        return api_url(api.api_id)
    return api.endpoint

