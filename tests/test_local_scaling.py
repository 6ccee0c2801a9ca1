"""Concurrency, throttling, faults and cached lookups through the local stack, as Lambda and API Gateway behave.

One stack for the module; functions run tests/handlers/kit_test_app. What each test relies on, from AWS's docs:
- Lambda runs one execution environment per concurrent request, up to the function's reserved concurrency;
  beyond it Invoke fails with 429 TooManyRequestsException, Reason ReservedFunctionConcurrentInvocationLimitExceeded.
- API Gateway (Lambda developer guide, "Handling Lambda errors with an API Gateway API"): if Lambda rejects the
  invocation, API Gateway returns 500; if the function runs but returns an error, 502; an HTTP API's body is
  {"message":"Internal Server Error"}. A stage's route throttling answers 429 Too Many Requests.
- A runtime that exits mid-request is a Runtime.ExitError function error; the next request gets a new environment.
"""
from __future__ import annotations

import base64
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from botocore.exceptions import ClientError

from helpers.aws import client, invoke_client
from local_aws.stack.control import api_url
from test_local_stack import BASIC, TRUST, push_test_image, report_of

ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def role(local_stack) -> str:
    iam = client("iam")
    arn = iam.create_role(RoleName="ltk-scale-role", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.attach_role_policy(RoleName="ltk-scale-role", PolicyArn=BASIC)
    return arn


def make_function(role: str, name: str, **kw) -> str:
    lam = client("lambda")
    arn = lam.create_function(FunctionName=name, Role=role, PackageType="Image", Timeout=10, MemorySize=256,
                              Code={"ImageUri": push_test_image("ltk-scale", "v1")}, **kw)["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    return arn


def make_api(arn: str, route: str = "POST /translate", **stage) -> str:
    gw = client("apigatewayv2")
    api = gw.create_api(Name=f"ltk-scale-{time.monotonic_ns()}", ProtocolType="HTTP")["ApiId"]
    integ = gw.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=arn,
                                  PayloadFormatVersion="2.0")["IntegrationId"]
    gw.create_route(ApiId=api, RouteKey=route, Target=f"integrations/{integ}")
    gw.create_stage(ApiId=api, StageName="$default", AutoDeploy=True, **stage)
    client("lambda").add_permission(FunctionName=arn, StatementId=f"apigw-{api}", Action="lambda:InvokeFunction",
                                    Principal="apigateway.amazonaws.com",
                                    SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api}/*/*")
    return api


def invoke(name: str, payload: dict, **kw) -> tuple[dict, dict]:
    resp = invoke_client().invoke(FunctionName=name, Payload=json.dumps(payload).encode(), **kw)  # no retries
    return resp, json.loads(resp["Payload"].read())


def post(api: str, body: dict, path: str = "/translate") -> requests.Response:
    return requests.post(api_url(api) + path, json=body, timeout=30)


def while_busy(n: int, call, *args) -> tuple[ThreadPoolExecutor, list]:
    """Start `n` calls that keep an environment busy for a few seconds; return once they have surely begun."""
    pool = ThreadPoolExecutor(n)
    futures = [pool.submit(call, *args) for _ in range(n)]
    time.sleep(1.5)  # each has been admitted (an invocation takes its environment as it arrives)
    return pool, futures


# ------------------------------------------------------------------------------------------ concurrency

def test_concurrent_requests_run_in_as_many_instances(role):
    make_function(role, "ltk-scale-out")
    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda _: invoke("ltk-scale-out", {"action": "sleep", "seconds": 2})[1], range(3)))
    assert len({a["pid"] for a in answers}) == 3  # three environments, not one call after another
    again = {invoke("ltk-scale-out", {})[1]["pid"] for _ in range(4)}
    assert again <= {a["pid"] for a in answers}  # and they stay warm


def test_reserved_concurrency_is_a_cap_and_the_next_call_is_throttled(role):
    make_function(role, "ltk-scale-capped")
    client("lambda").put_function_concurrency(FunctionName="ltk-scale-capped", ReservedConcurrentExecutions=2)
    pool, busy = while_busy(2, invoke, "ltk-scale-capped", {"action": "sleep", "seconds": 4})
    with pytest.raises(ClientError) as err:
        invoke("ltk-scale-capped", {})
    resp = err.value.response
    assert resp["Error"]["Code"] == "TooManyRequestsException" and resp["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert resp["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded" and resp["message"] == "Rate Exceeded."
    assert all(f.result()[1]["echo"]["seconds"] == 4 for f in busy)
    assert invoke("ltk-scale-capped", {})[1]["echo"] == {}  # capacity is back
    pool.shutdown()


def test_http_api_answers_500_when_lambda_throttles_and_429_when_the_stage_does(role):
    arn = make_function(role, "ltk-scale-http")
    client("lambda").put_function_concurrency(FunctionName="ltk-scale-http", ReservedConcurrentExecutions=1)
    api = make_api(arn)
    pool, busy = while_busy(1, post, api, {"action": "sleep", "seconds": 4})
    refused = post(api, {"sentence": "x"})
    assert refused.status_code == 500 and refused.json() == {"message": "Internal Server Error"}
    assert busy[0].result().status_code == 200
    pool.shutdown()
    gw = client("apigatewayv2")  # the emulator has no UpdateStage: a new stage with a tight limit
    gw.delete_stage(ApiId=api, StageName="$default")
    gw.create_stage(ApiId=api, StageName="$default", AutoDeploy=True,
                    DefaultRouteSettings={"ThrottlingBurstLimit": 2, "ThrottlingRateLimit": 0.01})
    statuses = [post(api, {"n": i}) for i in range(4)]
    assert [r.status_code for r in statuses] == [201, 201, 429, 429]
    assert statuses[-1].json() == {"message": "Too Many Requests"}


# ------------------------------------------------------------------------------------------ faults

def test_a_runtime_that_dies_mid_request_is_runtime_exit_error_then_a_fresh_instance(role):
    arn = make_function(role, "ltk-scale-crash")
    _, before = invoke("ltk-scale-crash", {})
    resp, body = invoke("ltk-scale-crash", {"action": "exit", "code": 3}, LogType="Tail")
    assert resp["StatusCode"] == 200 and resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError" and "exit status 3" in body["errorMessage"]
    log = base64.b64decode(resp["LogResult"]).decode()
    assert log.rstrip().endswith("\tStatus: error\tError Type: Runtime.ExitError"), log
    after, fresh = invoke("ltk-scale-crash", {}, LogType="Tail")
    assert fresh["pid"] != before["pid"] and fresh["calls"] == 1 and report_of(after)["init"] is not None
    api = make_api(arn)
    first = post(api, {"action": "sleep", "seconds": 0}).json()["pid"]
    crashed = post(api, {"action": "exit"})
    assert crashed.status_code == 502 and crashed.json() == {"message": "Internal Server Error"}
    assert post(api, {"action": "sleep", "seconds": 0}).json()["pid"] != first  # a fresh instance


# ------------------------------------------------------------------------------------------ cached lookups

def test_a_changed_route_or_integration_is_seen_by_the_next_request(role):
    arn_a = make_function(role, "ltk-scale-a")
    arn_b = make_function(role, "ltk-scale-b")
    api = make_api(arn_a)
    whoami = {"action": "sleep", "seconds": 0}
    assert post(api, whoami).json()["function"] == "ltk-scale-a"
    gw = client("apigatewayv2")
    integ = gw.get_integrations(ApiId=api)["Items"][0]["IntegrationId"]
    gw.update_integration(ApiId=api, IntegrationId=integ, IntegrationUri=arn_b)
    client("lambda").add_permission(FunctionName=arn_b, StatementId=f"apigw-{api}", Action="lambda:InvokeFunction",
                                    Principal="apigateway.amazonaws.com",
                                    SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api}/*/*")
    assert post(api, whoami).json()["function"] == "ltk-scale-b"
    route = gw.get_routes(ApiId=api)["Items"][0]["RouteId"]
    gw.update_route(ApiId=api, RouteId=route, RouteKey="POST /renamed")
    assert post(api, whoami).status_code == 404
    assert post(api, whoami, "/renamed").json()["function"] == "ltk-scale-b"
    client("lambda").update_function_configuration(FunctionName="ltk-scale-b", MemorySize=512)
    _, conf = invoke("ltk-scale-b", {})
    assert conf["memory"] == "512"  # the cached function settings follow the change too


# ------------------------------------------------------------------------------------------ 03's cost cap demo

def test_a_burst_shows_both_caps(role):
    from helpers.core.config import get_config
    from helpers.deploy.burst import burst, invoke_burst

    arn = make_function(role, "ltk-scale-burst")
    client("lambda").put_function_concurrency(FunctionName="ltk-scale-burst", ReservedConcurrentExecutions=1)
    api = make_api(arn, DefaultRouteSettings={"ThrottlingBurstLimit": 3, "ThrottlingRateLimit": 0.01})
    slow = {"action": "sleep", "seconds": 1.5}
    http = burst(api_url(api), n=8, concurrency=8, body=slow)
    assert http.counts == {429: 5, 200: 1, 500: 2}  # the stage lets 3 through; Lambda runs 1 copy of them
    assert [r["outcome"] for r in http.rows()] == [429, 500, 200] and "stage" in http.rows()[0]["meaning"]
    direct = invoke_burst(get_config(), "ltk-scale-burst", n=4, concurrency=4, payload=slow)
    assert direct.counts == {"ok": 1, "TooManyRequestsException": 3}
