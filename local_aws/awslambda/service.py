"""Lambda's Invoke semantics on top of local function instances: warm reuse, timeouts, errors, REPORT, logs.

Each invocation runs in an instance (an execution environment) of its own (concurrency.py: as many as there are concurrent
invocations, up to the function's reserved concurrency or the account's limit, else throttled); a free warm one
is reused, a changed image or configuration starts new (cold) ones. Results, errors and log records follow what
Lambda returns and writes; log records are written in the background, in order (flush_logs() waits for them).
"""
from __future__ import annotations

import base64
import json
import math
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable

from helpers.core.aws_facts.report_line import Report, format_report
from local_aws.awslambda.concurrency import DEFAULT_ACCOUNT_CONCURRENCY, InstancePool, InstanceSlot
from local_aws.logs.function_logs import FunctionLogs
from local_aws.ecr.images import find_image
from local_aws.awslambda.launchers import INVOKE_PATH, Instance, launch_instance
from local_aws.stack.ports import loopback_request
from local_aws.awslambda.peak_rss import PeakRss  # noqa: F401 - also imported from here by the benchmarks

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
    # PutFunctionConcurrency: not part of the configuration (changing it keeps the warm instances)
    reserved_concurrency: int | None = field(default=None, compare=False)

    @classmethod
    def from_configuration(cls, conf: dict[str, Any], image_uri: str, region: str,
                           reserved_concurrency: int | None = None) -> "FunctionSpec":
        """Build from a GetFunction `Configuration` and `Code.ImageUri` (and its `Concurrency`, if any)."""
        command = (conf.get("ImageConfigResponse", {}).get("ImageConfig", {}) or {}).get("Command") or [None]
        variables = (conf.get("Environment") or {}).get("Variables") or {}
        return cls(name=conf["FunctionName"], arn=conf["FunctionArn"], region=region, image_uri=image_uri,
                   handler=command[0], env=tuple(sorted(variables.items())),
                   memory_mb=int(conf.get("MemorySize") or 128), timeout_s=int(conf.get("Timeout") or 3),
                   architecture=(conf.get("Architectures") or ["x86_64"])[0],
                   reserved_concurrency=reserved_concurrency)


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


def _stream_name() -> str:
    return f"{datetime.now(timezone.utc):%Y/%m/%d}/[$LATEST]{secrets.token_hex(16)}"


def post_invocation(endpoint: str, payload: bytes, timeout: float) -> tuple[int | None, bytes]:
    """POST to the RIE; (None, b"") when it does not answer within `timeout` or drops the connection."""
    status, _, body = loopback_request(endpoint, "POST", INVOKE_PATH, payload, {"Content-Type": "application/json"},
                                       timeout)
    return status, body


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

    def __init__(self, logs_client: Callable[[str], Any], function_env: dict[str, str],
                 account_concurrency: int = DEFAULT_ACCOUNT_CONCURRENCY,
                 before_cold_start: Callable[[FunctionSpec], None] | None = None) -> None:
        """`logs_client(region)` gives a CloudWatch Logs client; `function_env` is added to every instance's env;
        `account_concurrency` is the account's concurrent executions quota; `before_cold_start(spec)` runs before
        a new instance starts and may refuse it by raising (the function's image left ECR, ...)."""
        self._before_cold_start = before_cold_start
        self._function_env = function_env
        self.pool = InstancePool(account_concurrency)
        self.logs = FunctionLogs(logs_client)

    def busy(self) -> bool:
        """True while any invocation runs."""
        return self.pool.busy()

    def stop_all(self) -> None:
        """Stop every instance (the stack calls this on shutdown)."""
        for inst in self.pool.drain():
            inst.stop()

    def stop_idle(self, seconds: float) -> int:
        """Stop the instances idle for more than `seconds` (Lambda recycles idle instances); how many."""
        idle = self.pool.idle_longer_than(seconds)
        for inst in idle:
            inst.stop()
        return len(idle)

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
        """Invoke synchronously (RequestResponse) in a free or new instance; raises concurrency.Throttled past
        the concurrency limits and ImageNotFound when the image is not registered."""
        slot, outdated = self.pool.acquire(spec.arn, spec, spec.reserved_concurrency, _stream_name)
        for old in outdated:
            old.stop()
        keep = False
        try:
            cold = self._ensure_instance(spec, slot)
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
            keep = not reset  # Lambda resets the instance after timeouts and runtime crashes
            self.logs.put(spec.region, spec.name, slot.stream, result.log)
            return result
        finally:
            leftover = self.pool.release(spec.arn, slot, keep)
            if leftover is not None:
                leftover.stop()

    def _ensure_instance(self, spec: FunctionSpec, slot: InstanceSlot) -> bool:
        """Give `slot` a running instance, launching one (a cold start) if it has none or it died; True if cold."""
        if slot.instance is not None and slot.instance.alive():
            return False
        if slot.instance is not None:  # died while idle: a new instance, with its own log stream
            slot.instance.stop()
            slot.instance, slot.stream = None, _stream_name()
        if self._before_cold_start is not None:
            self._before_cold_start(spec)
        rec = find_image(spec.image_uri)
        if rec is None:
            raise ImageNotFound(spec.image_uri)
        if spec.handler:
            rec = replace(rec, handler=spec.handler)
        slot.instance = launch_instance(rec, self._env(spec, slot.stream))
        return True

    def _rie_logs(self, inst: Instance, wait: bool) -> str:
        """The RIE's output for this invocation, waiting briefly for its closing REPORT line."""
        out = inst.read_logs()
        deadline = time.monotonic() + (1.0 if wait else 0)
        while "REPORT RequestId:" not in out and time.monotonic() < deadline and inst.alive():
            time.sleep(0.0005)  # it follows the answer within a millisecond or so
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
            error, reset, status_note = "Unhandled", True, "\tStatus: error\tError Type: Runtime.ExitError"
            body = _error_doc("Runtime.ExitError", f"RequestId: {rid} Error: Runtime exited without answering")
        elif status >= 500:  # the RIE's own error document (runtime exited, init failed)
            error, reset = "Unhandled", True
            kind = _error_type(body)
            status_note = f"\tStatus: error\tError Type: {kind}" if kind else ""
        elif _is_handler_error(body):
            error = "Unhandled"
        max_mb = math.ceil(peak / MiB)
        billed = math.ceil(duration + (init_ms or 0.0))  # container images: INIT is billed too
        report = format_report(Report(rid, duration, billed, spec.memory_mb, max_mb, init_ms), status_note)
        log = "\n".join([f"START RequestId: {rid} Version: $LATEST", *lines, f"END RequestId: {rid}", report]) + "\n"
        return InvokeResult(rid, body, error, log, duration, billed, max_mb, init_ms), reset

    def flush_logs(self) -> None:
        """Wait until every log record of the invocations so far is in the emulated CloudWatch Logs."""
        self.logs.flush()


def _error_type(body: bytes) -> str | None:
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    return doc.get("errorType") if isinstance(doc, dict) and isinstance(doc.get("errorType"), str) else None


def _error_doc(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()

