"""Deploy against moto's in-process AWS: idempotent re-deploy, tags, least privilege, clear errors."""
from __future__ import annotations

import base64
import io
import json
import os
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

import helpers.aws as aws
import helpers.deploy.function
from helpers import deploy
from helpers.deploy import calls
from helpers.core.changes import Changes
from helpers.core.config import get_config
from helpers.core.errors import KitError
from helpers.core.state import load_state, save_state

REPO = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ltk-translator"
IMAGES = {"slim": f"{REPO}:slim-v1", "torch": f"{REPO}:torch-v1"}


@pytest.fixture
def cfg(kit_home, monkeypatch):
    """The `aws` code path, pointed at moto's in-process mock instead of an account."""
    with _mocked_aws(monkeypatch):
        yield get_config(target="aws", region="us-east-1", runtime="slim", prefix="ltk")


@contextmanager
def _mocked_aws(mp: pytest.MonkeyPatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1", "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}.items():
        mp.setenv(key, value)
    mp.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        mp.setattr(aws, "client", lambda service, cfg=None: boto3.client(service, region_name="us-east-1"))
        mp.setattr(helpers.deploy.deployment, "wait_until_healthy", lambda url: None)  # no https API in moto
        push_to_ecr("slim-v1", "torch-v1", "slim-v2")
        save_state(image_uris=IMAGES)
        yield


def push_to_ecr(*tags: str) -> None:
    """Put manifests for `tags` into the mocked ECR, as 02_build_image does (deploy checks they are there)."""
    ecr = boto3.client("ecr", region_name="us-east-1")
    ecr.create_repository(repositoryName="ltk-translator")
    for tag in tags:
        manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                               "config": {"size": 1, "digest": f"sha256:{tag}"}, "layers": []})
        ecr.put_image(repositoryName="ltk-translator", imageManifest=manifest, imageTag=tag)


def inventory(cfg) -> dict[str, int]:
    """How many of each deployed resource exist now."""
    iam, lam = aws.client("iam", cfg), aws.client("lambda", cfg)
    gw = aws.client("apigatewayv2", cfg)
    apis = gw.get_apis()["Items"]
    counts = {
        "roles": len(iam.list_roles()["Roles"]),
        "policies": sum(len(iam.list_attached_role_policies(RoleName=r["RoleName"])["AttachedPolicies"])
                        + len(iam.list_role_policies(RoleName=r["RoleName"])["PolicyNames"])
                        for r in iam.list_roles()["Roles"]),
        "log_groups": len(aws.client("logs", cfg).describe_log_groups()["logGroups"]),
        "functions": len(lam.list_functions()["Functions"]),
        "apis": len(apis), "routes": 0, "integrations": 0, "stages": 0,
        "permissions": len(json.loads(lam.get_policy(FunctionName=deploy.function_name(cfg))["Policy"])["Statement"]),
    }
    for api in apis:
        counts["routes"] += len(gw.get_routes(ApiId=api["ApiId"])["Items"])
        counts["integrations"] += len(gw.get_integrations(ApiId=api["ApiId"])["Items"])
        counts["stages"] += len(gw.get_stages(ApiId=api["ApiId"])["Items"])
    return counts


def test_first_deploy_creates_everything(cfg):
    d = deploy.deploy(cfg)
    assert sorted(d.changes.created) == sorted([
        "role ltk-translator-role", "function ltk-translator-slim", "function ltk-translator-torch",
        "http-api ltk-translator-api", "integration lambda-proxy", "route POST /translate", "route GET /health",
        "route GET /", "route GET /vocabulary", "stage $default", "permission ltk-translator-api-invoke",
        "log group /aws/lambda/ltk-translator-slim", "log group /aws/lambda/ltk-translator-torch"])
    assert inventory(cfg) == {"roles": 1, "policies": 1, "functions": 2, "apis": 1, "routes": 4,
                              "integrations": 1, "stages": 1, "permissions": 1, "log_groups": 2}
    assert d.url == d.api.endpoint and d.url.startswith("https://")
    assert load_state()["deployment"]["api_id"] == d.api.api_id


