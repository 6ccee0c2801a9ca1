"""SageMaker's runtime on the local target: InvokeEndpoint answered by the image's own `serve` mode.

`POST /endpoints/{name}/invocations` on the stack's front endpoint: the endpoint (kept by moto) -> its endpoint
config's production variant -> the model's image and environment -> an instance of the image's serve mode, started
on first use (a cold start) and reused while the endpoint's configuration stays the same (warm). It is ready once
`GET /ping` answers 200 (within 3 minutes, SageMaker Serverless's limit); the request then goes to
`POST /invocations` (60 s limit). A 2xx comes back as the body; any other answer becomes a `ModelError` (HTTP 424)
carrying the container's status and body, as SageMaker reports it. The container's output goes to the emulated
CloudWatch Logs (`/aws/sagemaker/Endpoints/{name}`, stream `{variant}/{instance}`) and each call's model latency
(and a cold start's model setup time) to the emulated CloudWatch metrics (`AWS/SageMaker`), where AWS puts them.

Where the serve mode runs: the built image in a container (`IMAGE serve`, the entrypoint's serve branch) when an
engine answers, else the image's staged task root in a host process (`python -m lambda_app.serve serve`, what that
branch runs). Both bind 127.0.0.1 on a free port (`SAGEMAKER_BIND_TO_PORT`), as the host network is shared.
"""
from __future__ import annotations

import http.client
import json
import os
import secrets
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from helpers.core.errors import KitError
from helpers.local.images import ImageRecord, find_image
from helpers.local.launchers import HostInstance, Instance
from helpers.local.ports import free_port, wait_for_port

ACCOUNT_ID = "123456789012"  # moto's account (helpers.local.stack.ACCOUNT_ID)
PING_LIMIT_S = 180.0  # serverless: the model must answer /ping within 3 minutes
INVOKE_LIMIT_S = 60.0  # serverless: /invocations must answer within 1 minute
MAX_PAYLOAD_BYTES = 4 * 1024 * 1024  # serverless request and response payload limit
PASSED_HEADERS = ("Content-Type", "Accept", "X-Amzn-SageMaker-Custom-Attributes")  # what SageMaker forwards


class EndpointError(Exception):
    """An AWS-style error answer of the runtime API: status, error code, message (and extra body fields)."""

    def __init__(self, status: int, code: str, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields

    def response(self) -> tuple[int, dict[str, str], bytes]:
        body = json.dumps({"Message": self.message, **self.fields}).encode()
        return self.status, {"content-type": "application/json", "x-amzn-ErrorType": self.code}, body


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


def _in_container(rec: ImageRecord) -> bool:
    from helpers.core.engine import docker_client

    return bool(rec.container_image) and docker_client() is not None


def serve_description(rec: ImageRecord) -> str:
    """Where `launch_serve` runs `rec`'s serve mode, in words (notebooks print it)."""
    if _in_container(rec):
        return f"the built image in a container, as `{rec.container_image} serve`"
    return "the image's staged task root in a host process, as `python -m lambda_app.serve serve` (no engine answers)"


def launch_serve(rec: ImageRecord, env: dict[str, str], port: int) -> Instance:
    """Start the image's serve mode on 127.0.0.1:`port`: the built image in a container when an engine answers,
    else the staged task root in a host process. Returns once something listens (the caller waits for /ping)."""
    return _serve_container(rec, env, port) if _in_container(rec) else _serve_host(rec, env, port)


def _serve_host(rec: ImageRecord, env: dict[str, str], port: int) -> Instance:
    if not rec.task_root or not (Path(rec.task_root) / "lambda_app" / "serve.py").is_file():
        raise KitError(f"Image {rec.uri} has no staged task root with lambda_app/serve.py on this machine: "
                       "rebuild and push it with 02_build_image.")
    root = str(Path(rec.task_root).resolve())
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env, "LAMBDA_TASK_ROOT": root, "PYTHONPATH": root,
           "SAGEMAKER_BIND_TO_PORT": str(port), "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [sys.executable, "-S", "-m", "lambda_app.serve", "serve", "--host", "127.0.0.1"]  # -S: as in the image
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=hasattr(os, "killpg"))
    return _started(HostInstance(proc, port), port)


def _serve_container(rec: ImageRecord, env: dict[str, str], port: int) -> Instance:
    from helpers.core.engine import require_engine
    from helpers.local.container import LABEL, ULIMITS, ContainerInstance

    client = require_engine()
    name = f"ltk-sm-{port}"
    try:  # a leftover from a crashed run on the same port
        client.containers.get(name).remove(force=True)
    except Exception:  # docker.errors.NotFound, or the engine went away: run() says what is wrong
        pass
    container = client.containers.run(rec.container_image, command=["serve", "--host", "127.0.0.1"], name=name,
                                       environment={**env, "SAGEMAKER_BIND_TO_PORT": str(port)}, network_mode="host",
                                       ulimits=ULIMITS, labels={LABEL: "sagemaker"}, detach=True)
    return _started(ContainerInstance(endpoint=f"http://127.0.0.1:{port}", container=container), port)


def _started(inst: Instance, port: int) -> Instance:
    if not wait_for_port(port, PING_LIMIT_S, inst.alive):
        logs = inst.read_logs()
        inst.stop()
        raise KitError(f"The image's serve mode did not listen on port {port}: {logs.strip()[-300:]}")
    return inst


def request(endpoint: str, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
            timeout: float = INVOKE_LIMIT_S) -> tuple[int | None, dict[str, str], bytes]:
    """One HTTP request to a serve instance; (None, {}, b"") when it does not answer in time or drops the connection."""
    host, port = endpoint.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    except (OSError, http.client.HTTPException):
        return None, {}, b""
    finally:
        conn.close()


def wait_for_ping(inst: Instance, limit_s: float = PING_LIMIT_S) -> bool:
    """Poll GET /ping until it answers 200 (True) or the limit passes or the instance dies (False)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and inst.alive():
        if request(inst.endpoint, "GET", "/ping", timeout=5)[0] == 200:
            return True
        time.sleep(0.05)
    return False


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
        inst = launch_serve(rec, dict(spec.env), free_port())
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
                raise EndpointError(400, "ValidationError", f"Request {rid} has oversize body.")
            return self._invoke(spec, rid, body, headers)
        except EndpointError as e:
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
                    raise EndpointError(424, "ModelError", str(e), OriginalStatusCode=0, OriginalMessage=str(e),
                                        LogStreamArn=self._stream_arn(spec, "-")) from None
                slot.spec, slot.stream = spec, f"{spec.variant}/{secrets.token_hex(8)}"
            t0 = time.monotonic()
            status, out_headers, out = request(slot.instance.endpoint, "POST", "/invocations", body,
                                               {h: headers[h.lower()] for h in PASSED_HEADERS if h.lower() in headers})
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
        return EndpointError(424, "ModelError", message, OriginalStatusCode=status or 0, OriginalMessage=original,
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
        for create in (lambda: logs.create_log_group(logGroupName=group),
                       lambda: logs.create_log_stream(logGroupName=group, logStreamName=stream)):
            try:
                create()
            except logs.exceptions.ResourceAlreadyExistsException:
                pass
        now = int(time.time() * 1000)
        logs.put_log_events(logGroupName=group, logStreamName=stream,
                            logEvents=[{"timestamp": now, "message": ln} for ln in lines])

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
