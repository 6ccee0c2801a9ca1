"""helpers.aws: clients for each target, and AWS failures turned into one-sentence KitErrors."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from helpers.aws import aws_errors, client
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
    assert lam.meta.config.read_timeout >= 900  # waits for long invocations instead of retrying them


def test_missing_credentials_is_one_sentence(no_credentials):
    sts = client("sts", KitConfig(target="aws", region="us-east-1"))
    with pytest.raises(KitError, match=r"^No AWS credentials found: run `aws configure`") as e:
        with aws_errors():
            sts.get_caller_identity()
    assert e.value.__cause__ is None and e.value.__suppress_context__  # no boto3 traceback chained


def test_bad_region_is_one_sentence(no_credentials):
    with pytest.raises(KitError, match="region is not valid"):
        client("sts", KitConfig(target="aws", region="not a region!"))


@pytest.mark.parametrize("code", ["AccessDenied", "AccessDeniedException", "UnrecognizedClientException"])
def test_access_denied_is_one_sentence(no_credentials, code):
    sts = client("sts", KitConfig(target="aws", region="us-east-1"))
    with Stubber(sts) as stub:
        stub.add_client_error("get_caller_identity", service_error_code=code, service_message="not allowed",
                              http_status_code=403)
        with pytest.raises(KitError, match=rf"AWS refused GetCallerIdentity \({code}: not allowed\)"):
            with aws_errors():
                sts.get_caller_identity()


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