def test_function_architecture_follows_what_02_pushed(cfg):
    save_state(image_architectures={IMAGES["slim"]: "arm64"})
    deploy.deploy(cfg)
    lam = aws.client("lambda", cfg)
    assert lam.get_function_configuration(FunctionName="ltk-translator-slim")["Architectures"] == ["arm64"]
    assert lam.get_function_configuration(FunctionName="ltk-translator-torch")["Architectures"] == ["x86_64"]


def test_redeploy_updates_and_creates_nothing(cfg):
    first = deploy.deploy(cfg)
    before = inventory(cfg)
    save_state(image_uris={**IMAGES, "slim": f"{REPO}:slim-v2"})
    second = deploy.deploy(cfg, memory_mb={"slim": 256})
    assert second.changes.created == []
    assert second.changes.updated == ["function ltk-translator-slim"]  # only what really changed
    assert inventory(cfg) == before
    assert second.api.api_id == first.api.api_id
    fn = aws.client("lambda", cfg).get_function(FunctionName="ltk-translator-slim")
    assert fn["Code"]["ImageUri"] == f"{REPO}:slim-v2"
    assert fn["Configuration"]["MemorySize"] == 256
    assert second.functions["torch"].memory_mb == deploy.FUNCTION_MEMORY_MB["torch"]


