"""The local HTTP API endpoint: routes each request to its API's Lambda integration, as API Gateway HTTP APIs do.

APIs, routes, integrations and stages live in moto; this module reads them through the stack's own endpoint
(cached in the server's Lookups until the control plane changes), throttles each route with its stage's limits
(throttling.py), turns the request into a payload-2.0 event (http_events.py), invokes the function through the
server, and maps the result back to an HTTP response. Failures answer as API Gateway does: 429 when throttled,
500 when Lambda refuses the invocation (throttled, no permission), 502 when the function fails or answers in
the wrong format, 503 when it does not answer within the integration timeout.
"""
from __future__ import annotations

import json
from concurrent.futures import Executor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import ClientError

from helpers.core.config import KNOWN_REGIONS
from local_aws.awslambda.concurrency import Throttled
from helpers.core.aws_facts.account import ACCOUNT_ID
from helpers.core.aws_facts.http_api_event import build_event
from local_aws.apigateway.http_events import (HttpResponse, add_cors_headers, cors_preflight, invoke_allowed,
                                              json_response, lambda_arn_of, map_result, match_route)
from local_aws.front.lookups import Lookups
from local_aws.front.wsgi import respond
from local_aws.apigateway.throttling import Throttles, route_limits


class Backend(Protocol):
    """What the gateway needs of the stack's server (server.Server): clients, the pool, invoking a function."""

    regions_seen: list[str]
    pool: Executor
    lookups: Lookups

    def client(self, service: str, region: str) -> Any: ...
    def touch(self) -> None: ...
    def log(self, msg: str) -> None: ...
    def spec(self, region: str, name: str, qualifier: str | None) -> Any: ...
    def run_function(self, spec: Any, payload: bytes) -> Any: ...


@dataclass(frozen=True)
class ApiView:
    """One HTTP API as the gateway needs it: where it is and its stages, routes and integrations."""

    region: str
    api: dict[str, Any]
    stages: dict[str, dict[str, Any]]
    routes: list[dict[str, Any]]
    integrations: dict[str, dict[str, Any]]


def _internal_error(status: int = 500) -> HttpResponse:
    return json_response(status, {"message": "Internal Server Error"})


