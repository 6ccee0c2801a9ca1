"""Lambda's function states on top of moto, which reports every function `Active` at once.

As Lambda does (Lambda Developer Guide, "Lambda function states" and "Invoking functions defined as container
images"):
- a new image function is `Pending` while Lambda optimizes its image, then `Active`; invoking it or updating it
  while `Pending` fails with ResourceConflictException;
- an update leaves `LastUpdateStatus` `InProgress` for a moment; another update meanwhile is a conflict;
- creating or updating a function from an image index (not a single-platform image) is refused
  (InvalidParameterValueException, manifest_rules.py);
- when the image a function runs (the digest its tag resolved to) is no longer in ECR, the function goes
  `Failed` with StateReasonCode `ImageDeleted` at its next cold start, and every invocation fails until the
  function is deleted and created again.
The stack's front endpoint routes the Lambda control plane through `FunctionStates.handle` (front/server.py).
"""
from __future__ import annotations

import json
import os
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import unquote

from local_aws.front.wsgi import call_wsgi, peek_body, respond
from local_aws.error_answers import LambdaError
from helpers.core.aws_facts.image_manifests import ALL_MANIFEST_TYPES, ImageRejected, check_manifest, lambda_error
from helpers.core.aws_facts.image_uri import parse_image_uri

_FUNCTIONS = re.compile(r"^/2015-03-31/functions/?(?P<name>[^/]*)(?P<rest>/.*)?$")


def pending_seconds() -> float:
    """How long a new function stays Pending (KIT_LOCAL_PENDING_SECONDS; Lambda takes seconds)."""
    return float(os.environ.get("KIT_LOCAL_PENDING_SECONDS", "0.5"))


@dataclass
class _State:
    arn: str
    pending_until: float = 0.0
    updating_until: float = 0.0
    digest: str | None = None  # the image digest the function's ImageUri resolved to
    failed: tuple[str, str] | None = None  # (StateReasonCode, StateReason)


def name_in_path(path_name: str) -> str:
    """A function name from a path segment that may be a name, a partial ARN or an ARN (with a qualifier)."""
    parts = unquote(path_name).split(":")
    if parts[0] == "arn":
        return parts[6]
    return parts[2] if len(parts) >= 3 and parts[1] == "function" else parts[0]