@pytest.fixture(scope="class")
def deployed(tmp_path_factory):
    """One deployment shared by a class of read-only checks (moto's start-up is the slow part)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KIT_HOME", str(tmp_path_factory.mktemp("kit-home")))
        mp.setenv("KIT_TARGET", "local")
        with _mocked_aws(mp):
            cfg = get_config(target="aws", region="us-east-1", runtime="slim", prefix="ltk")
            yield cfg, deploy.deploy(cfg)


class TestOneDeployment:
    """Read-only checks of one deployment."""

    def test_function_settings(self, deployed):
        cfg, d = deployed
        fns = d.functions
        lam = aws.client("lambda", cfg)
        conf = lam.get_function(FunctionName="ltk-translator-torch")["Configuration"]
        assert conf["PackageType"] == "Image" and conf["Architectures"] == ["x86_64"]
        assert conf["Environment"]["Variables"] == {"MODEL_RUNTIME": "torch"}
        assert (conf["MemorySize"], conf["Timeout"]) == (1024, 30)
        assert fns["slim"].memory_mb == 512 and fns["slim"].reserved_concurrency == deploy.RESERVED_CONCURRENCY
        assert lam.get_function_concurrency(FunctionName="ltk-translator-slim")["ReservedConcurrentExecutions"] == 5

    def test_every_resource_carries_the_kits_tags(self, deployed):
        cfg, d = deployed
        want = cfg.tags.items()
        iam, lam = aws.client("iam", cfg), aws.client("lambda", cfg)
        gw = aws.client("apigatewayv2", cfg)
        role_tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=deploy.role_name(cfg))["Tags"]}
        assert want <= role_tags.items()
        for fn in d.functions.values():
            assert want <= lam.list_tags(Resource=fn.arn)["Tags"].items()
        assert want <= gw.get_api(ApiId=d.api.api_id)["Tags"].items()
        assert want <= gw.get_stage(ApiId=d.api.api_id, StageName="$default")["Tags"].items()

    def test_role_may_write_only_its_own_log_groups(self, deployed):
        cfg, d = deployed
        iam = aws.client("iam", cfg)
        role = iam.get_role(RoleName=deploy.role_name(cfg))["Role"]
        assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
        assert iam.list_attached_role_policies(RoleName=deploy.role_name(cfg))["AttachedPolicies"] == []  # no `*`
        assert iam.list_role_policies(RoleName=deploy.role_name(cfg))["PolicyNames"] == [deploy.LOG_POLICY_NAME]
        doc = iam.get_role_policy(RoleName=deploy.role_name(cfg), PolicyName=deploy.LOG_POLICY_NAME)["PolicyDocument"]
        groups = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/ltk-translator-*"
        assert [(s["Action"], s["Resource"]) for s in doc["Statement"]] == [
            ("logs:CreateLogGroup", groups), (["logs:CreateLogStream", "logs:PutLogEvents"], groups + ":*")]

    def test_log_groups_are_tagged_and_kept_seven_days(self, deployed):
        cfg, d = deployed
        logs = aws.client("logs", cfg)
        found = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]
        groups = {g["logGroupName"]: g for g in found}
        assert sorted(groups) == ["/aws/lambda/ltk-translator-slim", "/aws/lambda/ltk-translator-torch"]
        assert all(g["retentionInDays"] == deploy.LOG_RETENTION_DAYS == 7 for g in groups.values())
        tags = logs.list_tags_for_resource(resourceArn=groups["/aws/lambda/ltk-translator-slim"]["logGroupArn"])
        assert cfg.tags.items() <= tags["tags"].items()

    def test_api_routes_stage_cors_and_permission(self, deployed):
        cfg, d = deployed
        gw, lam = aws.client("apigatewayv2", cfg), aws.client("lambda", cfg)
        api = gw.get_api(ApiId=d.api.api_id)
        assert api["ProtocolType"] == "HTTP" and api["CorsConfiguration"]["AllowOrigins"] == ["*"]
        integ = gw.get_integrations(ApiId=d.api.api_id)["Items"][0]
        assert (integ["IntegrationType"], integ["PayloadFormatVersion"]) == ("AWS_PROXY", "2.0")
        assert integ["IntegrationUri"] == d.functions["slim"].arn
        routes = {r["RouteKey"]: r["Target"] for r in gw.get_routes(ApiId=d.api.api_id)["Items"]}
        assert routes == {k: f"integrations/{integ['IntegrationId']}" for k in deploy.ROUTES}
        stage = gw.get_stage(ApiId=d.api.api_id, StageName="$default")
        assert stage["AutoDeploy"] is True and stage["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 10
        (statement,) = json.loads(lam.get_policy(FunctionName="ltk-translator-slim")["Policy"])["Statement"]
        assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
        assert f":{d.api.api_id}/*/*" in json.dumps(statement["Condition"])


def test_switching_runtime_repoints_the_api_without_new_resources(cfg):
    deploy.deploy(cfg)
    torch_cfg = get_config(target="aws", region="us-east-1", runtime="torch", prefix="ltk")
    d = deploy.deploy(torch_cfg)
    assert d.changes.created == ["permission ltk-translator-api-invoke"]  # the torch function's own permission
    integ = aws.client("apigatewayv2", cfg).get_integrations(ApiId=d.api.api_id)["Items"]
    assert [i["IntegrationUri"] for i in integ] == [d.functions["torch"].arn]


def test_low_concurrency_quota_falls_back_with_a_note(cfg, monkeypatch):
    monkeypatch.setenv("MOTO_LAMBDA_CONCURRENCY_QUOTA", "10")
    d = deploy.deploy(cfg)
    assert d.functions["slim"].reserved_concurrency is None
    assert any("concurrency quota is too low" in n for n in d.changes.notes)


def test_new_role_not_yet_assumable_is_retried(cfg, monkeypatch):
    real_client, calls = aws.client, {"n": 0}

    def flaky(service, c=None):
        cl = real_client(service, c)
        if service == "lambda":
            create = cl.create_function

            def create_function(**kw):
                calls["n"] += 1
                if calls["n"] <= 2:
                    raise ClientError({"Error": {"Code": "InvalidParameterValueException", "Message":
                                       "The role defined for the function cannot be assumed by Lambda."}},
                                      "CreateFunction")
                return create(**kw)
            cl.create_function = create_function
        return cl

    monkeypatch.setattr(aws, "client", flaky)
    monkeypatch.setattr(helpers.deploy.function.time, "sleep", lambda s: None)
    save_state(image_uris={"slim": IMAGES["slim"]})
    d = deploy.deploy(cfg)
    assert calls["n"] == 3 and "function ltk-translator-slim" in d.changes.created


def test_missing_images_and_zip_functions_give_kit_errors(cfg):
    save_state(image_uris={})
    with pytest.raises(KitError, match="run notebooks/02_build_image.ipynb first"):
        deploy.deploy(cfg)
    save_state(image_uris={"torch": IMAGES["torch"]})
    with pytest.raises(KitError, match="No slim image was pushed"):
        deploy.deploy(cfg)
    save_state(image_uris=IMAGES)
    aws.client("lambda", cfg).create_function(
        FunctionName="ltk-translator-slim", Runtime="python3.11", Handler="a.b", Code={"ZipFile": b"PK"},
        Role=deploy.ensure_role(cfg, Changes()))
    with pytest.raises(KitError, match="not an image function"):
        deploy.deploy(cfg)


def test_an_image_gone_from_ecr_says_to_rerun_02(cfg):
    save_state(image_uris={**IMAGES, "slim": f"{REPO}:slim-never-pushed"})
    with pytest.raises(KitError, match=r"slim-never-pushed saved by 02 is no longer in ECR: re-run"):
        deploy.deploy(cfg)


def test_a_failed_function_is_deleted_and_created_again(cfg):
    """Lambda's rule: a function in state Failed cannot be updated; re-deploying deletes and re-creates it."""
    from moto.awslambda.models import lambda_backends

    first = deploy.deploy(cfg)
    lambda_backends["123456789012"]["us-east-1"].get_function("ltk-translator-slim").state = "Failed"
    again = deploy.deploy(cfg)
    assert "function ltk-translator-slim" in again.changes.created
    assert any(n.startswith("ltk-translator-slim was in state Failed") for n in again.changes.notes)
    assert again.functions["slim"].name == first.functions["slim"].name
    assert aws.client("lambda", cfg).get_function_configuration(FunctionName="ltk-translator-slim")["State"] == "Active"


