"""The plain commands the notebooks show (helpers/*/…_commands.py) send what the helpers send: a local run records
every boto3 call's API parameters (botocore `before-parameter-build`) and each generated `aws` command must match
one of them (same names, image URI, role, routes, memory, timeout, architecture, tags, policies); `docker build` is
compared with what builder.py asks the engine; docs/deploy-by-hand.sh is what the generator writes."""
from __future__ import annotations

import copy
import json
import shlex
from pathlib import Path
from typing import Any

import pytest

import helpers.aws
from helpers.build import build_commands, builder, ecr
from helpers.build.image_spec import StagedImage
from helpers.cleanup import cleanup_commands, delete_kit_resources, find_kit_resources
from helpers.core.config import get_config
from helpers.core.shell_commands import Command, quote
from helpers.core.state import save_state
from helpers.core.changes import Changes
from helpers.deploy import ROUTES, calls, deploy, deploy_commands
from helpers.sagemaker import serverless_commands
from helpers.sagemaker.endpoint import ensure_endpoint_config, ensure_model
from helpers.sagemaker.execution_role import ensure_execution_role
from helpers.sagemaker.serverless_settings import MAX_CONCURRENCY, ENDPOINT_MEMORY_MB, endpoint_name

from boto_recording import hook_new_clients, stand_in_image

IGNORED = {"Description"}  # prose the helpers add; a command without it creates the same resource


class Sent:
    """(service, operation, API parameters) of every boto3 call made while recording."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def hook(self, params, model, **_) -> None:
        self.calls.append((model.service_model.service_name, model.name, copy.deepcopy(params)))

    def of(self, command: Command) -> list[dict[str, Any]]:
        return [p for s, o, p in self.calls if (s, o) == (command.service, command.operation)]


@pytest.fixture
def sent(local_stack, monkeypatch: pytest.MonkeyPatch) -> Sent:
    rec = Sent()
    with hook_new_clients(monkeypatch, "before-parameter-build", rec.hook):
        yield rec


def _norm(value: Any) -> Any:
    """JSON documents compared as data, lists of tags as sets of pairs."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return _norm(json.loads(value))
        except ValueError:
            return value
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_norm(v) for v in value]
        if all(isinstance(v, dict) and set(v) == {"Key", "Value"} for v in items) and items:
            return sorted((v["Key"], v["Value"]) for v in items)
        return items
    return value


def _contains(whole: Any, part: Any) -> bool:
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(k in whole and _contains(whole[k], v) for k, v in part.items())
    return whole == part


def assert_sent(rec: Sent, command: Command, exact: bool = True) -> None:
    """Some recorded call of the command's operation had exactly its parameters (or, exact=False, at least them:
    the sagemaker SDK adds defaults of its own)."""
    assert command.service, f"not an aws command: {command.shell()}"
    candidates = [{k: v for k, v in p.items() if k not in IGNORED} for p in rec.of(command)]
    want = _norm(command.params)
    ok = [p for p in candidates if (_norm(p) == want if exact else _contains(_norm(p), want))]
    assert ok, f"{command.shell()}\n  sends {want}\n  the helpers sent {[_norm(p) for p in candidates]}"


