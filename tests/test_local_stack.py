"""The local target end to end through boto3: control plane on moto, invocations on the local runtime, HTTP APIs.

One stack for the whole module (the `local_stack` fixture); the last test stops it and checks nothing is left.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import time
from pathlib import Path

import psutil
import pytest
import requests
from botocore.exceptions import ClientError

from helpers.aws import client
from helpers.core.platform import local_emulator
from local_aws.ecr.images import ImageRecord, register_image
from local_aws.stack.control import api_url, ensure_stack, running_stack, stop_stack

HANDLERS = Path(__file__).parent / "handlers"
REPORT = re.compile(r"^REPORT RequestId: (?P<id>\S+)\tDuration: (?P<d>\d+\.\d\d) ms\tBilled Duration: (?P<b>\d+) ms"
                    r"\tMemory Size: (?P<m>\d+) MB\tMax Memory Used: (?P<used>\d+) MB"
                    r"(\tInit Duration: (?P<init>\d+\.\d\d) ms)?(?P<status>\tStatus: \w+)?", re.M)
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def push_test_image(repo: str, tag: str, register: bool = True) -> str:
    """Put a manifest into the emulated ECR and register the test handler as the image's task root."""
    ecr = client("ecr")
    try:
        uri = ecr.create_repository(repositoryName=repo)["repository"]["repositoryUri"]
    except ecr.exceptions.RepositoryAlreadyExistsException:
        uri = ecr.describe_repositories(repositoryNames=[repo])["repositories"][0]["repositoryUri"]
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                           "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 100,
                                      "digest": "sha256:" + hashlib.sha256(tag.encode()).hexdigest()},
                           "layers": []})
    digest = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
    try:
        ecr.put_image(repositoryName=repo, imageManifest=manifest, imageTag=tag, imageDigest=digest)
    except ecr.exceptions.ImageAlreadyExistsException:
        pass
    if register:
        register_image(ImageRecord(uri=f"{uri}:{tag}", digest=digest, handler="kit_test_app.app.handler",
                                   task_root=str(HANDLERS)))
    return f"{uri}:{tag}"


@pytest.fixture(scope="module")
def role_arn(local_stack) -> str:
    iam = client("iam")
    arn = iam.create_role(RoleName="ltk-test-role", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.attach_role_policy(RoleName="ltk-test-role", PolicyArn=BASIC)
    return arn


@pytest.fixture(scope="module")
def function(local_stack, role_arn) -> str:
    uri = push_test_image("ltk-test", "v1")
    client("lambda").create_function(FunctionName="ltk-echo", Role=role_arn, PackageType="Image",
                                     Code={"ImageUri": uri}, Timeout=2, MemorySize=256,
                                     Environment={"Variables": {"GREETING": "bonjour"}})
    client("lambda").get_waiter("function_active_v2").wait(FunctionName="ltk-echo")  # Pending first, as on AWS
    return "ltk-echo"


def invoke(name: str, payload, **kw) -> tuple[dict, object]:
    resp = client("lambda").invoke(FunctionName=name, Payload=json.dumps(payload).encode(), **kw)
    return resp, json.loads(resp["Payload"].read())


def report_of(resp) -> re.Match:
    log = base64.b64decode(resp["LogResult"]).decode()
    m = REPORT.search(log)
    assert m, log
    return m


# ------------------------------------------------------------------------------------------ control plane

def test_stack_is_reused_and_clients_point_at_it(local_stack):
    assert ensure_stack().pid == local_stack.pid == running_stack().pid
    assert client("sts").meta.endpoint_url == local_stack.endpoint
    assert client("sts").get_caller_identity()["Account"] == "123456789012"


def test_ecr_create_describe_delete(local_stack):
    ecr = client("ecr")
    ecr.create_repository(repositoryName="ltk-crud", imageScanningConfiguration={"scanOnPush": True})
    repo = ecr.describe_repositories(repositoryNames=["ltk-crud"])["repositories"][0]
    assert repo["imageScanningConfiguration"]["scanOnPush"] is True
    ecr.delete_repository(repositoryName="ltk-crud", force=True)
    with pytest.raises(ecr.exceptions.RepositoryNotFoundException):
        ecr.describe_repositories(repositoryNames=["ltk-crud"])


def test_iam_role_with_managed_policy(local_stack):
    iam = client("iam")
    iam.create_role(RoleName="ltk-crud-role", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.attach_role_policy(RoleName="ltk-crud-role", PolicyArn=BASIC)
    attached = iam.list_attached_role_policies(RoleName="ltk-crud-role")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [BASIC]
    iam.detach_role_policy(RoleName="ltk-crud-role", PolicyArn=BASIC)
    iam.delete_role(RoleName="ltk-crud-role")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName="ltk-crud-role")


def test_lambda_image_function_create_describe_delete(local_stack, role_arn):
    lam = client("lambda")
    with pytest.raises(ClientError):  # like AWS: the image must be in ECR first
        lam.create_function(FunctionName="ltk-crud-fn", Role=role_arn, PackageType="Image",
                            Code={"ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/nope:v1"})
    uri = push_test_image("ltk-crud-img", "v1")
    created = lam.create_function(FunctionName="ltk-crud-fn", Role=role_arn, PackageType="Image",
                                  Code={"ImageUri": uri}, MemorySize=512)
    conf = lam.get_function_configuration(FunctionName="ltk-crud-fn")
    assert conf["PackageType"] == "Image" and conf["MemorySize"] == 512
    assert "sha256:" + created["CodeSha256"] == client("ecr").describe_images(
        repositoryName="ltk-crud-img")["imageDetails"][0]["imageDigest"]
    lam.delete_function(FunctionName="ltk-crud-fn")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName="ltk-crud-fn")


