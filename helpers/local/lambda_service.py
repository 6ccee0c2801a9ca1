"""Lambda's Invoke semantics on top of local function instances: warm reuse, timeouts, errors, REPORT, logs.

One warm instance per function; a changed image or configuration starts a new (cold) one, and invocations
of one function are serialized. Results, errors and log records follow what Lambda returns and writes.
"""
from __future__ import annotations

import base64
import http.client
import json
import math
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Callable

from helpers.local.images import find_image
from helpers.local.launchers import INVOKE_PATH, Instance, free_port, launch_instance

MiB = 1024 * 1024
LOG_TAIL_BYTES = 4096
_RIE_NOISE = re.compile(r"\(rapid\)|^(START|END|REPORT) RequestId: ")
RIE_INIT = re.compile(r"INIT REPORT\(durationMs: ([0-9.]+)\)")
_RIE_DONE = re.compile(r"INVOKE RTDONE\(status: \w+, produced bytes: \d+, duration: ([0-9.]+)ms\)")
_RIE_START = re.compile(r"^START RequestId: ([0-9a-f-]+)", re.M)
_RIE_TOTAL = re.compile(r"^REPORT RequestId: .*?\tDuration: ([0-9.]+) ms", re.M)


class ImageNotFound(LookupError):
    """The function's image is not in the local image store."""


@dataclass(frozen=True)
class FunctionSpec:
    """What defines a function instance; any change means a new cold instance."""

    name: str
    arn: str
    region: str
    image_uri: str
    handler: str | None  # ImageConfig.Command[0], None = the image's CMD
    env: tuple[tuple[str, str], ...]
    memory_mb: int
    timeout_s: int
    architecture: str

    @classmethod
    def from_configuration(cls, conf: dict[str, Any], image_uri: str, region: str) -> "FunctionSpec":
        """Build from a GetFunction `Configuration` and `Code.ImageUri`."""
        command = (conf.get("ImageConfigResponse", {}).get("ImageConfig", {}) or {}).get("Command") or [None]
        variables = (conf.get("Environment") or {}).get("Variables") or {}
        return cls(name=conf["FunctionName"], arn=conf["FunctionArn"], region=region, image_uri=image_uri,
                   handler=command[0], env=tuple(sorted(variables.items())),
                   memory_mb=int(conf.get("MemorySize") or 128), timeout_s=int(conf.get("Timeout") or 3),
                   architecture=(conf.get("Architectures") or ["x86_64"])[0])


@dataclass
class InvokeResult:
    """One invocation as Lambda reports it."""

    request_id: str
    payload: bytes
    function_error: str | None  # "Unhandled" or None
    log: str  # START ... REPORT lines of this invocation
    duration_ms: float
    billed_ms: int
    max_memory_mb: int
    init_ms: float | None  # set on cold starts

    @property
    def log_result(self) -> str:
        """The X-Amz-Log-Result header: base64 of the last 4 KB of the log."""
        return base64.b64encode(self.log.encode()[-LOG_TAIL_BYTES:]).decode()


class PeakRss(threading.Thread):
    """Samples an instance's RSS while it works; past `limit_bytes` (if given) it kills it, as Lambda does."""

    def __init__(self, inst: Instance, limit_bytes: int | None = None, interval: float = 0.01) -> None:
        super().__init__(daemon=True)
        self.inst, self.limit, self.interval = inst, limit_bytes, interval
        self.peak = inst.rss_bytes()
        self.out_of_memory = False
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, self.inst.rss_bytes())
            if self.limit is not None and self.peak > self.limit:
                self.out_of_memory = True
                self.inst.stop()
                return
            self._done.wait(self.interval)

    def finish(self) -> int:
        """Stop sampling; the peak RSS in bytes."""
        self._done.set()
        self.join()
        return self.peak


@dataclass
class _Slot:
    lock: threading.Lock
    spec: FunctionSpec | None = None
    instance: Instance | None = None
    stream: str = ""


def _stream_name() -> str:
    return f"{datetime.now(timezone.utc):%Y/%m/%d}/[$LATEST]{secrets.token_hex(16)}"