def test_an_earlier_deploys_managed_policy_is_detached(cfg):
    deploy.deploy(cfg)
    iam = aws.client("iam", cfg)
    iam.attach_role_policy(RoleName=deploy.role_name(cfg), PolicyArn=deploy.BASIC_EXECUTION_POLICY)
    deploy.deploy(cfg)
    assert iam.list_attached_role_policies(RoleName=deploy.role_name(cfg))["AttachedPolicies"] == []


def test_deploy_returns_only_once_the_api_answers_health(cfg, monkeypatch):
    asked = []
    monkeypatch.setattr(helpers.deploy.deployment, "wait_until_healthy", lambda url: asked.append(url) or "ok")
    d = deploy.deploy(cfg)
    assert asked == [d.url] and d.health == "ok"


class _Stuck:
    """A Lambda client whose waiter gives up: the function went Failed."""

    def get_waiter(self, name):
        from botocore.exceptions import WaiterError

        def wait(**kw):
            raise WaiterError(name, "Waiter encountered a terminal failure state", {})
        return type("W", (), {"wait": staticmethod(wait)})()

    def get_function_configuration(self, FunctionName):
        return {"State": "Failed", "LastUpdateStatus": "Failed", "StateReasonCode": "ImageAccessDenied",
                "StateReason": "Lambda does not have permission to access the ECR image."}


def test_a_waiter_failure_is_one_sentence_quoting_lambdas_reason(kit_home):
    from helpers.deploy.function import wait_until_ready

    with pytest.raises(KitError, match=r"^Function f did not become ready \(State Failed, .*ImageAccessDenied: "
                                       r"Lambda does not have permission to access the ECR image\.\)"):
        wait_until_ready(get_config(target="local"), _Stuck(), "f", "function_active_v2")


# ----------------------------------------------------------------------------- talking to the function


WARM_LINE = "REPORT RequestId: r\tDuration: 3.50 ms\tBilled Duration: 4 ms\tMemory Size: 512 MB\tMax Memory Used: 99 MB"


