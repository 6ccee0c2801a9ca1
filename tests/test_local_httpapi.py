"""API Gateway HTTP API semantics of the local endpoint: routes, payload 2.0 events, responses, CORS, permissions."""
from __future__ import annotations

import base64
import json

from helpers.core.aws_facts.http_api_event import build_event
from local_aws.apigateway.http_events import (add_cors_headers, cors_preflight, invoke_allowed, lambda_arn_of,
                                              map_result, match_route)

ROUTES = [{"RouteKey": k, "RouteId": str(i)} for i, k in enumerate(
    ["POST /translate", "GET /health", "ANY /items/{id}", "GET /items/special", "GET /files/{path+}", "$default"])]
ARN = "arn:aws:lambda:us-east-1:123456789012:function:ltk-translator"


def _key(method: str, path: str):
    found = match_route(ROUTES, method, path)
    return (found[0]["RouteKey"], found[1]) if found else None


def test_routes_most_specific_first_then_default():
    assert _key("POST", "/translate") == ("POST /translate", {})
    assert _key("GET", "/translate") == ("$default", {})
    assert _key("GET", "/items/special") == ("GET /items/special", {})
    assert _key("DELETE", "/items/42") == ("ANY /items/{id}", {"id": "42"})
    assert _key("GET", "/files/a/b.txt") == ("GET /files/{path+}", {"path": "a/b.txt"})
    assert match_route(ROUTES[:2], "GET", "/nope") is None


def test_event_is_payload_format_2():
    event = build_event(api={"ApiId": "abc123"}, route_key="POST /translate", stage="$default", method="POST",
                        raw_path="/translate", raw_query="a=1&a=2&b=",
                        headers=[("Content-Type", "application/json"), ("User-Agent", "ua/1"), ("X-Multi", "1"),
                                 ("X-Multi", "2"), ("Cookie", "s=1; t=2")],
                        body=b'{"sentence": "Bonjour."}', source_ip="127.0.0.1", path_params={})
    assert event["version"] == "2.0" and event["routeKey"] == "POST /translate"
    assert event["rawPath"] == "/translate" and event["rawQueryString"] == "a=1&a=2&b="
    assert event["headers"] == {"content-type": "application/json", "user-agent": "ua/1", "x-multi": "1,2"}
    assert event["cookies"] == ["s=1", "t=2"]
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    ctx = event["requestContext"]
    assert ctx["http"] == {"method": "POST", "path": "/translate", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                           "userAgent": "ua/1"}
    assert ctx["apiId"] == "abc123" and ctx["stage"] == "$default" and ctx["requestId"]
    assert isinstance(ctx["timeEpoch"], int) and ctx["timeEpoch"] > 1_600_000_000_000
    assert event["body"] == '{"sentence": "Bonjour."}' and event["isBase64Encoded"] is False
    assert "pathParameters" not in event


def test_binary_body_is_base64():
    event = build_event(api={"ApiId": "a"}, route_key="$default", stage="$default", method="PUT", raw_path="/",
                        raw_query="", headers=[("content-type", "application/octet-stream")], body=b"\x00\xff",
                        source_ip="1.2.3.4", path_params={"id": "7"})
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\x00\xff"
    assert event["pathParameters"] == {"id": "7"} and "queryStringParameters" not in event


def test_result_mapping():
    full = map_result(json.dumps({"statusCode": 418, "headers": {"X-A": "b"}, "body": "tea",
                                  "cookies": ["c=1"]}).encode())
    assert (full.status, full.headers["x-a"], full.body, full.cookies) == (418, "b", b"tea", ["c=1"])
    b64 = map_result(json.dumps({"statusCode": 200, "body": base64.b64encode(b"\x01").decode(),
                                 "isBase64Encoded": True}).encode())
    assert b64.body == b"\x01"
    bare = map_result(b'{"en": "Hello."}')
    assert (bare.status, bare.headers["content-type"], bare.body) == (200, "application/json", b'{"en": "Hello."}')
    for malformed in (b"not json", b'{"statusCode": "abc"}', b'{"statusCode": 1000}', b'{"statusCode": true}',
                      b'{"statusCode": 200, "body": "%%%", "isBase64Encoded": true}',
                      b'{"statusCode": 200, "headers": ["x"]}', b'{"statusCode": 200, "body": "\\ud800"}'):
        # API Gateway answers 502 when the function's answer cannot be mapped (Lambda developer guide)
        assert map_result(malformed).status == 502, malformed


def test_cors_preflight_and_actual_request():
    cors = {"AllowOrigins": ["https://app.example"], "AllowMethods": ["POST"], "AllowHeaders": ["content-type"],
            "MaxAge": 60, "ExposeHeaders": ["x-model-version"]}
    pre = cors_preflight(cors, "OPTIONS", {"origin": "https://app.example", "access-control-request-method": "POST"})
    assert pre.status == 204 and pre.headers["access-control-allow-origin"] == "https://app.example"
    assert pre.headers["access-control-allow-methods"] == "POST" and pre.headers["access-control-max-age"] == "60"
    other = cors_preflight(cors, "OPTIONS", {"origin": "https://evil.example", "access-control-request-method": "POST"})
    assert "access-control-allow-origin" not in other.headers
    assert cors_preflight(None, "OPTIONS", {"access-control-request-method": "POST"}) is None
    resp = map_result(b"{}")
    add_cors_headers(cors, {"origin": "https://app.example"}, resp)
    assert resp.headers["access-control-expose-headers"] == "x-model-version"


def test_integration_arn_and_permission_check():
    assert lambda_arn_of({"IntegrationType": "AWS_PROXY", "IntegrationUri": ARN}) == ARN
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{ARN}/invocations"
    assert lambda_arn_of({"IntegrationType": "AWS_PROXY", "IntegrationUri": uri}) == ARN
    assert lambda_arn_of({"IntegrationType": "HTTP_PROXY", "IntegrationUri": "https://x"}) is None
    source = "arn:aws:execute-api:us-east-1:123456789012:abc/$default/POST/translate"
    stmt = {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "lambda:InvokeFunction",
            "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:us-east-1:123456789012:abc/*"}}}
    assert invoke_allowed({"Statement": [stmt]}, source)
    assert not invoke_allowed({"Statement": [stmt]}, source.replace(":abc/", ":xyz/"))
    assert not invoke_allowed({"Statement": [{**stmt, "Principal": {"Service": "s3.amazonaws.com"}}]}, source)
    assert not invoke_allowed(None, source)
