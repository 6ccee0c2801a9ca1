"""API Gateway's request throttling for the local HTTP APIs: token buckets per stage route and per account.

HTTP APIs throttle with the token bucket algorithm: a bucket holds up to `burst` tokens and refills at `rate`
tokens a second; each request takes one, and a request that finds its bucket empty gets `429 Too Many Requests`.
A stage's DefaultRouteSettings (ThrottlingBurstLimit, ThrottlingRateLimit) apply to each of its routes and its
RouteSettings override them per route key; the account-level limits (10,000 requests a second with a burst of
5,000, per Region) cover every API together.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

ACCOUNT_RATE, ACCOUNT_BURST = 10_000.0, 5_000  # API Gateway's account-level throttle quota per Region
Limits = tuple[float, int]  # (rate per second, burst)


class TokenBucket:
    """`burst` tokens at most, `rate` new ones a second; starts full."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self._clock = rate, burst, clock
        self._tokens, self._at = float(burst), clock()

    def take(self) -> bool:
        """Take a token if there is one (True), else False: the request is throttled."""
        now = self._clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False


def route_limits(stage: dict[str, Any], route_key: str) -> Limits | None:
    """The (rate, burst) a stage sets for one route (its RouteSettings, else DefaultRouteSettings), or None."""
    defaults = stage.get("DefaultRouteSettings") or {}
    own = (stage.get("RouteSettings") or {}).get(route_key) or {}
    rate = own.get("ThrottlingRateLimit", defaults.get("ThrottlingRateLimit"))
    burst = own.get("ThrottlingBurstLimit", defaults.get("ThrottlingBurstLimit"))
    if rate is None and burst is None:
        return None
    return (float(ACCOUNT_RATE if rate is None else rate), int(ACCOUNT_BURST if burst is None else burst))


class Throttles:
    """The buckets of every stage route (remade when its limits change) and of the account, per Region."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._routes: dict[tuple[str, str, str, str], TokenBucket] = {}
        self._accounts: dict[str, TokenBucket] = {}

    def allow(self, region: str, api_id: str, stage: str, route_key: str, limits: Limits | None) -> bool:
        """Whether one request to this route may pass (it takes a token from its route's and the account's bucket)."""
        with self._lock:
            if limits is not None:
                key = (region, api_id, stage, route_key)
                bucket = self._routes.get(key)
                if bucket is None or (bucket.rate, bucket.burst) != limits:
                    bucket = self._routes[key] = TokenBucket(*limits, clock=self._clock)
                if not bucket.take():
                    return False
            account = self._accounts.setdefault(region, TokenBucket(ACCOUNT_RATE, ACCOUNT_BURST, self._clock))
            return account.take()
