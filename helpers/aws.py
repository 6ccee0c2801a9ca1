"""boto3 clients for the configured target, and AWS errors turned into one-sentence KitErrors.

Everything in the kit that talks to AWS calls `client(service, cfg)`: on `aws` it uses the normal credential
chain and `cfg.region`; on `local` it points at the local stack (started on demand) with dummy credentials.
"""
from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Iterator

import boto3
from botocore.config import Config
from botocore.exceptions import (ClientError, EndpointConnectionError, InvalidRegionError, NoCredentialsError,
                                 NoRegionError, PartialCredentialsError)

from helpers.core.config import KitConfig, get_config
from helpers.core.errors import KitError

_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnrecognizedClientException",
           "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException", "SignatureDoesNotMatch",
           "AuthFailure", "InvalidSignatureException"}


@lru_cache(maxsize=64)
def _client(service: str, region: str, endpoint: str | None) -> Any:
    # Lambda invocations may run up to the 900 s function limit: wait for them, and never retry them on a timeout.
    cfg = Config(read_timeout=910, retries={"mode": "standard", "max_attempts": 1}) if service == "lambda" \
        else Config(retries={"mode": "standard", "max_attempts": 3})
    if endpoint is None:
        return boto3.session.Session().client(service, region_name=region, config=cfg)
    return boto3.session.Session().client(service, region_name=region, endpoint_url=endpoint, config=cfg,
                                          aws_access_key_id="testing", aws_secret_access_key="testing")


def client(service: str, cfg: KitConfig | None = None) -> Any:
    """A boto3 client for `service` on the configured target (local: the local stack, started if needed)."""
    cfg = cfg or get_config()
    if cfg.target == "local":
        from helpers.local.stack import ensure_stack

        return _client(service, cfg.region, ensure_stack().endpoint)
    with aws_errors():
        return _client(service, cfg.region, None)


@contextmanager
def aws_errors() -> Iterator[None]:
    """Turn missing credentials, unreachable endpoints, denied access and bad regions into one KitError sentence."""
    try:
        yield
    except (NoCredentialsError, PartialCredentialsError):
        raise KitError("No AWS credentials found: run `aws configure` (or set AWS_PROFILE), "
                       "or use target='local' to run offline.") from None
    except (InvalidRegionError, NoRegionError) as e:
        raise KitError(f"The AWS region is not valid ({e}): set KIT_REGION to a region like 'us-east-1'.") from None
    except EndpointConnectionError as e:
        url = str(e.kwargs.get("endpoint_url", "the AWS endpoint")).rstrip("/")
        if "127.0.0.1" in url or "localhost" in url:
            raise KitError(f"The local stack at {url} does not answer: run helpers.local.stack.stop_stack() "
                           "and try again (it restarts on demand).") from None
        raise KitError(f"Could not reach {url}: check your network and that the region exists "
                       "(KIT_REGION), or use target='local' to run offline.") from None
    except ClientError as e:
        code = e.response.get("Error", {}).get("Code", "")
        if code in _DENIED:
            op = getattr(e, "operation_name", "the call")
            msg = e.response.get("Error", {}).get("Message", "")
            raise KitError(f"AWS refused {op} ({code}: {msg}): check your credentials and give your IAM user "
                           "the permissions the README lists.") from None
        raise


def pages(call: Callable[..., dict[str, Any]], key: str, **kwargs: Any) -> list[dict[str, Any]]:
    """All items of a list call that pages with NextToken but has no boto3 paginator (API Gateway v2)."""
    items, token = [], None
    while True:
        page = call(**kwargs, **({"NextToken": token} if token else {}))
        items.extend(page.get(key, []))
        token = page.get("NextToken")
        if not token:
            return items
