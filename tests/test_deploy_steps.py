"""03's step-by-step cells: each deploy step says what it created or reused; the invoke permission is readable;
the printed curl command runs."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import boto3
import pytest
from moto import mock_aws

import helpers.aws as aws
import helpers.deploy.calls as calls
from helpers import deploy
from helpers.core.changes import Changes
from helpers.core.config import get_config
from helpers.core.errors import KitError

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ltk-translator:slim-v1"


@pytest.fixture
def cfg(kit_home, monkeypatch):
    """The `aws` code path against moto's in-process mock."""
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1", "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        monkeypatch.setattr(aws, "client", lambda service, cfg=None: boto3.client(service, region_name="us-east-1"))
        yield get_config(target="aws", region="us-east-1", runtime="slim", prefix="ltk")


def test_each_step_says_created_then_reused(cfg, capsys):
    with aws.deploy_step() as changes:
        arn = deploy.ensure_role(cfg, changes)
    assert capsys.readouterr().out == "created role ltk-translator-role\n"
    assert arn.endswith(":role/ltk-translator-role")
    with aws.deploy_step() as changes:
        assert deploy.ensure_role(cfg, changes) == arn
    assert capsys.readouterr().out == "already there, nothing to change\n"  # found as wanted: not "updated"


def test_updated_means_really_changed(cfg, capsys):
    """`Changes.updated` lists a resource only when the step changed it: a role whose tag or trust policy drifted,
    an API whose CORS drifted; re-running right after lists nothing."""
    with aws.deploy_step() as changes:
        deploy.ensure_api(cfg, deploy.ensure_role(cfg, changes) and changes)
        deploy.ensure_log_group(cfg, "ltk-translator-slim", changes)
    iam, gw = boto3.client("iam"), boto3.client("apigatewayv2")
    iam.tag_role(RoleName="ltk-translator-role", Tags=[{"Key": "project", "Value": "someone-else"}])
    api_id = gw.get_apis()["Items"][0]["ApiId"]
    gw.update_api(ApiId=api_id, CorsConfiguration={"AllowOrigins": ["https://example.com"]})
    boto3.client("logs").put_retention_policy(logGroupName="/aws/lambda/ltk-translator-slim", retentionInDays=30)
    capsys.readouterr()
    drifted = ["http-api ltk-translator-api", "log group /aws/lambda/ltk-translator-slim", "role ltk-translator-role"]
    for expected in (drifted, []):
        with aws.deploy_step() as changes:
            deploy.ensure_api(cfg, changes)
            deploy.ensure_role(cfg, changes)
            deploy.ensure_log_group(cfg, "ltk-translator-slim", changes)
        assert sorted(changes.updated) == expected and changes.created == []
    assert capsys.readouterr().out.splitlines() == [
        "already there, brought up to date: http-api ltk-translator-api, role ltk-translator-role, "
        "log group /aws/lambda/ltk-translator-slim", "already there, nothing to change"]


def test_a_denied_step_is_one_sentence(cfg, monkeypatch):
    from botocore.exceptions import ClientError

    def denied(*args: Any, **kwargs: Any) -> str:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, "CreateRole")

    monkeypatch.setattr(deploy, "ensure_role", denied)
    with pytest.raises(KitError, match="AWS refused CreateRole"):
        with aws.deploy_step() as changes:
            deploy.ensure_role(cfg, changes)


def test_invoke_permission_names_the_api_it_allows(cfg):
    changes = Changes()
    role = deploy.ensure_role(cfg, changes)
    lam = boto3.client("lambda", region_name="us-east-1")
    lam.create_function(FunctionName="ltk-translator-slim", Role=role, PackageType="Image", Code={"ImageUri": IMAGE})
    assert calls.invoke_permissions(cfg, "ltk-translator-slim") == []
    fn = deploy.Function("ltk-translator-slim", lam.get_function(FunctionName="ltk-translator-slim")
                         ["Configuration"]["FunctionArn"], "slim", IMAGE, "x86_64", 512, 30, None)
    api = deploy.ensure_api(cfg, changes)
    deploy.ensure_invoke_permission(cfg, fn, api, changes)
    assert calls.invoke_permissions(cfg, fn.name) == [
        f"ltk-translator-api-invoke: apigateway.amazonaws.com may call lambda:InvokeFunction from "
        f"arn:aws:execute-api:us-east-1:123456789012:{api.api_id}/*/*"]


class _Api(BaseHTTPRequestHandler):
    """Answers POST /translate like the deployed API, echoing the sentence."""

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        out = json.dumps({"fr": body["sentence"], "en": "The two dogs walk in the park.",
                          "ctype": self.headers["Content-Type"], "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def api_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/abc123"
    server.shutdown()
    server.server_close()


def test_the_printed_curl_command_runs(api_url, capsys):
    if calls.shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    sentence = "Les deux chiens marchent dans l'parc."  # a quote: the command must survive the shell's quoting
    reply = calls.run_curl(calls.curl_command(api_url, sentence))
    assert reply == {"fr": sentence, "en": "The two dogs walk in the park.", "ctype": "application/json",
                     "path": "/abc123/translate"}
    assert json.loads(capsys.readouterr().out) == reply


def test_curl_failures_and_absence_are_clear(monkeypatch, capsys):
    if calls.shutil.which("curl") is not None:
        with pytest.raises(KitError, match=r"curl failed \(curl: \(7\)"):
            calls.run_curl(calls.curl_command("http://127.0.0.1:9/x", "Le chat dort."))  # port 9: nobody listens
    monkeypatch.setattr(calls.shutil, "which", lambda name: None)
    assert calls.run_curl("curl http://127.0.0.1:9/x") is None
    assert "curl is not installed" in capsys.readouterr().out