class Gateway:
    """API Gateway v2 HTTP APIs over the stack's moto state and its Lambda runtime."""

    def __init__(self, server: Backend) -> None:
        self.server = server
        self.throttles = Throttles()

    def client(self, service: str, region: str) -> Any:
        return self.server.client(service, region)

    def log(self, msg: str) -> None:
        self.server.log(msg)

    def wsgi_app(self, environ: dict, start_response: Any) -> Any:
        from werkzeug.wrappers import Request

        self.server.touch()
        req = Request(environ)
        try:
            resp = self.http_api(req)
        except Exception as e:  # API Gateway answers 500 and logs; so do we
            self.log(f"http api error: {e!r}")
            resp = _internal_error()
        extra = [("set-cookie", c) for c in resp.cookies]
        return respond(start_response, resp.status, dict(resp.headers), resp.body, extra)

    # --- control-plane lookups (cached until the control plane changes)
    def api_view(self, api_id: str) -> ApiView | None:
        """The HTTP API `api_id` in whichever region it lives, or None."""
        return self.server.lookups.get(("api", api_id), lambda: self._load_api(api_id))

    def _load_api(self, api_id: str) -> ApiView | None:
        seen = self.server.regions_seen
        for region in [*seen, *sorted(KNOWN_REGIONS - set(seen))]:
            agw = self.client("apigatewayv2", region)
            try:
                api = agw.get_api(ApiId=api_id)
            except ClientError:
                continue
            if api.get("ProtocolType") != "HTTP":
                return None
            return ApiView(region=region, api=api,  # the emulator answers every item on one page
                           stages={s["StageName"]: s for s in agw.get_stages(ApiId=api_id).get("Items", [])},
                           routes=agw.get_routes(ApiId=api_id).get("Items", []),
                           integrations={i["IntegrationId"]: i
                                         for i in agw.get_integrations(ApiId=api_id).get("Items", [])})
        return None

    def _policy(self, region: str, arn: str) -> dict | None:
        def load() -> dict | None:
            lam = self.client("lambda", region)
            try:
                return json.loads(lam.get_policy(FunctionName=arn)["Policy"])
            except lam.exceptions.ResourceNotFoundException:
                return None

        return self.server.lookups.get(("policy", region, arn), load)

    # --- one request
    def http_api(self, req: Any) -> HttpResponse:
        """Route one HTTP request to its API's Lambda integration, as API Gateway HTTP APIs do."""
        not_found = json_response(404, {"message": "Not Found"})
        parts = req.path.split("/", 2)  # "", api_id, rest
        api_id, rest = parts[1], "/" + (parts[2] if len(parts) > 2 else "")
        view = self.api_view(api_id) if api_id else None
        if view is None:
            return not_found
        first = rest.strip("/").split("/")[0]
        if first in view.stages and first != "$default":
            stage, path, raw_path = first, "/" + rest.strip("/").partition("/")[2], rest
        elif "$default" in view.stages:
            stage, path, raw_path = "$default", rest, rest
        else:
            return not_found
        headers = {k.lower(): v for k, v in req.headers.items()}
        cors = view.api.get("CorsConfiguration")
        pre = cors_preflight(cors, req.method, headers)
        if pre is not None:
            return pre
        match = match_route(view.routes, req.method, path)
        if match is None or not str(match[0].get("Target", "")).startswith("integrations/"):
            return not_found
        route, params = match
        limits = route_limits(view.stages[stage], route["RouteKey"])
        if not self.throttles.allow(view.region, api_id, stage, route["RouteKey"], limits):
            return json_response(429, {"message": "Too Many Requests"})
        resp = self._integrate(req, view, stage, route, params, path, raw_path)
        add_cors_headers(cors, headers, resp)
        return resp

    def _integrate(self, req: Any, view: ApiView, stage: str, route: dict[str, Any], params: dict[str, str],
                   path: str, raw_path: str) -> HttpResponse:
        """Invoke the route's Lambda proxy integration and map its result (or failure) to the response."""
        api_id, region = view.api["ApiId"], view.region
        integ = view.integrations.get(route["Target"].split("/", 1)[1], {})
        arn = lambda_arn_of(integ)
        if arn is None or integ.get("PayloadFormatVersion") != "2.0":
            self.log(f"api {api_id}: route {route['RouteKey']} needs an AWS_PROXY Lambda integration with "
                     "payload format 2.0")
            return _internal_error()
        source_arn = f"arn:aws:execute-api:{region}:{ACCOUNT_ID}:{api_id}/{stage}/{req.method}{path}"
        if not invoke_allowed(self._policy(region, arn), source_arn):
            self.log(f"api {api_id}: {arn} has no resource policy letting apigateway.amazonaws.com invoke it "
                     f"from {source_arn} (lambda add_permission)")
            fail = _internal_error()
            fail.headers["x-kit-local-error"] = "API Gateway is not allowed to invoke the function (add_permission)"
            return fail
        event = build_event(api=view.api, route_key=route["RouteKey"], stage=stage, method=req.method,
                            raw_path=raw_path, raw_query=req.query_string.decode(), headers=list(req.headers.items()),
                            body=req.get_data(), source_ip=req.remote_addr or "127.0.0.1", path_params=params,
                            stage_variables=view.stages[stage].get("StageVariables"))
        request_id = event["requestContext"]["requestId"]
        spec = self.server.spec(region, arn, None)
        future = self.server.pool.submit(self.server.run_function, spec, json.dumps(event).encode())
        try:
            result = future.result(timeout=int(integ.get("TimeoutInMillis") or 30000) / 1000)
        except FutureTimeout:
            resp = json_response(503, {"message": "Service Unavailable"})
        except Throttled as e:  # Lambda refused the invocation (429): API Gateway answers 500
            self.log(f"api {api_id}: {spec.name} throttled ({e.reason})")
            resp = _internal_error(500)
        else:  # the function failed, or answered in a format API Gateway cannot map: 502
            resp = _internal_error(502) if result.function_error else map_result(result.payload)
        resp.headers["apigw-requestid"] = request_id
        return resp

