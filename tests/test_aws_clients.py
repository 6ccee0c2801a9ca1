"""helpers.aws: clients for each target, and AWS failures turned into one-sentence KitErrors."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

import helpers.aws as aws
from helpers.aws import aws_errors, client, invoke_client
from helpers.core.config import KitConfig
from helpers.core.errors import KitError


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)


def test_aws_target_uses_the_real_regional_endpoint(no_credentials):
    lam = client("lambda", KitConfig(target="aws", region="eu-west-3"))
    assert lam.meta.endpoint_url == "https://lambda.eu-west-3.amazonaws.com"
    assert invoke_client(KitConfig(target="aws", region="eu-west-3")).meta.config.read_timeout >= 900


def test_missing_credentials_is_one_sentence(no_credentials):
    sts = client("sts", KitConfig(target="aws", region="us-east-1"))
    with pytest.raises(KitError, match=r"^No AWS credentials found: run `aws configure`") as e:
        with aws_errors():
            sts.get_caller_identity()
    assert e.value.__cause__ is None and e.value.__suppress_context__  # no boto3 traceback chained


def test_bad_region_is_one_sentence(no_credentials):
    with pytest.raises(KitError, match="region is not valid"):
        client("sts", KitConfig(target="aws", region="not a region!"))


@pytest.mark.parametrize("code", ["AccessDenied", "AccessDeniedException"])
def test_access_denied_is_one_sentence(no_credentials, code):
    sts = client("sts", KitConfig(target="aws", region="us-east-1"))
    with Stubber(sts) as stub:
        stub.add_client_error("get_caller_identity", service_error_code=code, service_message="not allowed",
                              http_status_code=403)
        with pytest.raises(KitError, match=rf"AWS refused GetCallerIdentity \({code}: not allowed\): .*"
                                           r"docs/iam-policy\.json"):
            with aws_errors():
                sts.get_caller_identity()


class _Flaky(BaseHTTPRequestHandler):
    """Answers 503 to the first `failures` requests, then a valid empty JSON answer; counts every request."""

    failures, seen = 0, 0

    def _answer(self):
        type(self).seen += 1
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        ok = type(self).seen > type(self).failures
        self.send_response(200 if ok else 503)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}" if ok else b'{"message": "try again"}')

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def flaky_endpoint(monkeypatch):
    import botocore.endpoint

    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda s: None)  # no real back-off waits
    _Flaky.failures, _Flaky.seen = 3, 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_control_plane_calls_are_retried_but_invoke_runs_once(flaky_endpoint):
    """Throttling and 5xx answers are retried on control-plane calls; a retried invoke would run twice."""
    aws._client("lambda", "us-east-1", flaky_endpoint).get_function_configuration(FunctionName="f")
    assert _Flaky.seen == 4  # three 503s, then the answer
    _Flaky.seen = 0
    with pytest.raises(ClientError, match="503"):
        aws._client("lambda", "us-east-1", flaky_endpoint, True).invoke(FunctionName="f", Payload=b"{}")
    assert _Flaky.seen == 1


@pytest.mark.parametrize("code", ["UnrecognizedClientException", "InvalidClientTokenId"])
def test_a_disabled_opt_in_region_is_named(no_credentials, code):
    sts = client("sts", KitConfig(target="aws", region="af-south-1"))
    with Stubber(sts) as stub:
        stub.add_client_error("get_caller_identity", service_error_code=code, http_status_code=403,
                              service_message="The security token included in the request is invalid.")
        with pytest.raises(KitError, match=r"^Region af-south-1 is an opt-in region that is not enabled"):
            with aws_errors():
                sts.get_caller_identity()


def test_invalid_keys_outside_opt_in_regions_say_so(no_credentials):
    sts = client("sts", KitConfig(target="aws", region="us-east-1"))
    with Stubber(sts) as stub:
        stub.add_client_error("get_caller_identity", service_error_code="InvalidClientTokenId", http_status_code=403,
                              service_message="The security token included in the request is invalid.")
        with pytest.raises(KitError, match=r"^AWS did not accept these credentials"):
            with aws_errors():
                sts.get_caller_identity()


def test_expired_session_and_sso_are_one_sentence(no_credentials):
    from botocore.exceptions import UnauthorizedSSOTokenError

    sts = client("sts", KitConfig(target="aws", region="us-east-1"))
    with Stubber(sts) as stub:
        stub.add_client_error("get_caller_identity", service_error_code="ExpiredToken", http_status_code=403)
        with pytest.raises(KitError, match=r"^The AWS session credentials have expired"):
            with aws_errors():
                sts.get_caller_identity()
    with pytest.raises(KitError, match=r"^The AWS SSO session has expired: run `aws sso login`"):
        with aws_errors():
            raise UnauthorizedSSOTokenError()


def test_other_client_errors_pass_through(no_credentials):
    sts = client("sts", KitConfig(target="aws", region="us-east-1"))
    with Stubber(sts) as stub:
        stub.add_client_error("get_caller_identity", service_error_code="Throttling", http_status_code=400)
        with pytest.raises(ClientError, match="Throttling"):
            with aws_errors():
                sts.get_caller_identity()


def test_unreachable_local_endpoint_is_one_sentence():
    import socket

    import boto3
    from botocore.config import Config

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}",
                       aws_access_key_id="x", aws_secret_access_key="x",
                       config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(KitError, match=r"local stack at http://127\.0\.0\.1:\d+ does not answer"):
        with aws_errors():
            sts.get_caller_identity()


def test_refreshed_credentials_make_new_clients(no_credentials, monkeypatch):
    """Issue 23 item 5: new keys (or profile) after an expiry are used without a kernel restart."""
    cfg = KitConfig(target="aws", region="us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAOLDOLDOLD")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "old")
    old = client("sts", cfg)
    assert client("sts", cfg) is old  # cached while nothing changes
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIANEWNEWNEW")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "new")
    fresh = client("sts", cfg)
    assert fresh is not old and fresh._request_signer._credentials.access_key == "AKIANEWNEWNEW"
    assert aws.session(cfg).get_credentials().access_key == "AKIANEWNEWNEW"


def test_an_expired_token_drops_the_cached_clients(no_credentials, monkeypatch):
    cfg = KitConfig(target="aws", region="us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXPIRING")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    sts = client("sts", cfg)
    stub = Stubber(sts)
    stub.add_client_error("get_caller_identity", service_error_code="ExpiredToken", http_status_code=403)
    with stub, pytest.raises(KitError, match="have expired"):
        with aws_errors():
            sts.get_caller_identity()
    assert client("sts", cfg) is not sts  # e.g. a refreshed ~/.aws/credentials file is read again
