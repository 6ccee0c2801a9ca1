"""The local HTTP API endpoint: routes each request to its API's Lambda integration, as API Gateway HTTP APIs do.

APIs, routes, integrations and stages live in moto; this module reads them through the stack's own endpoint and
turns a request into a payload-2.0 event (http_events.py), invokes the function through the server, and maps the
result back to an HTTP response.
"""
from __future__ import annotations

import json
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures import Executor
from typing import Any, Protocol

from helpers.core.config import KNOWN_REGIONS
from helpers.local.http_events import (HttpResponse, add_cors_headers, build_event, cors_preflight, invoke_allowed,
                                       json_response, lambda_arn_of, map_result, match_route, respond)
from helpers.local.stack import ACCOUNT_ID



class Backend(Protocol):
    """What the gateway needs of the stack's server (server.Server): clients, the pool, invoking a function."""

    regions_seen: list[str]
    pool: Executor

    def client(self, service: str, region: str) -> Any: ...
    def touch(self) -> None: ...
    def log(self, msg: str) -> None: ...
    def spec(self, region: str, name: str, qualifier: str | None) -> Any: ...
    def run_function(self, spec: Any, payload: bytes) -> Any: ...


class Gateway:
    """API Gateway v2 HTTP APIs over the stack's moto state and its Lambda runtime."""

    def __init__(self, server: Backend) -> None:
        self.server = server
        self._api_regions: dict[str, str] = {}

    def client(self, service: str, region: str) -> Any:
        return self.server.client(service, region)

    def log(self, msg: str) -> None:
        self.server.log(msg)

    def _api_region(self, api_id: str) -> str | None:
        from helpers.core.config import KNOWN_REGIONS

        if api_id in self._api_regions:
            return self._api_regions[api_id]
        for region in [*self.server.regions_seen, *sorted(KNOWN_REGIONS - set(self.server.regions_seen))]:
            try:
                self.client("apigatewayv2", region).get_api(ApiId=api_id)
            except Exception:
                continue
            self._api_regions[api_id] = region
            return region
        return None

    def wsgi_app(self, environ: dict, start_response: Any) -> Any:
        from werkzeug.wrappers import Request

        from helpers.local.http_events import json_response

        self.server.touch()
        req = Request(environ)
        try:
            resp = self.http_api(req)
        except Exception as e:  # API Gateway answers 500 and logs; so do we
            self.log(f"http api error: {e!r}")
            resp = json_response(500, {"message": "Internal Server Error"})
        extra = [("set-cookie", c) for c in resp.cookies]
        return respond(start_response, resp.status, dict(resp.headers), resp.body, extra)

    def http_api(self, req: Any) -> Any:
        """Route one HTTP request to its API's Lambda integration, as API Gateway HTTP APIs do."""
        from helpers.local.http_events import (add_cors_headers, build_event, cors_preflight, invoke_allowed, json_response,
                              lambda_arn_of, map_result, match_route)

        not_found = json_response(404, {"message": "Not Found"})
        parts = req.path.split("/", 2)  # "", api_id, rest
        api_id, rest = parts[1], "/" + (parts[2] if len(parts) > 2 else "")
        region = self._api_region(api_id) if api_id else None
        if region is None:
            return not_found
        agw = self.client("apigatewayv2", region)
        api = agw.get_api(ApiId=api_id)
        if api.get("ProtocolType") != "HTTP":
            return not_found
        stages = {s["StageName"]: s for s in agw.get_stages(ApiId=api_id).get("Items", [])}
        first = rest.strip("/").split("/")[0]
        if first in stages and first != "$default":
            stage, path, raw_path = first, "/" + rest.strip("/").partition("/")[2], rest
        elif "$default" in stages:
            stage, path, raw_path = "$default", rest, rest
        else:
            return not_found
        headers = {k.lower(): v for k, v in req.headers.items()}
        cors = api.get("CorsConfiguration")
        pre = cors_preflight(cors, req.method, headers)
        if pre is not None:
            return pre
        match = match_route(agw.get_routes(ApiId=api_id).get("Items", []), req.method, path)
        if match is None or not str(match[0].get("Target", "")).startswith("integrations/"):
            return not_found
        route, params = match
        integ = agw.get_integration(ApiId=api_id, IntegrationId=route["Target"].split("/", 1)[1])
        arn = lambda_arn_of(integ)
        fail = json_response(500, {"message": "Internal Server Error"})
        if arn is None or integ.get("PayloadFormatVersion") != "2.0":
            self.log(f"api {api_id}: route {route['RouteKey']} needs an AWS_PROXY Lambda integration with "
                     "payload format 2.0")
            return fail
        source_arn = f"arn:aws:execute-api:{region}:{ACCOUNT_ID}:{api_id}/{stage}/{req.method}{path}"
        if not invoke_allowed(self._policy(region, arn), source_arn):
            self.log(f"api {api_id}: {arn} has no resource policy letting apigateway.amazonaws.com invoke it "
                     f"from {source_arn} (lambda add_permission)")
            fail.headers["x-kit-local-error"] = "API Gateway is not allowed to invoke the function (add_permission)"
            return fail
        event = build_event(api=api, route_key=route["RouteKey"], stage=stage, method=req.method,
                            raw_path=raw_path, raw_query=req.query_string.decode(), headers=list(req.headers.items()),
                            body=req.get_data(), source_ip=req.remote_addr or "127.0.0.1", path_params=params,
                            stage_variables=stages[stage].get("StageVariables"))
        spec = self.server.spec(region, arn, None)
        future = self.server.pool.submit(self.server.run_function, spec, json.dumps(event).encode())
        try:
            result = future.result(timeout=int(integ.get("TimeoutInMillis") or 30000) / 1000)
        except FutureTimeout:
            return json_response(503, {"message": "Service Unavailable"})
        resp = fail if result.function_error else map_result(result.payload)
        resp.headers["apigw-requestid"] = event["requestContext"]["requestId"]
        add_cors_headers(cors, headers, resp)
        return resp

    def _policy(self, region: str, arn: str) -> dict | None:
        try:
            return json.loads(self.client("lambda", region).get_policy(FunctionName=arn)["Policy"])
        except Exception:
            return None