def test_apigatewayv2_and_logs_create_describe_delete(local_stack):
    gw = client("apigatewayv2")
    api_id = gw.create_api(Name="ltk-crud-api", ProtocolType="HTTP")["ApiId"]
    assert gw.get_api(ApiId=api_id)["Name"] == "ltk-crud-api"
    gw.delete_api(ApiId=api_id)
    with pytest.raises(gw.exceptions.NotFoundException):
        gw.get_api(ApiId=api_id)
    logs = client("logs")
    logs.create_log_group(logGroupName="/ltk/crud")
    assert [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/ltk/")["logGroups"]] == ["/ltk/crud"]
    logs.delete_log_group(logGroupName="/ltk/crud")
    assert logs.describe_log_groups(logGroupNamePrefix="/ltk/")["logGroups"] == []


# ------------------------------------------------------------------------------------------ invocations

def test_invoke_returns_the_handlers_value_cold_then_warm(function):
    cold, body = invoke(function, {"hello": "world"}, LogType="Tail")
    assert cold["StatusCode"] == 200 and "FunctionError" not in cold
    assert body["echo"] == {"hello": "world"} and body["function"] == function
    assert body["greeting"] == "bonjour" and body["memory"] == "256"
    assert body["task_root"] == str(HANDLERS.resolve())
    warm, body2 = invoke(function, {"n": 2}, LogType="Tail")
    assert body2["calls"] == body["calls"] + 1 and body2["pid"] == body["pid"]  # same warm instance
    c, w = report_of(cold), report_of(warm)
    assert c["init"] is not None and w["init"] is None  # Init Duration only on the cold start
    assert int(c["b"]) == math.ceil(float(c["d"]) + float(c["init"]))
    assert 5 <= int(w["used"]) < 256 and w["m"] == "256"


def test_cold_report_splits_init_and_duration(local_stack, role_arn):
    """Init Duration ends when the runtime first asks for an event; Duration is the handler's time only."""
    uri = push_test_image("ltk-test", "v1")
    client("lambda").create_function(FunctionName="ltk-slow-init", Role=role_arn, PackageType="Image",
                                     Code={"ImageUri": uri}, Timeout=10, MemorySize=256,
                                     Environment={"Variables": {"KIT_TEST_INIT_SLEEP": "1.0"}})
    client("lambda").get_waiter("function_active_v2").wait(FunctionName="ltk-slow-init")
    cold = report_of(invoke("ltk-slow-init", {"action": "sleep", "seconds": 0.2}, LogType="Tail")[0])
    assert cold["init"] is not None and float(cold["init"]) >= 1000
    assert 200 <= float(cold["d"]) < 1000  # the import-time second is init, not the invocation
    warm = report_of(invoke("ltk-slow-init", {"action": "sleep", "seconds": 0.2}, LogType="Tail")[0])
    assert warm["init"] is None and float(warm["d"]) >= 200


def test_function_sees_only_its_task_root_and_the_runtime_dir(function):
    _, found = invoke(function, {"action": "import", "modules": ["kit_test_app", "boto3", "psutil", "moto"]})
    assert found == {"kit_test_app": True, "boto3": True, "psutil": False, "moto": False}


def test_log_tail_has_start_output_end_report(function):
    resp, _ = invoke(function, {"tail": True}, LogType="Tail")
    lines = base64.b64decode(resp["LogResult"]).decode().splitlines()
    rid = resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert lines[0] == f"START RequestId: {rid} Version: $LATEST"
    assert any('handling {"tail": true}' in ln for ln in lines)
    assert lines[-2] == f"END RequestId: {rid}" and lines[-1].startswith(f"REPORT RequestId: {rid}\t")
    assert not any("(rapid)" in ln for ln in lines)


def test_exception_becomes_a_lambda_error(function):
    resp, body = invoke(function, {"action": "raise", "msg": "bad input"}, LogType="Tail")
    assert resp["StatusCode"] == 200 and resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "ValueError" and body["errorMessage"] == "boom: bad input"
    assert "[ERROR] ValueError: boom: bad input" in base64.b64decode(resp["LogResult"]).decode()


def test_timeout_is_enforced_and_the_next_call_is_cold(function):
    t0 = time.monotonic()
    resp, body = invoke(function, {"action": "sleep", "seconds": 10}, LogType="Tail")
    assert time.monotonic() - t0 < 8  # stopped at the 2 s timeout, not after 10 s
    assert resp["FunctionError"] == "Unhandled" and body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"].endswith("Task timed out after 2.00 seconds")
    m = report_of(resp)
    assert m["d"] == "2000.00" and m["status"] == "\tStatus: timeout"
    after, _ = invoke(function, {"again": 1}, LogType="Tail")
    assert report_of(after)["init"] is not None


def test_report_records_land_in_cloudwatch_logs(function):
    resp, _ = invoke(function, {"logs": 1})
    rid = resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    logs = client("logs")
    streams = logs.describe_log_streams(logGroupName=f"/aws/lambda/{function}")["logStreams"]
    assert streams and all(re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", s["logStreamName"])
                           for s in streams)
    messages = [e["message"] for e in logs.filter_log_events(logGroupName=f"/aws/lambda/{function}")["events"]]
    assert any(REPORT.match(m) and m.startswith(f"REPORT RequestId: {rid}\t") for m in messages)
    assert f"START RequestId: {rid} Version: $LATEST" in messages


def test_config_change_means_a_new_cold_instance(function):
    lam = client("lambda")
    _, before = invoke(function, {})
    lam.update_function_configuration(FunctionName=function, Environment={"Variables": {"GREETING": "salut"}})
    resp, after = invoke(function, {}, LogType="Tail")
    assert after["greeting"] == "salut" and after["pid"] != before["pid"] and after["calls"] == 1
    assert report_of(resp)["init"] is not None


def test_memory_limit_is_enforced(local_stack, role_arn):
    uri = push_test_image("ltk-test", "v1")
    client("lambda").create_function(FunctionName="ltk-small", Role=role_arn, PackageType="Image",
                                     Code={"ImageUri": uri}, Timeout=10, MemorySize=128)
    client("lambda").get_waiter("function_active_v2").wait(FunctionName="ltk-small")
    resp, body = invoke("ltk-small", {"action": "alloc", "mb": 300}, LogType="Tail")
    assert resp["FunctionError"] == "Unhandled" and body["errorType"] == "Runtime.OutOfMemory"
    assert "Error Type: Runtime.OutOfMemory" in base64.b64decode(resp["LogResult"]).decode()
    _, ok = invoke("ltk-small", {"small": 1})
    assert ok["echo"] == {"small": 1}


def test_event_and_dry_run_invocations(function):
    lam = client("lambda")
    assert lam.invoke(FunctionName=function, InvocationType="DryRun")["StatusCode"] == 204
    assert lam.invoke(FunctionName=function, InvocationType="Event",
                      Payload=b'{"async": "yes"}')["StatusCode"] == 202
    logs, deadline = client("logs"), time.monotonic() + 10
    while time.monotonic() < deadline:
        events = logs.filter_log_events(logGroupName=f"/aws/lambda/{function}")["events"]
        if any('handling {"async": "yes"}' in e["message"] for e in events):
            break
        time.sleep(0.2)
    else:
        pytest.fail("the Event invocation never ran")


def test_unknown_function_and_unregistered_image_are_clear_errors(local_stack, role_arn):
    lam = client("lambda")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName="ltk-missing", Payload=b"{}")
    uri = push_test_image("ltk-unregistered", "v1", register=False)
    lam.create_function(FunctionName="ltk-noimage", Role=role_arn, PackageType="Image", Code={"ImageUri": uri})
    lam.get_waiter("function_active_v2").wait(FunctionName="ltk-noimage")
    with pytest.raises(lam.exceptions.ResourceNotFoundException, match="local image store"):
        lam.invoke(FunctionName="ltk-noimage", Payload=b"{}")


