"""Talk to the deployed translator: HTTP requests to the API, and direct invokes that return REPORT records.

`requests` talks to the API the same way on both targets; only the base URL differs.
"""
from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

import requests
from botocore.exceptions import ClientError

from helpers import aws
from helpers.core.config import KitConfig
from helpers.core.errors import KitError
from helpers.core.progress import progress
from helpers.deploy.function import wait_until_ready, wake_if_inactive
from helpers.deploy.reports import Report, decode_log_tail, reports_in, summarize
from helpers.core.changes import error_code
from helpers.deploy.settings import HEALTH_WAIT_S

HTTP_TIMEOUT_S = 35  # a little over the API's own 30 s integration limit
COLD_START_TRIES = 3  # Lambda may initialise an environment before the call: then ask for a new one again


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
    log_bytes: int = 0  # bytes of log text the invocation wrote (START ... REPORT), as CloudWatch ingests it


@dataclass(frozen=True)
class Measurement:
    """A cold start followed by warm calls of the same function.

    `cold` is the first call after a configuration change: a cold start (its REPORT has an Init Duration) unless
    Lambda initialised the environment before the call arrived (`pre_initialised`; no Init Duration is reported).
    Calls that met a new environment among the warm ones (scaling, recycling) are kept apart in `cold_among_warm`.
    """

    function: str
    cold: Report
    warm: list[Report]
    cold_among_warm: list[Report] = field(default_factory=list)
    pre_initialised: bool = False
    log_bytes: float = 0.0  # mean log bytes per warm call


def call_api(base_url: str, method: str, path: str, body: Any = None, raw: str | None = None) -> Reply:
    """Send one request (`body` as JSON, or `raw` text as-is) and return the status and decoded answer."""
    kwargs: dict[str, Any] = {"data": raw, "headers": {"Content-Type": "application/json"}} if raw is not None \
        else ({"json": body} if body is not None else {})
    url = base_url.rstrip("/") + path
    try:
        resp = requests.request(method, url, timeout=HTTP_TIMEOUT_S, **kwargs)
    except requests.RequestException as err:
        if url.startswith(("http://127.0.0.1:", "http://localhost:")) and _local_stack_gone():
            raise KitError(f"The API at {url} did not answer ({type(err).__name__}) and no local stack runs: it "
                           "stopped (killed, or idle for 30 minutes) and its state went with it, so re-run notebooks "
                           "02 and 03 from the top.") from err
        raise KitError(f"The API at {url} did not answer ({type(err).__name__}): run the deploy cell "
                       "(and on local keep the stack running), then retry.") from err
    try:
        answer: Any = resp.json()
    except ValueError:
        answer = resp.text
    return Reply(resp.status_code, answer, resp.elapsed.total_seconds() * 1000)


def _local_stack_gone() -> bool:
    from local_aws.face import running_stack

    return running_stack() is None


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


def invoke(cfg: KitConfig, function: str, payload: dict[str, Any]) -> Invocation:
    """Invoke the function directly with LogType=Tail; its decoded result and the REPORT record Lambda wrote."""
    def call() -> dict[str, Any]:
        return dict(aws.invoke_client(cfg).invoke(FunctionName=function, Payload=json.dumps(payload).encode(),
                                                  LogType="Tail"))

    with aws.aws_errors():
        try:
            resp = call()
        except ClientError as err:  # an Inactive function refuses its first call: wake it, wait, call once more
            if error_code(err) != "ResourceConflictException" or not wake_if_inactive(
                    cfg, aws.client("lambda", cfg), function):
                raise
            resp = call()
    raw = resp["Payload"].read()
    if resp.get("FunctionError"):
        raise KitError(f"{function} failed ({raw[:200]!r}): read its logs in /aws/lambda/{function}.")
    tail = decode_log_tail(resp.get("LogResult", ""))
    found = reports_in(tail)
    if not found:
        raise KitError(f"{function}'s answer carried no REPORT record: invoke it with LogType='Tail'.")
    return Invocation(json.loads(raw) if raw else None, found[-1], len(tail.encode()))


def wake_functions(cfg: KitConfig) -> list[str]:
    """Wake the kit's functions that went Inactive (weeks without a call), before calling the API; the names woken.
    Through the HTTP API an Inactive function's first call is a 500, so the kit wakes them directly first."""
    from helpers.build.image_spec import RUNTIMES
    from helpers.deploy.settings import function_name

    lam, woken = aws.client("lambda", cfg), []
    with aws.aws_errors():
        for runtime in RUNTIMES:
            try:
                state = lam.get_function_configuration(FunctionName=function_name(cfg, runtime)).get("State")
            except lam.exceptions.ResourceNotFoundException:
                continue
            if state == "Inactive" and wake_if_inactive(cfg, lam, function_name(cfg, runtime)):
                woken.append(function_name(cfg, runtime))
    return woken