class FakeLambda:
    """Answers invoke like Lambda: the first call after a configuration change is cold."""

    def __init__(self, error: bool = False, tail: bool = True):
        self.error, self.tail, self.cold, self.env = error, tail, True, {}

    def invoke(self, FunctionName, Payload, LogType):
        assert LogType == "Tail"
        line = WARM_LINE + ("\tInit Duration: 250.00 ms" if self.cold else "")
        self.cold = False
        resp = {"Payload": io.BytesIO(json.dumps({"echo": json.loads(Payload)}).encode())}
        if self.tail:
            resp["LogResult"] = base64.b64encode(f"START RequestId: r\nEND RequestId: r\n{line}\n".encode()).decode()
        if self.error:
            resp["FunctionError"] = "Unhandled"
        return resp

    def get_function_configuration(self, FunctionName):
        return {"Environment": {"Variables": dict(self.env)}}

    def update_function_configuration(self, FunctionName, Environment):
        self.env, self.cold = Environment["Variables"], True

    def get_waiter(self, name):
        return type("W", (), {"wait": lambda self, **kw: None})()


@pytest.fixture
def fake_lambda(monkeypatch):
    fake = FakeLambda()
    monkeypatch.setattr(aws, "client", lambda service, cfg=None: fake)
    monkeypatch.setattr(aws, "invoke_client", lambda cfg=None: fake)
    return fake


def test_measure_gets_one_cold_start_then_warm_calls(fake_lambda):
    fake_lambda.cold = False  # a warm instance exists: measure must force a new one
    fake_lambda.env = {"MODEL_RUNTIME": "slim"}
    m = calls.measure(get_config(target="local"), "ltk-translator-slim", {"sentence": "x"}, warm_calls=5)
    assert m.cold.cold and m.cold.init_ms == 250.0
    assert len(m.warm) == 5 and not any(r.cold for r in m.warm)
    assert fake_lambda.env["MODEL_RUNTIME"] == "slim" and "KIT_COLD_START" in fake_lambda.env
    (row,) = calls.summary_rows({"slim": m})
    assert row["init ms"] == 250.0 and row["warm median ms"] == 3.5 and row["max memory used MB"] == 99


def test_invoke_returns_the_result_and_report(fake_lambda):
    inv = calls.invoke(get_config(target="local"), "f", {"sentence": "x"})
    assert inv.result == {"echo": {"sentence": "x"}} and inv.report.billed_ms == 4


@pytest.mark.parametrize("error, tail, message", [(True, True, "failed"), (False, False, "no REPORT record")])
def test_invoke_failures_are_kit_errors(monkeypatch, error, tail, message):
    fake = FakeLambda(error=error, tail=tail)
    monkeypatch.setattr(aws, "client", lambda service, cfg=None: fake)
    monkeypatch.setattr(aws, "invoke_client", lambda cfg=None: fake)
    with pytest.raises(KitError, match=message):
        calls.invoke(get_config(target="local"), "f", {})


