"""SageMaker Serverless on the local target: the image's serve mode behind InvokeEndpoint, the control plane as AWS
answers it (over moto), the kit's idempotent deploy through the sagemaker SDK, the measurement, and the cleanup."""
from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psutil
import pytest
from botocore.exceptions import ClientError

from helpers.aws import client
from helpers.core.config import get_config
from helpers.core.changes import Changes
from local_aws.sagemaker.control_plane import _strip_empty, allows

SEED = "Les deux chiens marchent dans le parc."
LAMBDA_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


# ---------------------------------------------------------------- pure functions


def test_allows_matches_actions_and_resources_with_wildcards() -> None:
    doc = {"Statement": [{"Effect": "Allow", "Action": ["ecr:BatchGet*"], "Resource": "arn:aws:ecr:*:1:repository/r"},
                         {"Effect": "Deny", "Action": "*", "Resource": "*"}]}
    assert allows([doc], "ecr:BatchGetImage", "arn:aws:ecr:us-east-1:1:repository/r")
    assert not allows([doc], "ecr:BatchGetImage", "arn:aws:ecr:us-east-1:1:repository/other")
    assert not allows([json.dumps(doc)], "ecr:GetDownloadUrlForLayer", "arn:aws:ecr:us-east-1:1:repository/r")
    assert allows([{"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole"}}], "sts:AssumeRole", "*")


def test_strip_empty_drops_what_aws_omits() -> None:
    assert _strip_empty({"VpcConfig": {}, "A": [{"B": {}, "C": 1}], "D": 0, "E": []}) == {"A": [{"C": 1}], "D": 0,
                                                                                        "E": []}


def test_sdk_config_opts_out_of_telemetry(kit_home: Path) -> None:
    from helpers.sagemaker.sdk import prepare_sdk, sdk_config_path

    prepare_sdk()
    assert os.environ["SAGEMAKER_USER_CONFIG_OVERRIDE"] == str(sdk_config_path())
    assert os.environ["SAGEMAKER_VALIDATE_ROLE"] == "false"
    from sagemaker.core.common_utils import resolve_value_from_config
    from sagemaker.core.config.config_manager import SageMakerConfig
    from sagemaker.core.config.config_schema import TELEMETRY_OPT_OUT_PATH

    session = SimpleNamespace(sagemaker_config=SageMakerConfig().load_sagemaker_config())  # what telemetry reads
    assert resolve_value_from_config(None, TELEMETRY_OPT_OUT_PATH, default_value=False, sagemaker_session=session)


def test_serverless_bill_arithmetic() -> None:
    from helpers.sagemaker.invocations import Timing
    from helpers.sagemaker.serverless_cost import monthly_usd, price_rows, serverless_monthly_usd

    # 1M calls x 10 ms x 1 GB = 10,000 GB-s = $0.20; 1M x 1 KiB in+out = 0.95 GB = $0.0153
    assert serverless_monthly_usd(1_000_000, 9.2, 1024, 1024) == pytest.approx(0.2 + 0.016 / 1024 ** 2 * 1e6)
    lam = Timing("Lambda", "f", 512, 100.0, [5.0], 200.0, 3.0, 3.0)
    assert monthly_usd(lam, 1_000_000, 200) == 0.0  # inside Lambda's free tier
    assert {r["service"] for r in price_rows()} == {"Lambda", "SageMaker Serverless"}
    assert all(r["source"].startswith("https://aws.amazon.com/") and r["checked"] for r in price_rows())


# ---------------------------------------------------------------- the emulated service, end to end


@pytest.fixture(scope="module")
def pushed(local_stack: Any, staged_slim: Any) -> str:
    """The staged slim image pushed to the emulated ECR (as 02 does without an engine) and saved in the state."""
    from helpers.build.ecr import ensure_repository, register_staged
    from helpers.core.state import save_state

    cfg = get_config()
    image = register_staged(cfg, staged_slim, ensure_repository(cfg))
    save_state(image_uris={"slim": image.uri})
    return image.uri


@pytest.fixture(scope="module")
def endpoint(pushed: str) -> Any:
    from helpers.sagemaker import deploy_serverless

    changes = Changes()
    ep = deploy_serverless(get_config(), changes)
    assert ep.status == "InService" and ep.image_uri == pushed
    assert {c.split()[0] for c in changes.created} == {"role", "model", "endpoint", "log"}
    return ep


def test_deploy_and_invoke_with_the_sdk(endpoint: Any, trained_model_dir: Path) -> None:
    from helpers.sagemaker import invoke
    from lambda_app.translator import load_translator

    expected = load_translator(trained_model_dir, "slim").translate_batch([SEED, "Le chat dort."])
    reply = invoke(get_config(), endpoint.name, {"sentence": SEED})
    assert reply.status == 200 and reply.body["en"] == expected[0]
    reply = invoke(get_config(), endpoint.name, {"sentences": [SEED, "Le chat dort."]})
    assert [t["en"] for t in reply.body["translations"]] == expected
    reply = invoke(get_config(), endpoint.name, raw="{oops")
    assert reply.status == 400 and "not valid JSON" in reply.body["error"]