def force_function_cold_start(cfg: KitConfig, function: str) -> None:
    """Make the next invoke start a new execution environment (a configuration change retires warm ones)."""
    with aws.aws_errors():
        lam = aws.client("lambda", cfg)
        env = lam.get_function_configuration(FunctionName=function).get("Environment", {}).get("Variables", {})
        wait_until_ready(cfg, lam, function)  # an update still in progress would conflict
        lam.update_function_configuration(
            FunctionName=function, Environment={"Variables": {**env, "KIT_COLD_START": str(time.time_ns())}})
        wait_until_ready(cfg, lam, function)


def measure(cfg: KitConfig, function: str, payload: dict[str, Any], warm_calls: int = 50) -> Measurement:
    """One cold start, then `warm_calls` more invokes with the same payload; every REPORT record.

    A first call without Init Duration (Lambda pre-initialised the environment) is retried with a new environment
    up to COLD_START_TRIES times, then accepted as `pre_initialised`; cold calls among the warm ones are set apart.
    """
    for _ in range(COLD_START_TRIES):
        force_function_cold_start(cfg, function)
        first = invoke(cfg, function, payload).report
        if first.cold:
            break
    calls = [invoke(cfg, function, payload)
             for _ in progress(range(warm_calls), desc=f"warm calls {function}", unit="call")]
    warm = [c for c in calls if not c.report.cold]
    return Measurement(function, first, [c.report for c in warm], [c.report for c in calls if c.report.cold],
                       pre_initialised=not first.cold,
                       log_bytes=sum(c.log_bytes for c in warm) / len(warm) if warm else 0.0)


def wait_until_healthy(base_url: str, timeout_s: float = HEALTH_WAIT_S, sleep: Any = time.sleep,
                       now: Any = time.monotonic) -> Reply:
    """Poll `GET /health` with back-off until it answers 200 (a new API needs a moment, the first call is a cold
    start); the 200 reply, or a KitError after about `timeout_s`."""
    url, deadline, delay, last = base_url.rstrip("/") + "/health", now() + timeout_s, 0.5, "no answer"
    while True:
        try:
            resp = requests.get(url, timeout=max(1.0, min(HTTP_TIMEOUT_S, deadline - now())))
            if resp.status_code == 200:
                return Reply(200, resp.json(), resp.elapsed.total_seconds() * 1000)
            last = f"HTTP {resp.status_code}: {resp.text[:120]}"
        except (requests.RequestException, ValueError) as err:
            last = type(err).__name__
        if now() + delay > deadline:
            raise KitError(f"The API at {base_url} did not answer GET /health with 200 within {timeout_s:.0f} s "
                           f"(last: {last}): read the function's logs (/aws/lambda/...), then re-run the deploy cell.")
        sleep(delay)
        delay = min(delay * 2, 8.0)


def summary_rows(measurements: dict[str, Measurement]) -> list[dict[str, Any]]:
    """One row per runtime: cold start (init, billed) and warm latency, billing and peak memory."""
    rows = []
    for runtime, m in measurements.items():
        s = summarize(m.warm)
        rows.append({"runtime": runtime, "memory MB": m.cold.memory_mb,
                     "init ms": "pre-initialised" if m.pre_initialised else m.cold.init_ms,
                     "cold billed ms": m.cold.billed_ms, "warm median ms": s["median_ms"], "warm p90 ms": s["p90_ms"],
                     "warm billed ms": s["mean_billed_ms"], "cold among warm": len(m.cold_among_warm),
                     "max memory used MB": max(int(s["max_memory_mb"]), m.cold.max_memory_mb)})
    return rows


# ---------------------------------------------------------------- 03's cells: the curl step


def invoke_permissions(cfg: KitConfig, function: str) -> list[str]:
    """The function's resource policy, one line per statement: who may invoke it, from which source ARN."""
    lam = aws.client("lambda", cfg)
    with aws.aws_errors():
        try:
            statements = json.loads(lam.get_policy(FunctionName=function)["Policy"])["Statement"]
        except lam.exceptions.ResourceNotFoundException:
            return []
    lines = []
    for s in statements:
        principal = s.get("Principal", {})
        who = principal.get("Service", principal) if isinstance(principal, dict) else principal
        source = s.get("Condition", {}).get("ArnLike", {}).get("AWS:SourceArn", "any source")
        lines.append(f"{s.get('Sid')}: {who} may call {s.get('Action')} from {source}")
    return lines


def run_curl(command: str) -> Any:
    """Run a `curl_command` line in a subprocess and print what curl printed (the API's answer); the decoded
    JSON, or None after saying so when curl is not installed."""
    if shutil.which("curl") is None:
        print("curl is not installed on this machine (e.g. `apt-get install curl`); the cells below send the same "
              "request with `requests`.")
        return None
    try:
        proc = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=HTTP_TIMEOUT_S + 5,
                              check=False)
    except subprocess.TimeoutExpired:
        raise KitError(f"curl got no answer within {HTTP_TIMEOUT_S + 5} s: check that the API is deployed "
                       "(and on local that the stack runs), then re-run.") from None
    if proc.returncode != 0:
        detail = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
        raise KitError(f"curl failed ({detail}): check the URL it printed, then re-run.")
    print(proc.stdout)
    try:
        return json.loads(proc.stdout)
    except ValueError:
        return proc.stdout
