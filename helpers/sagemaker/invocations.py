"""Calls to the serverless endpoint, and the same measurement for it and for the Lambda function.

- `invoke`: one InvokeEndpoint through the sagemaker SDK (`Endpoint.invoke`). A model's 4xx/5xx reaches the caller as
  a ModelError (HTTP 424) carrying the container's status and body; it is returned here as a `Reply` with that
  status and body, like the HTTP API's answers in 03.
- `measure_endpoint` / `measure_function`: one cold start (after a configuration change), then warm calls, timed on
  the client with the same boto3 layer for both services (the SDK's own per-call validation would otherwise count
  against SageMaker). Server-side numbers come from each service's own report: Lambda's REPORT lines, SageMaker's
  CloudWatch metrics (`ModelSetupTime` for a cold start, `ModelLatency` per call, published per minute).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from botocore.exceptions import ClientError

from helpers import aws
from helpers.core.config import KitConfig
from helpers.core.errors import KitError
from helpers.core.progress import progress
from helpers.deploy import calls
from helpers.deploy.calls import Reply
from helpers.sagemaker.sdk import sdk_args
from helpers.sagemaker.serverless_settings import CONTENT_TYPE, POLL_S, VARIANT

METRICS_WAIT_S = {"aws": 600.0, "local": 30.0}  # CloudWatch shows SageMaker's per-minute metrics after a minute or two


@dataclass(frozen=True)
class Timing:
    """One service measured: a cold start and warm calls, on the client (ms) and as the service reports them (ms)."""

    service: str
    resource: str
    memory_mb: int
    cold_client_ms: float
    warm_client_ms: list[float]
    setup_ms: float | None  # readying a new container: Lambda's Init Duration, SageMaker's ModelSetupTime (None: warm)
    warm_server_ms: float  # mean per warm call: Lambda's Duration, SageMaker's ModelLatency
    billed_ms: float  # mean billed per warm call (SageMaker bills the call's duration by the millisecond)
    notes: list[str] = field(default_factory=list)


def invoke(cfg: KitConfig, endpoint: str, body: Any = None, raw: str | None = None) -> Reply:
    """POST `body` (as JSON) or `raw` text to the endpoint with the SDK; the model's status and decoded answer."""
    from sagemaker.core.resources import Endpoint

    data = raw if raw is not None else json.dumps(body)
    start = time.perf_counter()
    try:
        with aws.aws_errors():
            out = Endpoint.get(endpoint_name=endpoint, **sdk_args(cfg)).invoke(
                body=data, content_type=CONTENT_TYPE, accept=CONTENT_TYPE)
        status, text = 200, out.body.read() if hasattr(out.body, "read") else out.body
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") != "ModelError":
            raise
        status, text = int(err.response.get("OriginalStatusCode", 0)), err.response.get("OriginalMessage", "")
    elapsed = (time.perf_counter() - start) * 1000
    try:
        answer: Any = json.loads(text)
    except ValueError:
        answer = text.decode() if isinstance(text, bytes) else text
    return Reply(status, answer, elapsed)


def _timed(call: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return (time.perf_counter() - start) * 1000, result


def measure_function(cfg: KitConfig, function: str, payload: dict[str, Any], warm_calls: int = 30) -> Timing:
    """The Lambda function: a cold start after a configuration change, then `warm_calls` calls (REPORT records)."""
    calls.force_function_cold_start(cfg, function)
    cold_ms, first = _timed(lambda: calls.invoke(cfg, function, payload))
    warm = [_timed(lambda: calls.invoke(cfg, function, payload))
            for _ in progress(range(warm_calls), desc=f"warm calls {function}", unit="call")]
    reports = [inv.report for _, inv in warm]
    cold = first.report
    return Timing("Lambda", function, cold.memory_mb, cold_ms, [ms for ms, _ in warm],
                  cold.init_ms,
                  sum(r.duration_ms for r in reports) / len(reports), sum(r.billed_ms for r in reports) / len(reports),
                  [] if cold.init_ms is not None else ["no Init Duration: Lambda had initialised the environment"])


def measure_endpoint(cfg: KitConfig, endpoint: str, memory_mb: int, payload: dict[str, Any],
                     warm_calls: int = 30) -> Timing:
    """The endpoint, right after an update (new capacity): the first call, then `warm_calls` calls; CloudWatch's
    ModelSetupTime and ModelLatency for the same calls. Call `force_endpoint_cold_start` first."""
    client, data = aws.invoke_client(cfg, "sagemaker-runtime"), json.dumps(payload).encode()

    def call() -> bytes:
        with aws.aws_errors():
            return bytes(client.invoke_endpoint(EndpointName=endpoint, Body=data, ContentType=CONTENT_TYPE,
                                                Accept=CONTENT_TYPE)["Body"].read())

    since = datetime.now(timezone.utc)  # CloudWatch rounds it down to the minute: the update took longer than that
    cold_ms, _ = _timed(call)
    warm = [_timed(call)[0] for _ in progress(range(warm_calls), desc=f"warm calls {endpoint}", unit="call")]
    metrics = endpoint_metrics(cfg, endpoint, since, expected_calls=warm_calls + 1)
    latency = metrics["ModelLatency"]
    setup = metrics.get("ModelSetupTime")
    notes = [] if setup else ["no ModelSetupTime: SageMaker had capacity ready, the first call was warm"]
    return Timing("SageMaker Serverless", endpoint, memory_mb, cold_ms, warm,
                  setup["max"] / 1000 if setup else None, latency["mean"] / 1000,
                  max(1.0, latency["mean"] / 1000), notes)


def endpoint_metrics(cfg: KitConfig, endpoint: str, since: datetime,
                     expected_calls: int) -> dict[str, dict[str, float]]:
    """SageMaker's per-call metrics of `endpoint` since `since` (microseconds): {name: {count, mean, max}}, once
    CloudWatch holds at least `expected_calls` ModelLatency samples (it publishes them a minute or two late)."""
    cw = aws.client("cloudwatch", cfg)
    dims = [{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": VARIANT}]
    deadline = time.monotonic() + METRICS_WAIT_S[cfg.target]
    while True:
        found: dict[str, dict[str, float]] = {}
        for name in ("ModelLatency", "ModelSetupTime"):
            with aws.aws_errors():
                points = cw.get_metric_statistics(
                    Namespace="AWS/SageMaker", MetricName=name, Dimensions=dims, StartTime=since,
                    EndTime=datetime.now(timezone.utc) + timedelta(minutes=1), Period=60,
                    Statistics=["SampleCount", "Average", "Maximum"])["Datapoints"]
            count = sum(p["SampleCount"] for p in points)
            if count:
                found[name] = {"count": count, "mean": sum(p["Average"] * p["SampleCount"] for p in points) / count,
                               "max": max(p["Maximum"] for p in points)}
        if found.get("ModelLatency", {}).get("count", 0) >= expected_calls:
            return found
        if time.monotonic() > deadline:
            raise KitError(f"CloudWatch has no ModelLatency for {expected_calls} calls of {endpoint} after "
                           f"{METRICS_WAIT_S[cfg.target]:.0f} s: re-run this cell in a few minutes.")
        time.sleep(POLL_S[cfg.target] * 2)