class _Api(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            doc = json.loads(body)
            status, out = (200, {"fr": doc["sentence"], "en": "ok"}) if "sentence" in doc else \
                (200, {"translations": ["ok"] * len(doc["sentences"])})
            if not doc.get("sentence", doc.get("sentences")):
                raise ValueError("empty")
        except (ValueError, KeyError):
            status, out = 400, {"error": "bad"}
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(out).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def api_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_http_helpers(api_server):
    assert calls.translate(api_server, "Bonjour") == {"fr": "Bonjour", "en": "ok"}
    assert calls.translate(api_server, ["a", "b"]) == {"translations": ["ok", "ok"]}
    reply = calls.call_api(api_server, "POST", "/translate", raw="{not json")
    assert (reply.status, reply.body) == (400, {"error": "bad"})
    with pytest.raises(KitError, match="answered 400"):
        calls.translate(api_server, [])
    with pytest.raises(KitError, match="did not answer"):
        calls.call_api("http://127.0.0.1:9", "GET", "/health")


def test_curl_command_quotes_the_sentence():
    cmd = calls.curl_command("https://abc.execute-api.us-east-1.amazonaws.com", "L'eau est froide.")
    assert cmd.startswith('curl --header "Content-Type: application/json" --request POST --data ')
    assert cmd.endswith(" https://abc.execute-api.us-east-1.amazonaws.com/translate")
    assert "'\"'\"'" in cmd  # the apostrophe survives shell quoting


def test_plots_show_every_runtime():
    from helpers.deploy.deploy_plots import plot_cost, plot_latency

    def rep(ms, init=None):
        return calls.Report("r", ms, int(ms) + 1, 512, 70, init)

    m = {"slim": calls.Measurement("a", rep(20.0, 470.0), [rep(2.0 + i % 5) for i in range(50)]),
         "torch": calls.Measurement("b", rep(300.0, 4700.0), [rep(100.0 + i) for i in range(50)])}
    hist, bars = plot_latency(m).axes
    assert [t.get_text() for t in hist.get_legend().get_texts()] == ["slim (50 warm calls)", "torch (50 warm calls)"]
    assert [round(p.get_height()) for p in bars.patches] == [490, 5000, 4, 124]  # cold x2, then warm medians
    (ax,) = plot_cost({"a": (5.0, 512, "x86_64"), "b": (90.0, 1024, "arm64")}).axes
    assert len(ax.get_lines()) == 3  # two setups and the free-tier line


# ----------------------------------------------------------------------------- issue 12: ready, measured right


class _Health(BaseHTTPRequestHandler):
    """GET /health answers 503 `failures` times (a new API, a cold start), then 200."""

    failures, seen = 2, 0

    def do_GET(self):
        type(self).seen += 1
        ok = type(self).seen > type(self).failures
        self.send_response(200 if ok else 503)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"status": "ok"} if ok else {"message": "Service Unavailable"}).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def health_server():
    _Health.seen = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


class _Clock:
    def __init__(self):
        self.t, self.slept = 0.0, []

    def sleep(self, s):
        self.slept.append(s)
        self.t += s


def test_health_is_polled_with_back_off_until_it_answers(health_server):
    clock = _Clock()
    _Health.failures = 2
    reply = calls.wait_until_healthy(health_server, timeout_s=30, sleep=clock.sleep, now=lambda: clock.t)
    assert reply.status == 200 and _Health.seen == 3 and clock.slept == [0.5, 1.0]


def test_health_that_never_comes_is_one_sentence(health_server):
    clock = _Clock()
    _Health.failures = 10**6
    with pytest.raises(KitError, match=r"did not answer GET /health with 200 within 30 s \(last: HTTP 503"):
        calls.wait_until_healthy(health_server, timeout_s=30, sleep=clock.sleep, now=lambda: clock.t)
    assert sum(clock.slept) <= 30 and clock.slept[-1] == 8.0  # backed off, bounded


class PreInitLambda(FakeLambda):
    """Lambda initialised the environment before the call (no Init Duration), and scaled out once meanwhile."""

    def __init__(self):
        super().__init__()
        self.n = 0

    def invoke(self, FunctionName, Payload, LogType):
        self.n += 1
        self.cold = self.n == 7  # call 7 meets a new environment; no first call ever reports an INIT
        return super().invoke(FunctionName, Payload, LogType)


def test_measure_tolerates_pre_initialised_environments_and_a_cold_call_among_warm_ones(monkeypatch):
    fake = PreInitLambda()
    monkeypatch.setattr(aws, "client", lambda service, cfg=None: fake)
    monkeypatch.setattr(aws, "invoke_client", lambda cfg=None: fake)
    m = calls.measure(get_config(target="local"), "f", {"sentence": "x"}, warm_calls=10)
    assert m.pre_initialised and not m.cold.cold  # 3 tries for a cold start, then accepted as pre-initialised
    assert fake.n == calls.COLD_START_TRIES + 10
    assert len(m.warm) == 9 and len(m.cold_among_warm) == 1 and m.cold_among_warm[0].init_ms == 250.0
    assert m.log_bytes > 0
    (row,) = calls.summary_rows({"slim": m})
    assert row["init ms"] == "pre-initialised" and row["cold among warm"] == 1