# ------------------------------------------------------------------------------------------ HTTP API

@pytest.fixture(scope="module")
def http_api(function) -> str:
    gw, lam = client("apigatewayv2"), client("lambda")
    arn = lam.get_function(FunctionName=function)["Configuration"]["FunctionArn"]
    api_id = gw.create_api(Name="ltk-api", ProtocolType="HTTP", CorsConfiguration={
        "AllowOrigins": ["https://app.example"], "AllowMethods": ["POST"], "AllowHeaders": ["content-type"]})["ApiId"]
    integ = gw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn,
                                  PayloadFormatVersion="2.0")["IntegrationId"]
    gw.create_route(ApiId=api_id, RouteKey="POST /translate", Target=f"integrations/{integ}")
    gw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    return api_id


def test_http_api_needs_the_invoke_permission_like_aws(http_api):
    r = requests.post(api_url(http_api) + "/translate", json={"sentence": "x"}, timeout=30)
    assert r.status_code == 500 and r.json() == {"message": "Internal Server Error"}
    client("lambda").add_permission(
        FunctionName="ltk-echo", StatementId="apigw", Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:123456789012:{http_api}/*/*/translate")


def test_http_api_request_reaches_the_handler(http_api):
    url = api_url(http_api)
    assert url.startswith("http://localhost:")  # as a person names the machine; it resolves to 127.0.0.1
    r = requests.post(url + "/translate?lang=en", json={"sentence": "Les deux chiens."},
                      headers={"Origin": "https://app.example"}, timeout=30)
    assert r.status_code == 201, r.text
    assert r.headers["x-echo"] == "yes" and r.headers["access-control-allow-origin"] == "https://app.example"
    assert r.headers["apigw-requestid"] and r.cookies.get("a") == "1"
    assert r.json() == {"path": "/translate", "route": "POST /translate", "body": '{"sentence": "Les deux chiens."}',
                        "query": {"lang": "en"}, "method": "POST", "ua": r.request.headers["User-Agent"]}


def test_http_api_errors_and_preflight(http_api):
    url = api_url(http_api)
    assert requests.get(url + "/translate", timeout=30).json() == {"message": "Not Found"}
    assert requests.get(api_url("nosuchapi") + "/translate", timeout=30).status_code == 404
    boom = requests.post(url + "/translate", data="boom", headers={"content-type": "text/plain"}, timeout=30)
    # a function error: API Gateway answers 502 (the Lambda developer guide, "Handling Lambda errors with an
    # API Gateway API"); a refused invocation (no permission, throttled) is a 500
    assert boom.status_code == 502 and boom.json() == {"message": "Internal Server Error"}
    pre = requests.options(url + "/translate", timeout=30, headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
    assert pre.status_code == 204 and pre.headers["access-control-allow-methods"] == "POST"


# ------------------------------------------------------------------------------------------ last: clean stop

def test_stop_stack_leaves_no_process(local_stack, function):
    invoke(function, {"warm": "up"})  # make sure instances (emulator + runtime interface client) are running
    family = psutil.Process(local_stack.pid).children(recursive=True)
    commands = [" ".join(p.cmdline()) for p in family]
    emulator = "aws-lambda-rie" if local_emulator() == "rie" else "lambda_api_server.py"
    assert any(emulator in c for c in commands) and any(" -m " in c and "python" in c for c in commands), commands
    assert stop_stack() is True
    gone, alive = psutil.wait_procs([psutil.Process(local_stack.pid), *family], timeout=5) \
        if psutil.pid_exists(local_stack.pid) else ([], [p for p in family if p.is_running()])
    assert not [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not psutil.pid_exists(local_stack.pid)
    assert running_stack() is None and stop_stack() is False
