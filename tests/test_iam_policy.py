"""docs/iam-policy.json is the policy a learner needs on `aws`: a full local run (push, deploy, redeploy, calls,
measurements, lifecycle, cleanup) records every AWS operation the helpers call, through botocore's `before-call`
event, and each one's IAM actions must be in the policy; the policy holds nothing else (no drift either way)."""
from __future__ import annotations

import json
import re
from contextlib import contextmanager
from pathlib import Path

import pytest

import helpers.aws
from helpers.build import ecr
from helpers.build.image_spec import BuiltImage, StagedImage
from helpers.build.registry import stored_sizes
from helpers.build.scanning import scan_summary
from helpers.cleanup import (apply_lifecycle_policy, delete_kit_resources, lifecycle_policy, preview_lifecycle,
                             prove_nothing_left)
from helpers.core.config import get_config
from helpers.core.paths import REPO_ROOT
from helpers.core.state import save_state
from helpers import sagemaker
from helpers.deploy import calls, deploy
from helpers.deploy.reports import report_lines
from helpers.deploy import role as deploy_role
from helpers.deploy import settings as deploy_settings

from boto_recording import hook_new_clients, stand_in_image

POLICY = REPO_ROOT / "docs" / "iam-policy.json"
SERVICE_PREFIX = {"ecr": "ecr", "lambda": "lambda", "iam": "iam", "logs": "logs", "sts": "sts",
                  "sagemaker": "sagemaker", "sagemaker-runtime": "sagemaker", "cloudwatch": "cloudwatch",
                  "apigatewayv2": "apigateway"}
RENAMED = {("lambda", "Invoke"): "lambda:InvokeFunction"}
# Actions an operation needs besides its own (AWS Service Authorization Reference, Lambda and ECR guides).
ALSO = {
    ("lambda", "CreateFunction"): {"lambda:TagResource", "iam:PassRole", "ecr:BatchGetImage",
                                   "ecr:GetDownloadUrlForLayer"},  # tags on create; the role; the image
    ("lambda", "UpdateFunctionCode"): {"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"},
    ("lambda", "UpdateFunctionConfiguration"): {"iam:PassRole"},
    ("lambda", "GetFunction"): {"lambda:ListTags"},  # GetFunction of a tagged function needs ListTags
    ("ecr", "CreateRepository"): {"ecr:TagResource"},
    ("iam", "CreateRole"): {"iam:TagRole"},
    ("logs", "CreateLogGroup"): {"logs:TagResource"},
    ("sagemaker", "CreateModel"): {"sagemaker:AddTags", "iam:PassRole"},  # tags on create; the execution role
    ("sagemaker", "CreateEndpointConfig"): {"sagemaker:AddTags"},
    ("sagemaker", "CreateEndpoint"): {"sagemaker:AddTags"},
}
NO_PERMISSION = {"sts:GetCallerIdentity"}  # allowed to every identity
# Only on `aws`: the registry protocol of an engine push (`docker push` after get_authorization_token), and the
# image config read back through its download URL after the push (moto has neither).
AWS_ONLY = {"ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload",
            "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:GetDownloadUrlForLayer"}
_VERB = {"Get": "GET", "Create": "POST", "Update": "PATCH", "Delete": "DELETE", "Import": "PUT", "Reimport": "PUT"}


def iam_actions(service: str, operation: str) -> set[str]:
    """The IAM actions one API operation needs."""
    if service == "apigatewayv2":  # API Gateway authorizes by HTTP method on the resource path
        if operation == "TagResource":
            return {"apigateway:POST"}
        if operation == "UntagResource":
            return {"apigateway:DELETE"}
        verb = next(v for k, v in _VERB.items() if operation.startswith(k))
        return {f"apigateway:{verb}"}
    action = RENAMED.get((service, operation), f"{SERVICE_PREFIX[service]}:{operation}")
    return ({action} | ALSO.get((service, operation), set())) - NO_PERMISSION


def policy_actions() -> set[str]:
    doc = json.loads(POLICY.read_text())
    assert doc["Version"] == "2012-10-17"
    actions: set[str] = set()
    for statement in doc["Statement"]:
        assert statement["Effect"] == "Allow" and statement["Resource"]
        listed = statement["Action"]
        actions |= {listed} if isinstance(listed, str) else set(listed)
    assert not any("*" in a for a in actions), "name every action: a wildcard hides what the kit needs"
    return actions


class Recorder:
    """The (service, operation) pairs boto3 clients call while recording is on."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()
        self.on = True

    def hook(self, model, **_) -> None:
        if self.on:
            self.seen.add((model.service_model.service_name, model.name))

    @contextmanager
    def paused(self):
        self.on = False
        try:
            yield
        finally:
            self.on = True


@pytest.fixture
def recorded(local_stack, monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """Every (service, operation) the helpers' boto3 clients call from now on (botocore `before-call`)."""
    rec = Recorder()
    with hook_new_clients(monkeypatch, "before-call", rec.hook):
        yield rec


