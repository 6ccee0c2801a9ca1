"""boto3 clients for the configured target, and AWS errors turned into one-sentence KitErrors.

Everything in the kit that talks to AWS calls `client(service, cfg)`: on `aws` it uses the normal credential
chain and `cfg.region`; on `local` it points at the local stack (started on demand) with dummy credentials.
Control-plane calls keep botocore's retries (standard mode: throttling and transient errors are retried);
only `invoke_client` runs without retries, because a retried invocation would run the function twice.

Clients and sessions are cached per service, region, endpoint AND the credentials' source (the AWS_* variables and
the shared config/credentials files as they are now): refreshed keys, another profile or a new `aws sso login`
make new clients, and an ExpiredToken-type error drops every cached one, so re-running the cell uses the new
credentials without a kernel restart. (boto3 "Credentials": a session resolves the credential chain once, when it
is created; only refreshable providers re-read later.)
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from functools import lru_cache, partial
from typing import Any, Iterator

import boto3
from botocore.config import Config
from botocore.exceptions import (BotoCoreError, ClientError, EndpointConnectionError, InvalidRegionError,
                                 NoCredentialsError, NoRegionError, PartialCredentialsError, ProfileNotFound,
                                 SSOError, TokenRetrievalError)

from helpers.core.aws_facts.account import LOCAL_CREDENTIALS
from helpers.core.changes import Changes
from helpers.core.config import OPT_IN_REGIONS, KitConfig, get_config
from helpers.core.errors import KitError

_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException"}
_INVALID_TOKEN = {"UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure", "SignatureDoesNotMatch",
                  "InvalidSignatureException"}
_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired"}
_SOURCE_VARS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN")
CONTROL_PLANE = Config(retries={"mode": "standard", "total_max_attempts": 5})
# An invocation may run up to the 900 s function limit: wait for it, and never send it twice.
INVOKE = Config(read_timeout=910, connect_timeout=10, retries={"mode": "standard", "total_max_attempts": 1})


def _note_region(region: str, parsed: dict[str, Any], **_: Any) -> None:
    """botocore `after-call` hook: remember the client's region in an error, so aws_errors() can name it."""
    if isinstance(parsed, dict) and isinstance(parsed.get("Error"), dict):
        parsed["Error"].setdefault("KitRegion", region)


def credentials_source() -> str:
    """A fingerprint of where the credential chain reads from now (variables, shared files and SSO cache with their
    modification times): it changes when the learner refreshes keys, switches profile or logs in again. A hash:
    no secret is kept or shown."""
    parts = [f"{v}={os.environ.get(v, '')}" for v in _SOURCE_VARS]
    home = Path.home() / ".aws"
    files = [Path(os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or home / "credentials"),
             Path(os.environ.get("AWS_CONFIG_FILE") or home / "config"), home / "sso" / "cache"]
    for f in files:
        try:
            parts.append(f"{f}:{f.stat().st_mtime_ns}")
        except OSError:
            parts.append(f"{f}:-")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def forget_clients() -> None:
    """Drop every cached client and session (the next call builds them from the credentials as they are now)."""
    _client.cache_clear()
    _session.cache_clear()


# The local stack's administrator (local_aws/iam): what every local client signs with unless cfg.local_key says.
LOCAL_KEY = (LOCAL_CREDENTIALS["aws_access_key_id"], LOCAL_CREDENTIALS["aws_secret_access_key"])


def _who(cfg: KitConfig, endpoint: str | None) -> tuple[str, ...]:
    """The cache key of the credentials a client signs with: on `aws` where the chain reads them from (a hash), on
    `local` the stack key this config uses (an attendee's, or the administrator's)."""
    return (credentials_source(),) if endpoint is None else (cfg.local_key or LOCAL_KEY)


@lru_cache(maxsize=256)
def _client(service: str, region: str, endpoint: str | None, invoke: bool = False,
            who: tuple[str, ...] = LOCAL_KEY) -> Any:
    cfg = INVOKE if invoke else CONTROL_PLANE
    if endpoint is None:
        made = boto3.session.Session().client(service, region_name=region, config=cfg)
    else:
        made = boto3.session.Session().client(service, region_name=region, endpoint_url=endpoint, config=cfg,
                                              aws_access_key_id=who[0], aws_secret_access_key=who[1])
    made.meta.events.register("after-call", partial(_note_region, region))
    return made


def _endpoint(cfg: KitConfig) -> str | None:
    if cfg.target != "local":
        return None
    from local_aws.face import ensure_stack

    return ensure_stack().endpoint


def client(service: str, cfg: KitConfig | None = None) -> Any:
    """A boto3 client for `service` on the configured target (local: the local stack, started if needed)."""
    cfg = cfg or get_config()
    with aws_errors():
        endpoint = _endpoint(cfg)
        return _client(service, cfg.region, endpoint, False, _who(cfg, endpoint))


def invoke_client(cfg: KitConfig | None = None, service: str = "lambda") -> Any:
    """A client for invocations only (Lambda's Invoke, or `sagemaker-runtime`'s InvokeEndpoint): waits up to the
    function timeout and never retries (no double runs)."""
    cfg = cfg or get_config()
    with aws_errors():
        endpoint = _endpoint(cfg)
        return _client(service, cfg.region, endpoint, True, _who(cfg, endpoint))