def test_redeploy_changes_nothing(endpoint: Any) -> None:
    from helpers.sagemaker import deploy_serverless

    changes = Changes()
    again = deploy_serverless(get_config(), changes)
    assert (changes.created, changes.updated) == ([], []) and again == endpoint


def test_a_model_error_is_a_424_model_error_with_the_containers_answer(endpoint: Any) -> None:
    from lambda_app import app

    with pytest.raises(ClientError) as caught:
        client("sagemaker-runtime").invoke_endpoint(EndpointName=endpoint.name, Body=b"{oops",
                                                    ContentType="application/json")
    err = caught.value.response
    expected = app.handle_request("POST", "/translate", b"{oops").body
    assert err["Error"]["Code"] == "ModelError" and err["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert err["OriginalStatusCode"] == 400 and err["OriginalMessage"] == expected
    assert err["Error"]["Message"].startswith('Received client error (400) from primary with message "{')
    group = f"arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/{endpoint.name}"
    assert err["LogStreamArn"].startswith(f"{group}:log-stream:AllTraffic/")


def test_runtime_refuses_unknown_endpoints_and_oversize_bodies(endpoint: Any) -> None:
    runtime = client("sagemaker-runtime")
    with pytest.raises(ClientError, match="Endpoint nope of account 123456789012 not found"):
        runtime.invoke_endpoint(EndpointName="nope", Body=b"{}", ContentType="application/json")
    with pytest.raises(ClientError, match="has oversize body") as caught:
        runtime.invoke_endpoint(EndpointName=endpoint.name, Body=b"x" * (4 * 1024 * 1024 + 1))
    assert caught.value.response["Error"]["Code"] == "ValidationError"


def test_control_plane_answers_as_aws(endpoint: Any) -> None:
    sm, iam = client("sagemaker"), client("iam")
    described = sm.describe_model(ModelName=endpoint.model)
    assert "VpcConfig" not in described  # moto says {}; AWS omits it (and the SDK's validation rejects {})
    container = described["PrimaryContainer"]
    with pytest.raises(ClientError, match="Cannot create already existing model"):
        sm.create_model(ModelName=endpoint.model, PrimaryContainer=container, ExecutionRoleArn=endpoint.role_arn)
    with pytest.raises(ClientError, match="Cannot create already existing endpoint configuration"):
        sm.create_endpoint_config(EndpointConfigName=endpoint.config, ProductionVariants=[{
            "VariantName": "AllTraffic", "ModelName": endpoint.model,
            "ServerlessConfig": {"MemorySizeInMB": 1024, "MaxConcurrency": 1}}])
    with pytest.raises(ClientError, match="Cannot create already existing endpoint"):
        sm.create_endpoint(EndpointName=endpoint.name, EndpointConfigName=endpoint.config)
    with pytest.raises(ClientError, match="MemorySizeInMB 1500 is not valid"):
        sm.create_endpoint_config(EndpointConfigName="ltk-x", ProductionVariants=[{
            "VariantName": "AllTraffic", "ModelName": endpoint.model,
            "ServerlessConfig": {"MemorySizeInMB": 1500, "MaxConcurrency": 1}}])
    with pytest.raises(ClientError, match="Could not find endpoint configuration"):
        sm.update_endpoint(EndpointName=endpoint.name, EndpointConfigName="ltk-missing")
    lambda_role = iam.create_role(RoleName="ltk-not-for-sagemaker",
                                  AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    with pytest.raises(ClientError, match="Could not assume role"):
        sm.create_model(ModelName="ltk-other", PrimaryContainer=container, ExecutionRoleArn=lambda_role)


def test_a_role_that_cannot_pull_the_image_fails_the_endpoint(endpoint: Any) -> None:
    from sagemaker.core.resources import Endpoint

    from helpers.sagemaker.endpoint import wait_for_endpoint
    from helpers.sagemaker.sdk import sdk_args

    sm, iam = client("sagemaker"), client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "sagemaker.amazonaws.com"}}]}
    role = iam.create_role(RoleName="ltk-no-pull", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    image = sm.describe_model(ModelName=endpoint.model)["PrimaryContainer"]
    sm.create_model(ModelName="ltk-no-pull", PrimaryContainer=image, ExecutionRoleArn=role)
    sm.create_endpoint_config(EndpointConfigName="ltk-no-pull", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "ltk-no-pull",
        "ServerlessConfig": {"MemorySizeInMB": 1024, "MaxConcurrency": 1}}])
    sm.create_endpoint(EndpointName="ltk-no-pull", EndpointConfigName="ltk-no-pull")
    assert sm.describe_endpoint(EndpointName="ltk-no-pull")["EndpointStatus"] == "Creating"
    failed = wait_for_endpoint(get_config(), Endpoint.get(endpoint_name="ltk-no-pull", **sdk_args(get_config())))
    assert failed.endpoint_status == "Failed" and "ecr:BatchGetImage" in failed.failure_reason
    for delete in (lambda: sm.delete_endpoint(EndpointName="ltk-no-pull"),
                   lambda: sm.delete_endpoint_config(EndpointConfigName="ltk-no-pull"),
                   lambda: sm.delete_model(ModelName="ltk-no-pull")):
        delete()