def drift(cfg, d) -> None:
    """What a later re-run finds changed by hand or by an older kit: every update path of 03 runs then."""
    from helpers.aws import client

    iam, gw, lam = client("iam", cfg), client("apigatewayv2", cfg), client("lambda", cfg)
    role = d.role_arn.rsplit("/", 1)[1]
    trust = deploy_role.LAMBDA_TRUST_POLICY | {"Statement": deploy_role.LAMBDA_TRUST_POLICY["Statement"] * 2}
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(trust))
    iam.attach_role_policy(RoleName=role, PolicyArn=deploy_role.BASIC_EXECUTION_POLICY)
    gw.update_api(ApiId=d.api.api_id, CorsConfiguration={"AllowOrigins": ["https://elsewhere.example"]})
    gw.update_stage(ApiId=d.api.api_id, StageName="$default",
                    DefaultRouteSettings={"ThrottlingBurstLimit": 1000, "ThrottlingRateLimit": 1000.0})
    other = gw.create_integration(ApiId=d.api.api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="GET",
                                  IntegrationUri="https://example.com", PayloadFormatVersion="1.0")
    for route in gw.get_routes(ApiId=d.api.api_id)["Items"]:
        gw.update_route(ApiId=d.api.api_id, RouteId=route["RouteId"], Target=f"integrations/{other['IntegrationId']}")
    integ = next(i for i in gw.get_integrations(ApiId=d.api.api_id)["Items"] if i["IntegrationType"] == "AWS_PROXY")
    gw.update_integration(ApiId=d.api.api_id, IntegrationId=integ["IntegrationId"], TimeoutInMillis=5000)
    fn, sid = d.functions["slim"].name, f"{deploy_settings.api_name(cfg)}-invoke"
    lam.remove_permission(FunctionName=fn, StatementId=sid)
    lam.add_permission(FunctionName=fn, StatementId=sid, Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com", SourceArn="arn:aws:execute-api:us-east-1:1:old/*/*")


def test_a_full_run_needs_exactly_the_actions_of_the_policy(recorded: Recorder, tmp_path: Path,
                                                            staged_slim: StagedImage) -> None:
    cfg = get_config()
    image = stand_in_image(tmp_path)
    pushed = ecr.push_image(cfg, image)  # 02, and 02 again (the repository exists: brought up to date)
    ecr.push_image(cfg, image)
    ecr.list_images(cfg)
    with recorded.paused():  # an account whose registry scans the kit's repository on push
        helpers.aws.client("ecr", cfg).put_registry_scanning_configuration(scanType="BASIC", rules=[
            {"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "ltk-*", "filterType": "WILDCARD"}]}])
    scan_summary(cfg, cfg.name(ecr.REPOSITORY), pushed.uri.rsplit(":", 1)[1])
    stored_sizes(cfg, cfg.name(ecr.REPOSITORY))
    save_state(image_uris={"slim": pushed.uri}, image_architectures={pushed.uri: pushed.architecture})
    d = deploy(cfg)  # 03, then 03 again over resources changed meanwhile
    with recorded.paused():
        drift(cfg, d)
    d = deploy(cfg)
    assert calls.call_api(d.url, "POST", "/translate", {"sentence": "Bonjour."}).body["path"] == "/translate"
    m = calls.measure(cfg, d.functions["slim"].name, {"sentence": "Bonjour."}, warm_calls=2)
    report_lines(cfg, m.function, [m.cold.request_id])  # 03 reads the REPORT lines back from CloudWatch Logs
    calls.invoke_permissions(cfg, m.function)
    served = ecr.push_image(cfg, BuiltImage(staged=staged_slim))  # 03b: a real image (its serve mode answers /ping)
    save_state(image_uris={"slim": served.uri})
    endpoint = sagemaker.deploy_serverless(cfg)  # 03b, and 03b again (everything exists)
    sagemaker.deploy_serverless(cfg)
    sagemaker.invoke(cfg, endpoint.name, {"sentence": "Bonjour."})
    sagemaker.measure_function(cfg, m.function, {"sentence": "Bonjour."}, warm_calls=1)
    endpoint = sagemaker.force_endpoint_cold_start(cfg)  # an update, and the replaced model and config deleted
    sagemaker.measure_endpoint(cfg, endpoint.name, endpoint.memory_mb, {"sentence": "Bonjour."}, warm_calls=1)
    repo = cfg.name(ecr.REPOSITORY)  # 04
    apply_lifecycle_policy(cfg, repo, lifecycle_policy())
    preview_lifecycle(cfg, repo, lifecycle_policy(), days_from_now=30)
    with recorded.paused():  # a managed policy attached by an older kit: the sweep detaches it
        helpers.aws.client("iam", cfg).attach_role_policy(RoleName=d.role_arn.rsplit("/", 1)[1],
                                                         PolicyArn=deploy_role.BASIC_EXECUTION_POLICY)
    delete_kit_resources(cfg)
    prove_nothing_left(cfg)

    needed = set().union(*(iam_actions(s, o) for s, o in recorded.seen))
    allowed = policy_actions()
    assert needed - allowed == set(), f"add these to {POLICY.name} (and the README): {sorted(needed - allowed)}"
    unused = allowed - needed - AWS_ONLY
    assert unused == set(), f"no run of the kit calls these; remove them from {POLICY.name}: {sorted(unused)}"
    assert AWS_ONLY <= allowed


def test_the_readme_points_at_the_policy_and_names_no_other_permission_list() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    assert "docs/iam-policy.json" in readme
    assert not re.search(r"attach/detach `AWSLambdaBasicExecutionRole`", readme)  # the old hand-written list