class _LocalSession(boto3.session.Session):
    """A boto3 session whose every client reaches the local stack, with dummy credentials."""

    def __init__(self, endpoint: str, region: str, key: tuple[str, str] = LOCAL_KEY) -> None:
        super().__init__(region_name=region, aws_access_key_id=key[0], aws_secret_access_key=key[1])
        self.kit_endpoint = endpoint

    def client(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs.setdefault("endpoint_url", self.kit_endpoint)
        return super().client(*args, **kwargs)


@lru_cache(maxsize=64)
def _session(region: str, endpoint: str | None, who: tuple[str, ...] = LOCAL_KEY) -> boto3.session.Session:
    return (boto3.session.Session(region_name=region) if endpoint is None
            else _LocalSession(endpoint, region, (who[0], who[1])))


def session(cfg: KitConfig | None = None) -> boto3.session.Session:
    """A boto3 session for SDKs that make their own clients (the sagemaker SDK): the credential chain in cfg.region
    on `aws`; on `local`, every client made from it reaches the local stack. One per target and region (SDKs cache
    their clients per session)."""
    cfg = cfg or get_config()
    with aws_errors():
        endpoint = _endpoint(cfg)
        return _session(cfg.region, endpoint, _who(cfg, endpoint))


def _client_error(e: ClientError) -> KitError | None:
    """The one sentence for a refused call, or None for errors the caller handles itself."""
    err = e.response.get("Error", {})
    code, msg, region = err.get("Code", ""), err.get("Message", ""), err.get("KitRegion", "")
    op = getattr(e, "operation_name", "the call")
    if code in _INVALID_TOKEN and region in OPT_IN_REGIONS:
        return KitError(f"Region {region} is an opt-in region that is not enabled for this account ({op}: {code}): "
                        "enable it in the AWS console (Account, AWS Regions) or set KIT_REGION to an enabled "
                        "region such as us-east-1.")
    if code in _INVALID_TOKEN:
        return KitError(f"AWS did not accept these credentials ({op}: {code}: {msg}): check the access key "
                        "(`aws configure`) or AWS_PROFILE, or use target='local' to run offline.")
    if code in _EXPIRED:
        return KitError(f"The AWS session credentials have expired ({op}: {code}): refresh them (`aws sso login`, "
                        "or new temporary keys), then re-run this cell.")
    if code in _DENIED:
        return KitError(f"AWS refused {op} ({code}: {msg}): give your IAM user the permissions in "
                        "docs/iam-policy.json (docs/REFERENCE.md, 'IAM permissions'); in a workshop, your attendee policy allows "
                        "only resources named and tagged with your prefix (docs/WORKSHOP.md).")
    return None


@contextmanager
def aws_errors() -> Iterator[None]:
    """Turn missing or expired credentials, broken profiles, unreachable endpoints, denied access, disabled
    regions and bad regions into one KitError sentence; other AWS errors pass through."""
    try:
        yield
    except (NoCredentialsError, PartialCredentialsError):
        raise KitError("No AWS credentials found: run `aws configure` (or set AWS_PROFILE), "
                       "or use target='local' to run offline.") from None
    except (SSOError, TokenRetrievalError):
        forget_clients()
        raise KitError("The AWS SSO session has expired: run `aws sso login` (with your AWS_PROFILE), "
                       "then re-run this cell.") from None
    except ProfileNotFound as e:
        raise KitError(f"{e}: fix AWS_PROFILE or ~/.aws/config, then re-run.") from None
    except (InvalidRegionError, NoRegionError) as e:
        raise KitError(f"The AWS region is not valid ({e}): set KIT_REGION to a region like 'us-east-1'.") from None
    except EndpointConnectionError as e:
        url = str(e.kwargs.get("endpoint_url", "the AWS endpoint")).rstrip("/")
        if "127.0.0.1" in url or "localhost" in url:
            raise KitError(f"The local stack at {url} does not answer: run `python -m local_aws stop` "
                           "and try again (it restarts on demand).") from None
        raise KitError(f"Could not reach {url}: check your network and that the region exists "
                       "(KIT_REGION), or use target='local' to run offline.") from None
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") in _EXPIRED:
            forget_clients()  # the re-run builds new clients from the refreshed credentials
        sentence = _client_error(e)
        if sentence is None:
            raise
        raise sentence from None
    except BotoCoreError as e:
        if type(e).__name__ in ("ConfigParseError", "InvalidConfigError", "CredentialRetrievalError"):
            raise KitError(f"The AWS configuration is broken ({e}): fix ~/.aws/config and ~/.aws/credentials "
                           "(or unset AWS_PROFILE), then re-run.") from None
        raise


@contextmanager
def deploy_step() -> Iterator[Changes]:
    """Run one deploy step (an `ensure_*` call given the yielded Changes) with AWS failures as one KitError
    sentence, then print what it created, really changed, or found already as wanted."""
    changes = Changes()
    with aws_errors():
        yield changes
    print(changes.summary())


def pages(call: Callable[..., dict[str, Any]], key: str, **kwargs: Any) -> list[dict[str, Any]]:
    """All items of a list call that pages with NextToken but has no boto3 paginator (API Gateway v2)."""
    items, token = [], None
    while True:
        page = call(**kwargs, **({"NextToken": token} if token else {}))
        items.extend(page.get(key, []))
        token = page.get("NextToken")
        if not token:
            return items
