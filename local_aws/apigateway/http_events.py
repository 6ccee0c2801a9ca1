"""API Gateway HTTP API (v2) semantics: route matching, payload format 2.0 events, response mapping, CORS.

Pure functions over the API, route and integration documents as GetApi/GetRoutes/GetIntegrations return them;
stack/control.py feeds them from the emulator and invokes the function.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from helpers.core.aws_facts.iam_match import allows_service


@dataclass
class HttpResponse:
    """What the HTTP API sends back to the caller."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    cookies: list[str] = field(default_factory=list)


def json_response(status: int, doc: Any, headers: dict[str, str] | None = None) -> HttpResponse:
    """A JSON response, as API Gateway sends its own errors ({"message": "Not Found"})."""
    return HttpResponse(status, {"content-type": "application/json", **(headers or {})}, json.dumps(doc).encode())


def match_route(routes: list[dict[str, Any]], method: str, path: str) -> tuple[dict[str, Any], dict[str, str]] | None:
    """The route API Gateway picks for `method path` (most specific wins, `$default` last) and its path parameters."""
    best, best_rank, best_params = None, None, {}
    for route in routes:
        key = route["RouteKey"]
        if key == "$default":
            rank, params = (-1, 0, 0), {}
        else:
            r_method, _, r_path = key.partition(" ")
            if r_method not in (method, "ANY"):
                continue
            params = _match_path(r_path, path)
            if params is None:
                continue
            literal = sum(1 for seg in r_path.strip("/").split("/") if not seg.startswith("{"))
            greedy = r_path.endswith("+}")
            rank = (0 if greedy else 1, literal, 1 if r_method == method else 0)
        if best_rank is None or rank > best_rank:
            best, best_rank, best_params = route, rank, params
    return (best, best_params) if best is not None else None


def _match_path(pattern: str, path: str) -> dict[str, str] | None:
    pat = pattern.strip("/").split("/") if pattern.strip("/") else []
    segs = path.strip("/").split("/") if path.strip("/") else []
    params: dict[str, str] = {}
    for i, p in enumerate(pat):
        if p.startswith("{") and p.endswith("+}"):
            if i >= len(segs):
                return None
            params[p[1:-2]] = "/".join(segs[i:])
            return params
        if i >= len(segs):
            return None
        if p.startswith("{") and p.endswith("}"):
            params[p[1:-1]] = segs[i]
        elif p != segs[i]:
            return None
    return params if len(pat) == len(segs) else None


def map_result(payload: bytes) -> HttpResponse:
    """Turn a Lambda result into the HTTP response per payload format 2.0 (a bare value becomes 200 JSON); a
    result API Gateway cannot map (not JSON, a bad statusCode, headers or body) is a 502, as API Gateway answers."""
    try:
        doc = json.loads(payload) if payload else None
        if isinstance(doc, dict) and "statusCode" in doc:
            return _mapped(doc)
    except (ValueError, TypeError, AttributeError, binascii.Error):
        return json_response(502, {"message": "Internal Server Error"})
    return HttpResponse(200, {"content-type": "application/json"}, payload)


def _mapped(doc: dict[str, Any]) -> HttpResponse:
    status = doc["statusCode"]
    if isinstance(status, bool) or not isinstance(status, (int, str)) or not 100 <= int(status) <= 599:
        raise ValueError(f"bad statusCode {status!r}")
    headers = {str(k).lower(): str(v) for k, v in (doc.get("headers") or {}).items()}
    for k, values in (doc.get("multiValueHeaders") or {}).items():
        headers[str(k).lower()] = ",".join(str(v) for v in values)
    body = doc.get("body")
    if body is None:
        data = b""
    elif doc.get("isBase64Encoded"):
        data = base64.b64decode(body, validate=True)
    else:
        data = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
    headers.setdefault("content-type", "application/json")
    return HttpResponse(int(status), headers, data, [str(c) for c in doc.get("cookies") or []])


def cors_preflight(cors: dict[str, Any] | None, method: str, headers: dict[str, str]) -> HttpResponse | None:
    """API Gateway's own answer to a CORS preflight when the API has a CorsConfiguration, else None."""
    if not cors or method != "OPTIONS" or "access-control-request-method" not in headers:
        return None
    out = HttpResponse(204)
    origin = _allowed_origin(cors, headers.get("origin"))
    requested = headers["access-control-request-method"].upper()
    methods = [m.upper() for m in cors.get("AllowMethods") or []]
    if origin and ("*" in methods or requested in methods):
        out.headers["access-control-allow-origin"] = origin
        out.headers["access-control-allow-methods"] = ",".join(methods)
        if cors.get("AllowHeaders"):
            out.headers["access-control-allow-headers"] = ",".join(cors["AllowHeaders"])
        if cors.get("MaxAge") is not None:
            out.headers["access-control-max-age"] = str(cors["MaxAge"])
        if cors.get("AllowCredentials"):
            out.headers["access-control-allow-credentials"] = "true"
    return out


def add_cors_headers(cors: dict[str, Any] | None, request_headers: dict[str, str], resp: HttpResponse) -> None:
    """The Access-Control-* headers API Gateway adds to an actual request's response (they override the function's)."""
    origin = _allowed_origin(cors or {}, request_headers.get("origin")) if cors else None
    if not origin:
        return
    resp.headers["access-control-allow-origin"] = origin
    if cors.get("ExposeHeaders"):  # type: ignore[union-attr]
        resp.headers["access-control-expose-headers"] = ",".join(cors["ExposeHeaders"])  # type: ignore[index]
    if cors.get("AllowCredentials"):  # type: ignore[union-attr]
        resp.headers["access-control-allow-credentials"] = "true"


def _allowed_origin(cors: dict[str, Any], origin: str | None) -> str | None:
    if not origin:
        return None
    allowed = cors.get("AllowOrigins") or []
    if "*" in allowed:
        return "*"
    return origin if any(fnmatchcase(origin, a) for a in allowed) else None


def lambda_arn_of(integration: dict[str, Any]) -> str | None:
    """The Lambda function ARN behind an AWS_PROXY integration (plain ARN or the apigateway invocation URI)."""
    if integration.get("IntegrationType") != "AWS_PROXY":
        return None
    uri = integration.get("IntegrationUri", "")
    m = re.search(r"(arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:[\w-]+(:[\w$-]+)?)", uri)
    return m.group(1) if m else None


def invoke_allowed(policy: dict[str, Any] | None, source_arn: str) -> bool:
    """Whether the function's resource policy lets API Gateway (this source ARN) invoke it, as AWS checks."""
    return allows_service(policy, "apigateway.amazonaws.com", "lambda:InvokeFunction", source_arn)

