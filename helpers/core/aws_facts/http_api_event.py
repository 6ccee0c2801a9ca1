"""The payload format 2.0 event an API Gateway HTTP API sends to a Lambda proxy integration (API Gateway Developer
Guide, "Create AWS Lambda proxy integrations for HTTP APIs"): the emulated HTTP API and `sam local invoke` build it.
"""
from __future__ import annotations

import base64
import re
import secrets
import time
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl

from helpers.core.aws_facts.account import ACCOUNT_ID

TEXT_TYPES = re.compile(r"^(text/|application/(json|xml|javascript|x-www-form-urlencoded)|application/[\w.+-]+\+(json|xml))")


def _request_context(api: dict[str, Any], route_key: str, stage: str, method: str, raw_path: str,
                     hdrs: dict[str, str], source_ip: str) -> dict[str, Any]:
    domain = hdrs.get("host", f"{api['ApiId']}.execute-api.localhost")
    return {
        "accountId": api.get("_AccountId", ACCOUNT_ID),
        "apiId": api["ApiId"],
        "domainName": domain,
        "domainPrefix": domain.split(".")[0],
        "http": {"method": method, "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": source_ip,
                 "userAgent": hdrs.get("user-agent", "")},
        "requestId": base64.b64encode(secrets.token_bytes(12)).decode(),
        "routeKey": route_key,
        "stage": stage,
        "time": datetime.now(timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(time.time() * 1000),
    }


def build_event(*, api: dict[str, Any], route_key: str, stage: str, method: str, raw_path: str, raw_query: str,
                headers: list[tuple[str, str]], body: bytes, source_ip: str, path_params: dict[str, str],
                stage_variables: dict[str, str] | None = None) -> dict[str, Any]:
    """The payload format 2.0 event API Gateway sends to a Lambda proxy integration."""
    hdrs: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        name = name.lower()
        if name == "cookie":
            cookies += [c.strip() for c in value.split(";") if c.strip()]
        else:
            hdrs[name] = f"{hdrs[name]},{value}" if name in hdrs else value
    query: dict[str, str] = {}
    for k, v in parse_qsl(raw_query, keep_blank_values=True):
        query[k] = f"{query[k]},{v}" if k in query else v
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": hdrs,
        "requestContext": _request_context(api, route_key, stage, method, raw_path, hdrs, source_ip),
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_params:
        event["pathParameters"] = path_params
    if stage_variables:
        event["stageVariables"] = stage_variables
    if body:
        if TEXT_TYPES.match(hdrs.get("content-type", "")):
            event["body"] = body.decode("utf-8", "replace")
        else:
            event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    return event