def test_the_commands_shown_send_what_the_helpers_send(sent: Sent, tmp_path: Path) -> None:
    cfg = get_config()
    pushed = ecr.push_image(cfg, stand_in_image(tmp_path))
    save_state(image_uris={"slim": pushed.uri}, image_architectures={pushed.uri: pushed.architecture})
    d = deploy(cfg)
    account, fn = d.role_arn.split(":")[4], d.functions["slim"]
    gw = helpers.aws.client("apigatewayv2", cfg)
    integration = gw.get_integrations(ApiId=d.api.api_id)["Items"][0]["IntegrationId"]

    for command in (c for c in build_commands.for_push(cfg, {"slim": pushed}) if c.service):  # 02
        assert_sent(sent, command)
    login, tag, push = build_commands.for_push(cfg, {"slim": pushed})[2:]
    assert login.pipe[-1] == pushed.uri.split("/")[0] and tag.argv[-1] == push.argv[-1] == pushed.uri
    assert pushed.uri == build_commands.image_uri(cfg, account, "slim", "v1")
    shown = (deploy_commands.role_commands(cfg, account)  # 03
             + deploy_commands.for_functions(cfg, d.functions, d.role_arn)
             + deploy_commands.api_commands(cfg, fn.arn, d.api.api_id, integration))
    for command in (c for c in shown if c.service):
        assert_sent(sent, command)
    assert {c.params["RouteKey"] for c in shown if c.operation == "CreateRoute"} == set(ROUTES)
    assert d.url.endswith(d.api.api_id) and deploy_commands.api_url(cfg.region, d.api.api_id) == d.api.endpoint
    assert shlex.split(deploy_commands.curl(d.url, "Bonjour.").shell().split("\n", 1)[1]) == \
        shlex.split(calls.curl_command(d.url, "Bonjour."))

    repo = cfg.name(ecr.REPOSITORY)  # 03b, up to the endpoint config (the endpoint needs a real serve image)
    changes = Changes()
    sm_role = ensure_execution_role(cfg, repo, changes)
    model = ensure_model(cfg, "slim", pushed.uri, sm_role, {"MODEL_RUNTIME": "slim"}, changes)
    config = ensure_endpoint_config(cfg, model, ENDPOINT_MEMORY_MB["slim"], MAX_CONCURRENCY, changes)
    sm_shown = (serverless_commands.role_commands(cfg, account, repo)
                + serverless_commands.endpoint_commands(cfg, "slim", pushed.uri, sm_role, model, config))
    # the endpoint's log group comes with the endpoint: its commands are log_group_commands, checked above
    for command in (c for c in sm_shown if c.service not in ("", "logs") and c.operation != "CreateEndpoint"):
        assert_sent(sent, command, exact=c_exact(command))
    assert next(c for c in sm_shown if c.operation == "CreateEndpoint").params["EndpointName"] == endpoint_name(cfg)

    found = find_kit_resources(cfg)  # 04
    delete_kit_resources(cfg)
    for command in (c for c in cleanup_commands.delete_commands(cfg, found) if c.service):
        assert_sent(sent, command)


def c_exact(command: Command) -> bool:
    """SageMaker's create calls go through the SDK, which adds its own defaults: compare what the command sends."""
    return command.service != "sagemaker"


def test_docker_build_is_what_the_builder_asks_the_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: dict[str, Any] = {}

    class Api:
        def build(self, **kwargs: Any) -> list[dict[str, str]]:
            asked.update(kwargs)
            return []

    class Engine:
        api = Api()

        def version(self) -> dict[str, Any]:
            return {"Components": [{"Name": "Podman Engine"}]}

    staged = StagedImage(runtime="slim", arch="arm64", version="v7", context=str(tmp_path), key="k")
    monkeypatch.setattr(builder, "resolve_base_image", lambda client, arch: "public.ecr.aws/lambda/python:3.12")
    monkeypatch.setattr(builder, "stage_context", lambda runtime, arch, model, base: staged)
    built = builder.build_with_engine(Engine(), "slim", "arm64", say=False)
    argv = build_commands.build_command("slim", "arm64", "v7", "public.ecr.aws/lambda/python:3.12", str(tmp_path)).argv
    options: dict[str, list[str]] = {}
    for flag, value in zip(argv[2:-1:2], argv[3:-1:2]):
        options.setdefault(flag, []).append(value)
    assert argv[:2] == ("docker", "build") and argv[-1] == asked["path"]
    assert options == {"--platform": [asked["platform"]], "--tag": [asked["tag"]],
                       "--build-arg": [f"{k}={v}" for k, v in asked["buildargs"].items()],
                       "--label": [f"{k}={v}" for k, v in asked["labels"].items()],
                       "--file": [f"{asked['path']}/{asked['dockerfile']}"]}
    assert asked["tag"] == built.image_ref


def test_the_committed_script_is_what_the_generator_writes() -> None:
    assert cleanup_commands.SCRIPT.read_text() == cleanup_commands.deployment_script(), \
        "regenerate it: python -m helpers.cleanup.cleanup_commands"


@pytest.mark.parametrize("word, shell", [("$default", "'$default'"), ("${API_ID}", '"${API_ID}"'),
                                         ('{"a": "${X}"}', '"{\\"a\\": \\"${X}\\"}"'), ("a b", "'a b'")])
def test_words_are_quoted_for_the_shell(word: str, shell: str) -> None:
    assert quote(word) == shell
