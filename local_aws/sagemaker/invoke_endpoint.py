"""SageMaker's runtime on the local target: InvokeEndpoint answered by the image's own `serve` mode.

`POST /endpoints/{name}/invocations` on the stack's front endpoint: the endpoint (kept by moto) -> its endpoint
config's production variant -> the model's image and environment -> an instance of the image's serve mode, started
on first use (a cold start) and reused while the endpoint's configuration stays the same (warm). It is ready once
`GET /ping` answers 200 (within 3 minutes, SageMaker Serverless's limit); the request then goes to
`POST /invocations` (60 s limit). A 2xx comes back as the body; any other answer becomes a `ModelError` (HTTP 424)
carrying the container's status and body, as SageMaker reports it. The container's output goes to the emulated
CloudWatch Logs (`/aws/sagemaker/Endpoints/{name}`, stream `{variant}/{instance}`) and each call's model latency
(and a cold start's model setup time) to the emulated CloudWatch metrics (`AWS/SageMaker`), where AWS puts them.

Where the serve mode runs, and how it is started: serve_instances.py.
"""
from __future__ import annotations

import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from helpers.core.aws_facts.account import ACCOUNT_ID
from helpers.core.errors import KitError
from local_aws.error_answers import SageMakerError
from local_aws.logs.function_logs import append_log_events
from local_aws.ecr.images import find_image
from local_aws.awslambda.launchers import Instance
from local_aws.stack.ports import loopback_request, with_free_port
from local_aws.sagemaker.serve_instances import INVOKE_LIMIT_S, launch_serve, wait_for_ping

MAX_PAYLOAD_BYTES = 4 * 1024 * 1024  # serverless request and response payload limit
PASSED_HEADERS = ("Content-Type", "Accept", "X-Amzn-SageMaker-Custom-Attributes")  # what SageMaker forwards


@dataclass(frozen=True)
class ServeSpec:
    """What defines a serve instance of an endpoint; any change (UpdateEndpoint) means a new, cold one."""

    endpoint: str
    region: str
    variant: str
    image_uri: str
    env: tuple[tuple[str, str], ...]
    memory_mb: int


@dataclass
class _Slot:
    lock: threading.Lock = field(default_factory=threading.Lock)
    spec: ServeSpec | None = None
    instance: Instance | None = None
    stream: str = ""


