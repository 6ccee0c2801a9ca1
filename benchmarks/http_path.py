"""End to end as a user sees it: POST /translate through the local HTTP API, one client, layer by layer.

The runtimes are deployed the way 02 and 03 do it (the image into the emulated ECR and the local image store, then
helpers.deploy.deploy), on a local stack of the benchmark's own (its own KIT_HOME: the user's state, functions and
APIs are never touched; stopped afterwards). Each warm request yields three durations:
- `http`: the client's round trip through the HTTP API (what a user waits for);
- `report`: the REPORT record's Duration that the emulated Lambda wrote for that invocation;
- `handler`: the `duration` the handler reports in its answer (translation only).
`http - report` is the gateway's and the Lambda service's share; `report - handler` the runtime's (RIE, awslambdaric).
"""
from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import requests

from benchmarks.measure import summary_ms
from benchmarks.task_roots import TaskRoot
from benchmarks.workload import SENTENCE
from helpers.core.errors import KitError

# API Gateway's account-level quota (10,000 requests/s, burst 5,000): the benchmark lifts the kit's stage throttle
# (5/s, burst 10: a cost cap for a tutorial) to it, so latency is measured, not the throttle.
ACCOUNT_THROTTLE = {"ThrottlingBurstLimit": 5000, "ThrottlingRateLimit": 10000.0}


@contextmanager
def own_stack(home: Path) -> Iterator[Any]:
    """A local stack under its own KIT_HOME (`home`), stopped on exit with everything it ran."""
    from local_aws.stack.control import ensure_stack, stop_stack

    previous = os.environ.get("KIT_HOME")
    home.mkdir(parents=True, exist_ok=True)
    os.environ["KIT_HOME"] = str(home)
    try:
        yield ensure_stack()
    finally:
        try:
            stop_stack()
        finally:
            if previous is None:
                os.environ.pop("KIT_HOME", None)
            else:
                os.environ["KIT_HOME"] = previous


def publish(roots: dict[str, TaskRoot]) -> dict[str, str]:
    """Put each runtime's image into the emulated ECR and the local image store (02's path); save their URIs."""
    from helpers.build.ecr import ensure_repository, register_staged
    from helpers.core.config import get_config
    from helpers.core.state import save_state

    cfg = get_config(target="local")
    repo = ensure_repository(cfg)
    uris = {rt: register_staged(cfg, root.staged, repo).uri for rt, root in roots.items()}
    save_state(image_uris=uris)
    return uris


def deploy_runtime(runtime: str) -> Any:
    """helpers.deploy.deploy with the API in front of `runtime`'s function (03's path); the Deployment."""
    from helpers.core.config import get_config
    from helpers.deploy import deploy

    return deploy(get_config(target="local", runtime=runtime))


def _replace_stage(api_id: str, settings: dict[str, Any]) -> None:
    from helpers import aws
    from helpers.core.config import get_config
    from helpers.deploy import STAGE

    cfg = get_config(target="local")
    gw = aws.client("apigatewayv2", cfg)
    gw.delete_stage(ApiId=api_id, StageName=STAGE)  # moto has no UpdateStage for HTTP APIs: replace the stage
    gw.create_stage(ApiId=api_id, StageName=STAGE, AutoDeploy=True, DefaultRouteSettings=settings, Tags=cfg.tags)


@contextmanager
def stage_throttle(api_id: str, settings: dict[str, Any] | None) -> Iterator[None]:
    """The API's $default stage throttled at `settings` (None: as deployed) inside the block, as deployed after."""
    from helpers.deploy import THROTTLING

    if settings is None or settings == THROTTLING:
        yield
        return
    _replace_stage(api_id, settings)
    try:
        yield
    finally:
        _replace_stage(api_id, THROTTLING)


def report_durations(function: str, since_ms: int) -> list[float]:
    """Durations (ms) of the REPORT records the function's log group got since `since_ms`, in order."""
    from helpers import aws
    from helpers.core.config import get_config
    from helpers.deploy.reports import reports_in

    logs = aws.client("logs", get_config(target="local"))
    events = [e for page in logs.get_paginator("filter_log_events").paginate(
        logGroupName=f"/aws/lambda/{function}", startTime=since_ms) for e in page.get("events", [])]
    events.sort(key=lambda e: (e["timestamp"], e.get("ingestionTime", 0)))
    return [r.duration_ms for r in reports_in("\n".join(e["message"] for e in events))]


def post_translate(session: requests.Session, url: str) -> tuple[dict[str, Any], float]:
    """One POST /translate of the benchmark sentence: (answer, round-trip seconds); KitError unless a 200."""
    t0 = time.perf_counter()
    r = session.post(url, json={"sentence": SENTENCE}, timeout=35)
    elapsed = time.perf_counter() - t0
    if r.status_code != 200:
        raise KitError(f"The local HTTP API answered {r.status_code} ({r.text[:200]}): see the stack's log.")
    return r.json(), elapsed


def http_layers(url: str, function: str, n: int, warmup: int = 3, tick: Any = None) -> dict[str, Any]:
    """`n` warm requests from one client (keep-alive): summaries (ms) of http, report and handler durations."""
    session = requests.Session()
    for _ in range(warmup):  # the first one starts the instance (cold)
        post_translate(session, url + "/translate")
    since_ms = int(time.time() * 1000) - 1
    rtt, handler = [], []
    for _ in range(n):
        body, t = post_translate(session, url + "/translate")
        rtt.append(t)
        handler.append(float(body["duration"]))
        if tick:
            tick()
    session.close()
    reports = report_durations(function, since_ms)[-n:]
    return {"http": summary_ms(rtt), "report": summary_ms([d / 1000 for d in reports]) if reports else None,
            "handler": summary_ms(handler), "translation": body["en"]}


def measure_http(roots: dict[str, TaskRoot], home: Path, n: int, tick: Any = None) -> dict[str, Any]:
    """Deploy `roots` (torch, slim) on an own local stack and measure each through the HTTP API."""
    out: dict[str, Any] = {}
    with own_stack(home) as stack:
        out["stack_start_s"] = stack.start_seconds
        publish(roots)
        for runtime in roots:
            d = deploy_runtime(runtime)
            with stage_throttle(d.api.api_id, ACCOUNT_THROTTLE):
                out[runtime] = http_layers(d.url, d.functions[runtime].name, n, tick=tick)
    return out
