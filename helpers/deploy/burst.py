"""A short burst of simultaneous requests, counted by outcome: 03 uses it to show the cost caps at work.

Two caps bound what a runaway client can spend (settings.py): the HTTP API stage's throttle (a token bucket:
THROTTLING's burst, refilled at its rate) answers `429 Too Many Requests` before Lambda is even called, and the
function's reserved concurrency makes Lambda refuse (429 TooManyRequestsException) whatever would run more
copies at once; API Gateway reports that refusal to the client as a 500 (Lambda developer guide, "Handling Lambda
errors with an API Gateway API"). Both behave the same on `aws` and on `local`.
"""
from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests
from botocore.exceptions import ClientError

from helpers import aws
from helpers.core.config import KitConfig

HTTP_MEANING = {
    200: "answered",
    429: "API Gateway: the stage's throttle (the function never ran)",
    500: "Lambda refused: the reserved concurrency is in use",
    502: "the function failed",
    503: "no answer within the integration timeout",
    0: "no HTTP answer at all",
}


@dataclass(frozen=True)
class Burst:
    """How a burst went: the count of each outcome and how long it took."""

    counts: dict[Any, int]  # HTTP status (0: no answer) or invoke outcome -> how many
    seconds: float

    def rows(self, meaning: dict[Any, str] | None = None) -> list[dict[str, Any]]:
        """One table row per outcome, most frequent first, with what it means."""
        meaning = HTTP_MEANING if meaning is None else meaning
        return [{"outcome": k, "count": n, "meaning": meaning.get(k, "")}
                for k, n in sorted(self.counts.items(), key=lambda kv: -kv[1])]


def _all_at_once(n: int, concurrency: int, call: Callable[[], Any]) -> Burst:
    """Run `call` n times from `concurrency` threads released together; count what it returns."""
    gate = threading.Barrier(min(n, concurrency))

    def one(i: int) -> Any:
        if i < concurrency:
            gate.wait(timeout=30)
        return call()

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        outcomes = list(pool.map(one, range(n)))
    return Burst(dict(Counter(outcomes)), time.perf_counter() - start)


def burst(base_url: str, n: int = 40, concurrency: int = 20, path: str = "/translate",
          body: Any = None) -> Burst:
    """POST `body` (a short sentence by default) to the API `n` times from `concurrency` clients at once;
    the count of each HTTP status (0 when no answer came)."""
    url, data = base_url.rstrip("/") + path, json.dumps(body if body is not None else {"sentence": "Le chat dort."})

    def post() -> int:
        try:
            return requests.post(url, data=data, headers={"Content-Type": "application/json"}, timeout=35).status_code
        except requests.RequestException:
            return 0

    return _all_at_once(n, concurrency, post)


def invoke_burst(cfg: KitConfig, function: str, n: int = 20, concurrency: int = 20,
                 payload: Any = None) -> Burst:
    """Invoke the function directly `n` times from `concurrency` callers at once; count "ok", "function error"
    and Lambda's refusals by error code (TooManyRequestsException past the reserved concurrency)."""
    lam, data = aws.invoke_client(cfg), json.dumps(payload if payload is not None else {"sentence": "Le chat dort."})

    def invoke() -> str:
        try:
            resp = lam.invoke(FunctionName=function, Payload=data.encode())
        except ClientError as err:
            return str(err.response.get("Error", {}).get("Code", "error"))
        resp["Payload"].read()
        return "function error" if resp.get("FunctionError") else "ok"

    return _all_at_once(n, concurrency, invoke)