class SageMakerRuntime:
    """Serve instances per endpoint, the InvokeEndpoint API on them, and their logs and metrics."""

    def __init__(self, client: Callable[[str, str], Any], background: Callable[[Callable[[], None]], Any]) -> None:
        """`client(service, region)` gives a boto3 client on the stack; `background(fn)` runs fn off the request."""
        self._client, self._background = client, background
        self._slots: dict[tuple[str, str], _Slot] = {}
        self._lock = threading.Lock()

    def _slot(self, region: str, endpoint: str) -> _Slot:
        with self._lock:
            return self._slots.setdefault((region, endpoint), _Slot())

    def busy(self) -> bool:
        """True while an invocation or a start-up runs."""
        return any(s.lock.locked() for s in list(self._slots.values()))

    def retire(self, region: str, endpoint: str) -> None:
        """Stop the endpoint's instance (UpdateEndpoint, DeleteEndpoint): the next call is a cold start."""
        slot = self._slot(region, endpoint)
        with slot.lock:
            if slot.instance is not None:
                self._flush_logs(slot)
                slot.instance.stop()
                slot.instance = None

    def stop_all(self) -> None:
        """Stop every instance (the stack calls this on shutdown)."""
        for (region, endpoint) in list(self._slots):
            self.retire(region, endpoint)

    def start(self, spec: ServeSpec) -> tuple[Instance, float]:
        """A new serve instance of `spec`, ready (GET /ping 200); (instance, setup seconds). KitError if it never is."""
        rec = find_image(spec.image_uri)
        if rec is None:
            raise KitError(f"The image {spec.image_uri} is not in the local image store: push it with 02_build_image.")
        t0 = time.monotonic()
        try:
            inst = with_free_port(lambda port: launch_serve(rec, dict(spec.env), port))
        except KitError:
            raise
        except Exception as e:  # the engine refused the container, the host could not start the process
            raise KitError(f"The image {spec.image_uri} could not be started: {e}") from None
        if not wait_for_ping(inst):
            logs = inst.read_logs()
            inst.stop()
            raise KitError(f"The primary container for production variant {spec.variant} did not pass the ping "
                           f"health check: {logs.strip()[-300:] or 'no output'}")
        return inst, time.monotonic() - t0

    def invoke(self, spec: ServeSpec, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """InvokeEndpoint on `spec`'s endpoint (an InService one): the model's answer, or an AWS-style error.
        `headers` are the caller's, lower-case names; only PASSED_HEADERS reach the container."""
        rid = str(uuid.uuid4())
        try:
            if len(body) > MAX_PAYLOAD_BYTES:
                raise SageMakerError(400, "ValidationError", f"Request {rid} has oversize body.")
            return self._invoke(spec, rid, body, headers)
        except SageMakerError as e:
            return e.response()

    def _invoke(self, spec: ServeSpec, rid: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict, bytes]:
        slot = self._slot(spec.region, spec.endpoint)
        with slot.lock:
            if slot.instance is not None and (slot.spec != spec or not slot.instance.alive()):
                self._flush_logs(slot)
                slot.instance.stop()
                slot.instance = None
            setup_s = None
            if slot.instance is None:
                try:
                    slot.instance, setup_s = self.start(spec)
                except KitError as e:
                    raise SageMakerError(424, "ModelError", str(e), OriginalStatusCode=0, OriginalMessage=str(e),
                                        LogStreamArn=self._stream_arn(spec, "-")) from None
                slot.spec, slot.stream = spec, f"{spec.variant}/{secrets.token_hex(8)}"
            t0 = time.monotonic()
            passed = {h: headers[h.lower()] for h in PASSED_HEADERS if h.lower() in headers}
            status, out_headers, out = loopback_request(slot.instance.endpoint, "POST", "/invocations", body, passed,
                                                        INVOKE_LIMIT_S)
            latency_s = time.monotonic() - t0
            if status is None:  # timed out or crashed: SageMaker replaces the container
                self._flush_logs(slot)
                slot.instance.stop()
                slot.instance = None
            else:
                self._flush_logs(slot)
            self._background(lambda: self._metrics(spec, latency_s, setup_s, status))
        return self._answer(spec, slot.stream, rid, status, out_headers, out)

    def _answer(self, spec: ServeSpec, stream: str, rid: str, status: int | None, headers: dict[str, str],
                body: bytes) -> tuple[int, dict[str, str], bytes]:
        if status is not None and 200 <= status < 300:
            return 200, {"content-type": headers.get("Content-Type", "application/octet-stream"),
                         "x-Amzn-Invoked-Production-Variant": spec.variant, "x-amzn-RequestId": rid}, body
        group = f"/aws/sagemaker/Endpoints/{spec.endpoint}"
        where = (f"See https://{spec.region}.console.aws.amazon.com/cloudwatch/home?region={spec.region}"
                 f"#logEventViewer:group={group} in account {ACCOUNT_ID} for more information.")
        if status is None:
            text = ("Your invocation timed out while waiting for a response from container primary. Review the "
                    "latency metrics for each container in Amazon CloudWatch, resolve the issue, and try again.")
            message, original = f"Received server error (0) from primary with message \"{text}\". {where}", text
        else:
            original = body.decode("utf-8", "replace")
            kind = "client" if status < 500 else "server"
            message = f"Received {kind} error ({status}) from primary with message \"{original}\". {where}"
        return SageMakerError(424, "ModelError", message, OriginalStatusCode=status or 0, OriginalMessage=original,
                             LogStreamArn=self._stream_arn(spec, stream)).response()

    def _stream_arn(self, spec: ServeSpec, stream: str) -> str:
        return (f"arn:aws:logs:{spec.region}:{ACCOUNT_ID}:log-group:/aws/sagemaker/Endpoints/{spec.endpoint}"
                f":log-stream:{stream}")

    def _flush_logs(self, slot: _Slot) -> None:
        """The instance's new output, into /aws/sagemaker/Endpoints/{name} (best effort: never fails a call)."""
        if slot.instance is None or slot.spec is None:
            return
        text = slot.instance.read_logs()
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if lines:
            spec, stream = slot.spec, slot.stream
            self._background(lambda: self._put_logs(spec, stream, lines))

    def _put_logs(self, spec: ServeSpec, stream: str, lines: list[str]) -> None:
        logs, group = self._client("logs", spec.region), f"/aws/sagemaker/Endpoints/{spec.endpoint}"
        now = int(time.time() * 1000)
        append_log_events(logs, group, stream, [{"timestamp": now, "message": ln} for ln in lines])

    def _metrics(self, spec: ServeSpec, latency_s: float, setup_s: float | None, status: int | None) -> None:
        """What SageMaker publishes per call in AWS/SageMaker (microseconds), by endpoint and variant."""
        dims = [{"Name": "EndpointName", "Value": spec.endpoint}, {"Name": "VariantName", "Value": spec.variant}]
        now = datetime.now(timezone.utc)
        data = [{"MetricName": "Invocations", "Value": 1, "Unit": "None"},
                {"MetricName": "ModelLatency", "Value": latency_s * 1e6, "Unit": "Microseconds"}]
        if setup_s is not None:
            data.append({"MetricName": "ModelSetupTime", "Value": setup_s * 1e6, "Unit": "Microseconds"})
        if status is None or not 200 <= status < 300:
            data.append({"MetricName": "Invocation4XXErrors" if status and status < 500 else "Invocation5XXErrors",
                         "Value": 1, "Unit": "None"})
        self._client("cloudwatch", spec.region).put_metric_data(
            Namespace="AWS/SageMaker", MetricData=[{**d, "Dimensions": dims, "Timestamp": now} for d in data])