class FunctionStates:
    """Function states for the emulated Lambda, keyed by (region, function name)."""

    def __init__(self, ecr_client: Callable[[str], Any]) -> None:
        """`ecr_client(region)` gives an ECR client on the stack (to resolve and check images)."""
        self._ecr = ecr_client
        self._states: dict[tuple[str, str], _State] = {}
        self._lock = threading.Lock()

    # --- what clients see
    def view(self, region: str, name: str) -> dict[str, Any]:
        """The state fields of a function's configuration (empty: moto's `Active` / `Successful` stands)."""
        st, now = self._states.get((region, name)), time.monotonic()
        if st is None:
            return {}
        if st.failed:
            return {"State": "Failed", "StateReasonCode": st.failed[0], "StateReason": st.failed[1],
                    "LastUpdateStatus": "Successful"}
        if now < st.pending_until:
            return {"State": "Pending", "StateReason": "The function is being created.", "StateReasonCode": "Creating",
                    "LastUpdateStatus": "InProgress", "LastUpdateStatusReason": "The function is being created.",
                    "LastUpdateStatusReasonCode": "Creating"}
        if now < st.updating_until:
            return {"State": "Active", "LastUpdateStatus": "InProgress",
                    "LastUpdateStatusReason": "The function is being updated."}
        return {"State": "Active", "LastUpdateStatus": "Successful"}

    @staticmethod
    def _conflict(what: str) -> LambdaError:
        return LambdaError(409, "ResourceConflictException", f"The operation cannot be performed at this time. {what}")

    def check_invocable(self, region: str, name: str) -> None:
        """LambdaError unless the function may be invoked now (not Pending, not Failed)."""
        st = self._states.get((region, name))
        if st is None:
            return
        if st.failed:
            raise self._conflict(f"The resource {st.arn} is currently in the following state: 'Failed'. "
                                 f"StateReasonCode: '{st.failed[0]}'")
        if time.monotonic() < st.pending_until:
            raise self._conflict("The function is currently in the following state: Pending")

    def _check_updatable(self, region: str, name: str) -> None:
        st = self._states.get((region, name))
        if st is None:
            return
        self.check_invocable(region, name)
        if time.monotonic() < st.updating_until:
            raise self._conflict(f"An update is in progress for resource: {st.arn}")

    def fail(self, region: str, name: str, code: str, reason: str) -> None:
        """Put a function in state Failed (e.g. ImageDeleted at a cold start)."""
        with self._lock:
            st = self._states.setdefault((region, name), _State(arn=name))
            st.failed = (code, reason)

    def digest(self, region: str, name: str) -> str | None:
        """The image digest the function's ImageUri resolved to when it was created or last updated."""
        st = self._states.get((region, name))
        return st.digest if st else None

    def image_exists(self, region: str, image_uri: str, digest: str) -> bool:
        """Whether the image `digest` is still in the (emulated) ECR repository of `image_uri`."""
        ref = parse_image_uri(image_uri)
        if ref.registry is None:
            return True
        ecr = self._ecr(region)
        try:
            ecr.describe_images(repositoryName=ref.repository, imageIds=[{"imageDigest": digest}])
        except (ecr.exceptions.ImageNotFoundException, ecr.exceptions.RepositoryNotFoundException):
            return False
        return True

    # --- the control plane
    def _resolve(self, region: str, image_uri: str | None) -> str | None:
        """The digest `image_uri` names in ECR, after Lambda's manifest check (LambdaError if Lambda refuses it)."""
        ref = parse_image_uri(image_uri or "")
        if ref.registry is None:
            return None
        ecr = self._ecr(region)
        image_id = {"imageDigest": ref.digest} if ref.digest else {"imageTag": ref.tag or "latest"}
        try:
            found = ecr.batch_get_image(repositoryName=ref.repository, imageIds=[image_id],
                                        acceptedMediaTypes=list(ALL_MANIFEST_TYPES))["images"]
        except ecr.exceptions.RepositoryNotFoundException:
            return None  # moto answers the missing image itself
        if not found:
            return None
        try:
            check_manifest(image_uri or "", found[0]["imageManifest"], found[0].get("imageManifestMediaType"))
        except ImageRejected:
            raise LambdaError(400, "InvalidParameterValueException", lambda_error(image_uri or "")) from None
        return str(found[0]["imageId"]["imageDigest"])

    def handle(self, moto: Callable[..., Any], environ: dict, start_response: Any, region: str) -> Any | None:
        """Answer a Lambda control-plane request through moto with Lambda's states; None if not one of them."""
        m = _FUNCTIONS.match(environ.get("PATH_INFO", ""))
        if m is None or (m["rest"] or "").startswith("/invocations"):
            return None
        method, name, rest = environ.get("REQUEST_METHOD", "GET"), name_in_path(m["name"]), m["rest"] or ""
        body = peek_body(environ)
        digest: str | None = None
        try:
            doc = json.loads(body) if body and method in ("POST", "PUT") else {}
            if method == "POST" and not name:
                name = str(doc.get("FunctionName", ""))
                digest = self._resolve(region, (doc.get("Code") or {}).get("ImageUri"))
            elif method == "PUT" and rest in ("/code", "/configuration"):
                self._check_updatable(region, name)
                digest = self._resolve(region, doc.get("ImageUri")) if rest == "/code" else None
        except LambdaError as e:
            return respond(start_response, *e.response())
        status, headers, out = call_wsgi(moto, environ)
        if status < 300:
            out = self._after(method, region, name, rest, digest, out)
        return respond(start_response, status, headers, out)

    def _after(self, method: str, region: str, name: str, rest: str, digest: str | None, out: bytes) -> bytes:
        """Record what a successful call changed and put the state fields into its answer."""
        key, now = (region, name), time.monotonic()
        if rest not in ("", "/code", "/configuration"):
            return out  # policies, concurrency, ...: no state fields in those answers
        with self._lock:
            if method == "DELETE":
                self._states.pop(key, None)
                return out
            doc = json.loads(out) if out else {}
            if method == "POST":
                self._states[key] = _State(arn=doc.get("FunctionArn", name), pending_until=now + pending_seconds(),
                                           digest=digest)
            elif method == "PUT":
                st = self._states.setdefault(key, _State(arn=doc.get("FunctionArn", name)))
                st.updating_until = now + pending_seconds()
                st.digest = digest or st.digest
        if method == "GET" and not name:
            for fn in doc.get("Functions", []):
                fn.update(self.view(region, fn["FunctionName"]))
        elif "Configuration" in doc:
            doc["Configuration"].update(self.view(region, name))
        elif "FunctionName" in doc:
            doc.update(self.view(region, name))
        else:
            return out
        return json.dumps(doc).encode()


class InitFailed(Exception):
    """A new execution environment could not start; Lambda reports it as the invocation's function error."""

    def __init__(self, error_type: str, detail: str) -> None:
        super().__init__(detail)
        self.error_type, self.detail = error_type, detail


def init_failure(spec: Any, err: InitFailed) -> tuple[Any, str]:
    """(InvokeResult, log stream) of an invocation whose environment failed to start, in Lambda's words."""
    import secrets
    import uuid
    from datetime import datetime, timezone

    from helpers.core.aws_facts.report_line import Report, format_report
    from local_aws.awslambda.service import InvokeResult

    rid = str(uuid.uuid4())
    message = f"RequestId: {rid} Error: {err.detail}"
    log = "\n".join([
        f"INIT_REPORT Init Duration: 1.00 ms\tPhase: init\tStatus: error\tError Type: {err.error_type}",
        f"START RequestId: {rid} Version: $LATEST", message, err.error_type, f"END RequestId: {rid}",
        format_report(Report(rid, 1.0, 1, spec.memory_mb, 3))]) + "\n"
    payload = json.dumps({"errorType": err.error_type, "errorMessage": message}).encode()
    stream = f"{datetime.now(timezone.utc):%Y/%m/%d}/[$LATEST]{secrets.token_hex(16)}"
    return InvokeResult(rid, payload, "Unhandled", log, 1.0, 1, 3, None), stream
