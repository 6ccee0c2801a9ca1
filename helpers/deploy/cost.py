"""Lambda free-tier and monthly-cost arithmetic from a measured billed duration and memory size.

Prices: AWS Lambda pricing page (https://aws.amazon.com/lambda/pricing/), us-east-1, first pricing
tier (the first 6 billion GB-seconds a month), as listed in 2025; other regions differ slightly.
HTTP API price: https://aws.amazon.com/api-gateway/pricing/ (first 300 million requests a month).
The free tier (1M requests and 400,000 GB-seconds a month) is shared by x86_64 and arm64 functions.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from helpers.core.errors import KitError

FREE_REQUESTS = 1_000_000
FREE_GB_SECONDS = 400_000
PRICE_PER_GB_SECOND = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
PRICE_PER_MILLION_REQUESTS = 0.20
HTTP_API_PRICE_PER_MILLION = 1.00
MEMORY_RANGE_MB = (128, 10_240)


@dataclass(frozen=True)
class MonthlyCost:
    """One month of traffic for one function: usage, what the free tier leaves to pay, and the bill (USD)."""

    requests: int
    gb_seconds: float
    compute_usd: float
    requests_usd: float
    http_api_usd: float

    @property
    def lambda_usd(self) -> float:
        """What Lambda charges (compute + requests) after the free tier."""
        return self.compute_usd + self.requests_usd

    @property
    def total_usd(self) -> float:
        """Lambda plus the HTTP API in front of it."""
        return self.lambda_usd + self.http_api_usd


def _check(billed_ms: float, memory_mb: int, architecture: str = "x86_64") -> None:
    if billed_ms <= 0:
        raise KitError(f"Billed duration must be positive (got {billed_ms}): pass a measured Billed Duration in ms.")
    if not MEMORY_RANGE_MB[0] <= memory_mb <= MEMORY_RANGE_MB[1]:
        raise KitError(f"Memory {memory_mb} MB is outside Lambda's 128-10240 MB range: pass the function's MemorySize.")
    if architecture not in PRICE_PER_GB_SECOND:
        raise KitError(f"Unknown architecture {architecture!r}: use 'x86_64' or 'arm64'.")


def gb_seconds_per_request(billed_ms: float, memory_mb: int) -> float:
    """GB-seconds one request uses: billed seconds times configured memory in GB (1 GB = 1024 MB)."""
    _check(billed_ms, memory_mb)
    return billed_ms / 1000 * memory_mb / 1024


def free_requests_per_month(billed_ms: float, memory_mb: int) -> int:
    """How many requests a month stay entirely inside the free tier (the tighter of its two limits)."""
    by_compute = math.floor(FREE_GB_SECONDS / gb_seconds_per_request(billed_ms, memory_mb))
    return min(FREE_REQUESTS, by_compute)


def monthly_cost(
    requests: int, billed_ms: float, memory_mb: int, architecture: str = "x86_64", free_tier: bool = True
) -> MonthlyCost:
    """The monthly bill for `requests` calls of `billed_ms` each at `memory_mb`, after the free tier."""
    _check(billed_ms, memory_mb, architecture)
    if requests < 0:
        raise KitError(f"Requests per month must be >= 0 (got {requests}).")
    gb_s = requests * gb_seconds_per_request(billed_ms, memory_mb)
    free_gb_s, free_req = (FREE_GB_SECONDS, FREE_REQUESTS) if free_tier else (0, 0)
    return MonthlyCost(
        requests=requests,
        gb_seconds=gb_s,
        compute_usd=max(0.0, gb_s - free_gb_s) * PRICE_PER_GB_SECOND[architecture],
        requests_usd=max(0, requests - free_req) / 1e6 * PRICE_PER_MILLION_REQUESTS,
        http_api_usd=requests / 1e6 * HTTP_API_PRICE_PER_MILLION,
    )


def cost_comparison(usage: dict[str, tuple[float, int, str]], levels: list[int]) -> list[dict[str, Any]]:
    """One row per setup (label -> billed ms, memory MB, architecture): free requests a month and the Lambda bill
    in USD at each traffic level (requests a month)."""
    rows = []
    for label, (billed_ms, memory_mb, arch) in usage.items():
        row: dict[str, Any] = {"setup": label, "billed ms": float(billed_ms), "memory MB": memory_mb,
                               "GB-s per 1M calls": round(1e6 * gb_seconds_per_request(billed_ms, memory_mb), 1),
                               "free requests/month": free_requests_per_month(billed_ms, memory_mb)}
        for n in levels:
            row[f"$ at {n / 1e6:g}M"] = round(monthly_cost(n, billed_ms, memory_mb, arch).lambda_usd, 2)
        rows.append(row)
    return rows


def right_size_memory(max_memory_used_mb: int, headroom: float = 2.0) -> int:
    """A MemorySize with `headroom` times the measured peak, rounded up to 64 MB, within Lambda's range."""
    if max_memory_used_mb <= 0 or headroom < 1:
        raise KitError("Pass the measured Max Memory Used (MB > 0) and a headroom factor >= 1.")
    size = math.ceil(max_memory_used_mb * headroom / 64) * 64
    return max(MEMORY_RANGE_MB[0], min(MEMORY_RANGE_MB[1], size))
