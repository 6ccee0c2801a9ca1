"""Talk to the deployed translator: HTTP requests to the API, and direct invokes that return REPORT records.

`requests` talks to the API the same way on both targets; only the base URL differs.
"""
from __future__ import annotations

import json
import shlex
import time
from dataclasses import dataclass
from typing import Any

import requests

from helpers import aws
from helpers.core.config import KitConfig
from helpers.core.errors import KitError
from helpers.core.progress import progress
from helpers.deploy.reports import Report, decode_log_tail, reports_in, summarize

HTTP_TIMEOUT_S = 35  # a little over the API's own 30 s integration limit


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status code, decoded JSON body (or text), and the round-trip time."""

    status: int
    body: Any
    elapsed_ms: float


@dataclass(frozen=True)
class Invocation:
    """One direct invoke: the function's decoded result and its REPORT record."""

    result: Any
    report: Report


@dataclass(frozen=True)
class Measurement:
    """A cold start followed by warm calls of the same function."""

    function: str
    cold: Report
    warm: list[Report]


def call_api(base_url: str, method: str, path: str, body: Any = None, raw: str | None = None) -> Reply:
    """Send one request (`body` as JSON, or `raw` text as-is) and return the status and decoded answer."""
    kwargs: dict[str, Any] = {"data": raw, "headers": {"Content-Type": "application/json"}} if raw is not None \
        else ({"json": body} if body is not None else {})
    url = base_url.rstrip("/") + path
    try:
        resp = requests.request(method, url, timeout=HTTP_TIMEOUT_S, **kwargs)
    except requests.RequestException as err:
        raise KitError(f"The API at {url} did not answer ({type(err).__name__}): run the deploy cell "
                       "(and on local keep the stack running), then retry.") from err
    try:
        answer: Any = resp.json()
    except ValueError:
        answer = resp.text
    return Reply(resp.status_code, answer, resp.elapsed.total_seconds() * 1000)


def translate(base_url: str, text: str | list[str]) -> dict[str, Any]:
    """POST /translate with one sentence (`{"sentence"}`) or a batch (`{"sentences"}`); the JSON answer."""
    body = {"sentence": text} if isinstance(text, str) else {"sentences": list(text)}
    reply = call_api(base_url, "POST", "/translate", body)
    if reply.status != 200:
        raise KitError(f"The API answered {reply.status} ({reply.body}): fix the request or check the function's logs.")
    return dict(reply.body)


def curl_command(base_url: str, sentence: str) -> str:
    """The equivalent shell command (the seed's step 4), ready to paste."""
    data = json.dumps({"sentence": sentence}, ensure_ascii=False)
    return (f"curl --header \"Content-Type: application/json\" --request POST "
            f"--data {shlex.quote(data)} {base_url.rstrip('/')}/translate")


def invoke(cfg: KitConfig, function_name: str, payload: dict[str, Any]) -> Invocation:
    """Invoke the function directly with LogType=Tail; its decoded result and the REPORT record Lambda wrote."""
    with aws.aws_errors():
        resp = aws.client("lambda", cfg).invoke(
            FunctionName=function_name, Payload=json.dumps(payload).encode(), LogType="Tail")
    raw = resp["Payload"].read()
    if resp.get("FunctionError"):
        raise KitError(f"{function_name} failed ({raw[:200]!r}): read its logs in /aws/lambda/{function_name}.")
    found = reports_in(decode_log_tail(resp.get("LogResult", "")))
    if not found:
        raise KitError(f"{function_name}'s answer carried no REPORT record: invoke it with LogType='Tail'.")
    return Invocation(json.loads(raw) if raw else None, found[-1])


def force_cold_start(cfg: KitConfig, function_name: str) -> None:
    """Make the next invoke start a new execution environment (a configuration change retires warm ones)."""
    with aws.aws_errors():
        lam = aws.client("lambda", cfg)
        env = lam.get_function_configuration(FunctionName=function_name).get("Environment", {}).get("Variables", {})
        lam.update_function_configuration(
            FunctionName=function_name, Environment={"Variables": {**env, "KIT_COLD_START": str(time.time_ns())}})
        lam.get_waiter("function_updated_v2").wait(
            FunctionName=function_name, WaiterConfig={"Delay": 1 if cfg.target == "local" else 3, "MaxAttempts": 100})


def measure(cfg: KitConfig, function_name: str, payload: dict[str, Any], warm_calls: int = 50) -> Measurement:
    """One cold start, then `warm_calls` warm invokes with the same payload; every REPORT record."""
    force_cold_start(cfg, function_name)
    cold = invoke(cfg, function_name, payload).report
    if not cold.cold:
        raise KitError(f"The first call after a configuration change of {function_name} was not a cold start: re-run.")
    warm = [invoke(cfg, function_name, payload).report
            for _ in progress(range(warm_calls), desc=f"warm calls {function_name}", unit="call")]
    return Measurement(function_name, cold, warm)


def summary_rows(measurements: dict[str, Measurement]) -> list[dict[str, Any]]:
    """One row per runtime: cold start (init, billed) and warm latency, billing and peak memory."""
    rows = []
    for runtime, m in measurements.items():
        s = summarize(m.warm)
        rows.append({"runtime": runtime, "memory MB": m.cold.memory_mb, "init ms": m.cold.init_ms,
                     "cold billed ms": m.cold.billed_ms, "warm median ms": s["median_ms"], "warm p90 ms": s["p90_ms"],
                     "warm billed ms": s["mean_billed_ms"],
                     "max memory used MB": max(int(s["max_memory_mb"]), m.cold.max_memory_mb)})
    return rows