def test_update_starts_cold_and_metrics_and_logs_follow(endpoint: Any) -> None:
    from helpers.sagemaker import force_endpoint_cold_start, measure_endpoint

    cfg = get_config()
    updated = force_endpoint_cold_start(cfg)
    assert updated.name == endpoint.name and updated.config != endpoint.config and updated.status == "InService"
    sm = client("sagemaker")
    assert [c["EndpointConfigName"] for c in sm.list_endpoint_configs()["EndpointConfigs"]
            if c["EndpointConfigName"].startswith(endpoint.name)] == [updated.config]  # the replaced one is gone
    timing = measure_endpoint(cfg, updated.name, updated.memory_mb, {"sentence": SEED}, warm_calls=5)
    assert timing.setup_ms is not None and timing.setup_ms > 0 and len(timing.warm_client_ms) == 5
    assert 0 < timing.warm_server_ms < timing.cold_client_ms
    events = client("logs").filter_log_events(logGroupName=f"/aws/sagemaker/Endpoints/{endpoint.name}")["events"]
    assert any("listening on http://127.0.0.1:" in e["message"] for e in events)


@pytest.mark.container
def test_with_an_engine_the_endpoint_runs_the_built_image(endpoint: Any, slim_image: str) -> None:
    """The same endpoint, once the local image store knows the built image: `IMAGE serve` in a container."""
    from helpers.core.engine import require_engine
    from local_aws.awslambda.container import LABEL
    from local_aws.ecr.images import find_image, register_image
    from helpers.sagemaker import force_endpoint_cold_start, invoke, where_it_serves

    cfg = get_config()
    rec = find_image(endpoint.image_uri)
    register_image(replace(rec, container_image=slim_image))  # as a push through an engine records it
    assert where_it_serves(cfg, endpoint.image_uri).startswith("the built image in a container")
    updated = force_endpoint_cold_start(cfg)  # the health check ran the container; the next call starts it again
    reply = invoke(cfg, updated.name, {"sentence": SEED})
    assert reply.status == 200 and reply.body["en"] == "The two dogs walk in the park."
    running = require_engine().containers.list(filters={"label": f"{LABEL}=sagemaker"})
    assert len(running) == 1 and running[0].attrs["Config"]["Cmd"] == ["serve"]
    assert invoke(cfg, updated.name, raw="{oops").status == 400
    register_image(rec)  # back to the staged task root for the tests that follow


def _serving(pid: int) -> list[str]:
    """The endpoint instances running now: the stack's `lambda_app.serve` processes, and serve containers."""
    from helpers.core.engine import docker_client
    from local_aws.awslambda.container import LABEL

    found = [str(p.pid) for p in psutil.Process(pid).children(recursive=True)
             if "lambda_app.serve" in " ".join(p.cmdline())]
    engine = docker_client()
    return found + ([c.name for c in engine.containers.list(filters={"label": f"{LABEL}=sagemaker"})] if engine else [])


def test_cleanup_deletes_the_endpoint_configs_and_models_and_proves_it(endpoint: Any, local_stack: Any) -> None:
    from helpers.cleanup import delete_kit_resources, find_kit_resources, prove_nothing_left
    from helpers.sagemaker import invoke

    cfg = get_config()
    invoke(cfg, endpoint.name, {"sentence": SEED})  # a warm instance runs now
    assert _serving(local_stack.pid)
    found = find_kit_resources(cfg)
    assert found["sagemaker_endpoints"] == [endpoint.name] and len(found["sagemaker_endpoint_configs"]) == 1
    assert len(found["sagemaker_models"]) == 1 and "ltk-sagemaker-role" in found["iam_roles"]
    assert f"/aws/sagemaker/Endpoints/{endpoint.name}" in found["log_groups"]
    sm = client("sagemaker")  # as on AWS, an endpoint keeps serving what it was provisioned with
    sm.delete_endpoint_config(EndpointConfigName=found["sagemaker_endpoint_configs"][0])
    sm.delete_model(ModelName=found["sagemaker_models"][0])
    assert invoke(cfg, endpoint.name, {"sentence": SEED}).status == 200
    delete_kit_resources(cfg)
    assert not any(prove_nothing_left(cfg, timeout_s=5).values())
    assert _serving(local_stack.pid) == []  # DeleteEndpoint stopped the endpoint's instance