def post_invocation(endpoint: str, payload: bytes, timeout: float) -> tuple[int | None, bytes]:
    """POST to the RIE; (None, b"") when it does not answer within `timeout` or drops the connection."""
    host, port = endpoint.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request("POST", INVOKE_PATH, body=payload, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, resp.read()
    except (OSError, http.client.HTTPException):
        return None, b""
    finally:
        conn.close()


def init_ms_from_logs(logs: str) -> float | None:
    """The emulator's `INIT REPORT(durationMs: ...)`: import + model load, Lambda's "Init Duration"."""
    m = RIE_INIT.search(logs)
    return float(m.group(1)) if m else None


def _is_handler_error(body: bytes) -> bool:
    """awslambdaric's error document: errorMessage, errorType and nothing but requestId/stackTrace/cause."""
    try:
        doc = json.loads(body)
    except ValueError:
        return False
    return (isinstance(doc, dict) and {"errorMessage", "errorType"} <= doc.keys()
            and isinstance(doc.get("requestId", ""), str)
            and doc.keys() <= {"errorMessage", "errorType", "requestId", "stackTrace", "cause"})


class LocalLambda:
    """Runs invocations of image functions on local instances and writes their logs to the emulated Logs."""

    def __init__(self, logs_client: Callable[[str], Any], function_env: dict[str, str]) -> None:
        """`logs_client(region)` gives a CloudWatch Logs client; `function_env` is added to every instance's env."""
        self._logs_client = logs_client
        self._function_env = function_env
        self._slots: dict[str, _Slot] = {}
        self._slots_lock = threading.Lock()
        self._streams: set[tuple[str, str, str]] = set()  # log streams known to exist

    def _slot(self, arn: str) -> _Slot:
        with self._slots_lock:
            return self._slots.setdefault(arn, _Slot(threading.Lock()))

    def busy(self) -> bool:
        """True while any invocation runs."""
        return any(s.lock.locked() for s in list(self._slots.values()))

    def stop_all(self) -> None:
        """Stop every instance (the stack calls this on shutdown)."""
        for slot in list(self._slots.values()):
            if slot.instance is not None:
                slot.instance.stop()
                slot.instance = None

    def _env(self, spec: FunctionSpec, stream: str) -> dict[str, str]:
        env = dict(spec.env)  # the function's variables; Lambda's reserved variables win
        env.update(self._function_env)
        env.update({
            "LANG": "en_US.UTF-8", "TZ": ":UTC", "AWS_REGION": spec.region, "AWS_DEFAULT_REGION": spec.region,
            "AWS_LAMBDA_FUNCTION_NAME": spec.name, "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(spec.timeout_s),  # the RIE enforces it
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}", "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_EXECUTION_ENV": "AWS_Lambda_Image",
        })
        return env

    def invoke(self, spec: FunctionSpec, payload: bytes) -> InvokeResult:
        """Invoke synchronously (RequestResponse); raises ImageNotFound when the image is not registered."""
        slot = self._slot(spec.arn)
        with slot.lock:
            if slot.instance is not None and (slot.spec != spec or not slot.instance.alive()):
                slot.instance.stop()
                slot.instance = None
            cold = slot.instance is None
            if cold:
                rec = find_image(spec.image_uri)
                if rec is None:
                    raise ImageNotFound(spec.image_uri)
                if spec.handler:
                    rec = replace(rec, handler=spec.handler)
                slot.stream = _stream_name()
                slot.instance = launch_instance(rec, self._env(spec, slot.stream), free_port())
                slot.spec = spec
            inst = slot.instance
            assert inst is not None
            inst.read_logs()
            sampler = PeakRss(inst, spec.memory_mb * MiB)
            sampler.start()
            t0 = time.monotonic()
            status, body = post_invocation(inst.endpoint, payload, timeout=spec.timeout_s + 15)
            wall_ms = (time.monotonic() - t0) * 1000
            peak = sampler.finish()
            result, reset = self._result(spec, inst, status, body, wall_ms, peak, sampler.out_of_memory, cold)
            if reset:  # Lambda resets the sandbox after timeouts and runtime crashes
                inst.stop()
                slot.instance = None
            self._write_logs(spec, slot.stream, result.log)
            return result

    def _rie_logs(self, inst: Instance, wait: bool) -> str:
        """The RIE's output for this invocation, waiting briefly for its closing REPORT line."""
        out = inst.read_logs()
        deadline = time.monotonic() + (1.0 if wait else 0)
        while "REPORT RequestId:" not in out and time.monotonic() < deadline and inst.alive():
            time.sleep(0.005)
            out += inst.read_logs()
        return out

    def _result(self, spec: FunctionSpec, inst: Instance, status: int | None, body: bytes, wall_ms: float,
                peak: int, oom: bool, cold: bool) -> tuple[InvokeResult, bool]:
        raw = self._rie_logs(inst, wait=status is not None and not oom)
        m = _RIE_START.search(raw)
        rid = m.group(1) if m else str(uuid.uuid4())
        init, done, total = RIE_INIT.search(raw), _RIE_DONE.search(raw), _RIE_TOTAL.search(raw)
        init_ms = float(init.group(1)) if (cold and init) else None
        duration = float(done.group(1)) if done else max(0.0, wall_ms - (init_ms or 0.0))
        if cold and init is None:  # RIE ran with a quiet log level: the split is unknown, count it all as init
            init_ms = float(total.group(1)) if total else wall_ms
            duration = float(done.group(1)) if done else 0.0
        lines = [ln.replace("\r", "\n").rstrip("\n") for ln in raw.splitlines() if not _RIE_NOISE.search(ln)]
        lines = [ln for ln in lines if ln]
        error, reset, status_note = None, False, ""
        timed_out = body.startswith(b"Task timed out after") or (status is None and wall_ms >= spec.timeout_s * 1000)
        if oom:
            error, reset, status_note = "Unhandled", True, "\tStatus: error\tError Type: Runtime.OutOfMemory"
            body = _error_doc("Runtime.OutOfMemory", f"RequestId: {rid} Error: Runtime exited with error: signal: killed")
        elif timed_out:
            error, reset, status_note = "Unhandled", True, "\tStatus: timeout"
            duration = spec.timeout_s * 1000.0
            msg = f"Task timed out after {spec.timeout_s:.2f} seconds"
            lines.append(f"{datetime.now(timezone.utc).isoformat(timespec='milliseconds')[:-6]}Z {rid} {msg}")
            body = _error_doc("Sandbox.Timedout", f"RequestId: {rid} Error: {msg}")
        elif status is None:
            error, reset = "Unhandled", True
            body = _error_doc("Runtime.ExitError", f"RequestId: {rid} Error: Runtime exited without answering")
        elif status >= 500:  # the RIE's own error document (runtime exited, init failed)
            error, reset = "Unhandled", True
        elif _is_handler_error(body):
            error = "Unhandled"
        max_mb = math.ceil(peak / MiB)
        billed = math.ceil(duration + (init_ms or 0.0))  # container images: INIT is billed too
        report = (f"REPORT RequestId: {rid}\tDuration: {duration:.2f} ms\tBilled Duration: {billed} ms\t"
                  f"Memory Size: {spec.memory_mb} MB\tMax Memory Used: {max_mb} MB")
        if init_ms is not None:
            report += f"\tInit Duration: {init_ms:.2f} ms"
        report += status_note
        log = "\n".join([f"START RequestId: {rid} Version: $LATEST", *lines, f"END RequestId: {rid}", report]) + "\n"
        return InvokeResult(rid, body, error, log, duration, billed, max_mb, init_ms), reset

    def _write_logs(self, spec: FunctionSpec, stream: str, log: str) -> None:
        """Append this invocation's records to /aws/lambda/NAME in the emulated CloudWatch Logs."""
        logs = self._logs_client(spec.region)
        group = f"/aws/lambda/{spec.name}"
        now = int(time.time() * 1000)
        events = [{"timestamp": now, "message": line} for line in log.rstrip("\n").split("\n")]
        key = (spec.region, group, stream)
        if key in self._streams:
            try:
                logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
                return
            except logs.exceptions.ResourceNotFoundException:  # deleted meanwhile (e.g. by 04_cleanup)
                self._streams.discard(key)
        for create in (lambda: logs.create_log_group(logGroupName=group),
                       lambda: logs.create_log_stream(logGroupName=group, logStreamName=stream)):
            try:
                create()
            except logs.exceptions.ResourceAlreadyExistsException:
                pass
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
        self._streams.add(key)


def _error_doc(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()

