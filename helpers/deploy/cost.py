"""The monthly bill of the deployment, from measured durations: Lambda (requests, compute including INIT), the HTTP
API, CloudWatch Logs (ingestion and storage) and ECR storage; the free tier; and the worst case.

Every price is in PRICES, with its source and the date it was checked (us-east-1; other regions differ slightly).
- Lambda bills INIT (the cold start) of container-image functions, and since 1 August 2025 of every on-demand
  function: a fraction of requests (`cold_fraction`) pays `init_ms` on top of its billed duration.
- CloudWatch Logs bills what the function writes (START/END/REPORT lines and its own output) at ingestion, then
  storage for as long as the log group keeps it (the kit sets a 7-day retention).
- The worst case: someone calls the public API at the stage's throttle limit all month; reserved concurrency caps
  the compute (at most that many copies run at once), the request charges are not capped.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from helpers.core.aws_facts.prices import (API_GATEWAY_PRICING, CLOUDWATCH_PRICING, ECR_PRICING,  # noqa: F401
                                          LAMBDA_PRICING, PRICES, PRICES_CHECKED, Price)  # re-exported: 03, 03b
from helpers.core.errors import KitError
from helpers.deploy.settings import LOG_RETENTION_DAYS

# Monthly free tier: Lambda's (always free, x86_64 and arm64 together) and CloudWatch's 5 GB of logs data.
# ECR's 500 MB-month is for the first 12 months of accounts opened before 15 July 2025 only: not counted here.
FREE_REQUESTS = 1_000_000
FREE_GB_SECONDS = 400_000
FREE_LOGS_GB = 5.0
PRICE_PER_GB_SECOND = {"x86_64": PRICES["lambda_gb_s_x86_64"].usd, "arm64": PRICES["lambda_gb_s_arm64"].usd}
PRICE_PER_MILLION_REQUESTS = PRICES["lambda_requests"].usd
HTTP_API_PRICE_PER_MILLION = PRICES["http_api_requests"].usd
MEMORY_RANGE_MB = (128, 10_240)
SECONDS_PER_MONTH = 730 * 3600  # AWS's pricing month: 730 hours
COLD_FRACTION = 0.01  # AWS: INITs typically occur in under 1% of invocations of a busy function


@dataclass(frozen=True)
class MonthlyCost:
    """One month of traffic for one function: usage, what the free tier leaves to pay, and the bill (USD)."""

    requests: int
    gb_seconds: float
    compute_usd: float
    requests_usd: float
    http_api_usd: float
    logs_usd: float = 0.0
    ecr_usd: float = 0.0

    @property
    def lambda_usd(self) -> float:
        """What Lambda charges (compute + requests) after the free tier."""
        return self.compute_usd + self.requests_usd

    @property
    def total_usd(self) -> float:
        """Lambda, the HTTP API in front of it, its logs and its stored image."""
        return self.lambda_usd + self.http_api_usd + self.logs_usd + self.ecr_usd


def price_rows() -> list[dict[str, Any]]:
    """The price table, for printing: item, price, unit, source (checked PRICES_CHECKED)."""
    return [{"item": p.item, "USD": p.usd, "unit": p.unit, "source": p.source} for p in PRICES.values()]


def _check(billed_ms: float, memory_mb: int, architecture: str = "x86_64") -> None:
    if billed_ms <= 0:
        raise KitError(f"Billed duration must be positive (got {billed_ms}): pass a measured Billed Duration in ms.")
    if not MEMORY_RANGE_MB[0] <= memory_mb <= MEMORY_RANGE_MB[1]:
        raise KitError(f"Memory {memory_mb} MB is outside Lambda's 128-10240 MB range: pass the function's MemorySize.")
    if architecture not in PRICE_PER_GB_SECOND:
        raise KitError(f"Unknown architecture {architecture!r}: use 'x86_64' or 'arm64'.")


def gb_seconds_per_request(billed_ms: float, memory_mb: int, init_ms: float = 0.0, cold_fraction: float = 0.0) -> float:
    """GB-seconds one request uses on average: (billed ms + cold_fraction x init ms) x memory in GB (1 GB = 1024 MB)."""
    _check(billed_ms, memory_mb)
    if init_ms < 0 or not 0 <= cold_fraction <= 1:
        raise KitError(f"init_ms must be >= 0 and cold_fraction within 0..1 (got {init_ms}, {cold_fraction}).")
    return (billed_ms + cold_fraction * init_ms) / 1000 * memory_mb / 1024


def free_requests_per_month(billed_ms: float, memory_mb: int, init_ms: float = 0.0, cold_fraction: float = 0.0) -> int:
    """How many requests a month stay entirely inside Lambda's free tier (the tighter of its two limits)."""
    by_compute = math.floor(FREE_GB_SECONDS / gb_seconds_per_request(billed_ms, memory_mb, init_ms, cold_fraction))
    return min(FREE_REQUESTS, by_compute)


def logs_usd(requests: int, log_bytes: float, free_tier: bool = True) -> float:
    """CloudWatch Logs for `requests` invocations writing `log_bytes` each: ingestion, then LOG_RETENTION_DAYS kept."""
    ingested_gb = requests * log_bytes / 1e9
    stored_gb = ingested_gb * LOG_RETENTION_DAYS / (SECONDS_PER_MONTH / 86400)
    free = FREE_LOGS_GB if free_tier else 0.0
    return (max(0.0, ingested_gb - free) * PRICES["logs_ingestion"].usd
            + stored_gb * PRICES["logs_storage"].usd)


def monthly_cost(
    requests: int, billed_ms: float, memory_mb: int, architecture: str = "x86_64", free_tier: bool = True, *,
    init_ms: float = 0.0, cold_fraction: float = 0.0, log_bytes: float = 0.0, image_gb: float = 0.0,
    max_gb_seconds: float | None = None,
) -> MonthlyCost:
    """The monthly bill for `requests` calls of `billed_ms` each (plus `init_ms` for `cold_fraction` of them) at
    `memory_mb`, after the free tier; with the HTTP API, `log_bytes` of logs per call and `image_gb` stored in ECR.
    `max_gb_seconds` caps the compute (reserved concurrency: at most that many copies run at once)."""
    _check(billed_ms, memory_mb, architecture)
    if requests < 0 or log_bytes < 0 or image_gb < 0:
        raise KitError(f"Requests, log bytes and image GB must be >= 0 (got {requests}, {log_bytes}, {image_gb}).")
    gb_s = requests * gb_seconds_per_request(billed_ms, memory_mb, init_ms, cold_fraction)
    if max_gb_seconds is not None:
        gb_s = min(gb_s, max_gb_seconds)
    free_gb_s, free_req = (FREE_GB_SECONDS, FREE_REQUESTS) if free_tier else (0, 0)
    return MonthlyCost(
        requests=requests,
        gb_seconds=gb_s,
        compute_usd=max(0.0, gb_s - free_gb_s) * PRICE_PER_GB_SECOND[architecture],
        requests_usd=max(0, requests - free_req) / 1e6 * PRICE_PER_MILLION_REQUESTS,
        http_api_usd=requests / 1e6 * HTTP_API_PRICE_PER_MILLION,
        logs_usd=logs_usd(requests, log_bytes, free_tier),
        ecr_usd=image_gb * PRICES["ecr_storage"].usd,
    )


def worst_case(billed_ms: float, memory_mb: int, architecture: str, rate_per_s: float, concurrency: int, *,
               init_ms: float = 0.0, cold_fraction: float = 0.0, log_bytes: float = 0.0,
               image_gb: float = 0.0) -> MonthlyCost:
    """The month if someone calls the API at the stage's throttle rate (`rate_per_s`) all month; `concurrency`
    copies at most run at once (reserved concurrency, or the account's limit), which caps the compute."""
    if rate_per_s <= 0 or concurrency < 1:
        raise KitError(f"Pass the stage's rate limit (> 0) and the concurrency cap (>= 1), got {rate_per_s}, "
                       f"{concurrency}.")
    requests = int(rate_per_s * SECONDS_PER_MONTH)
    return monthly_cost(requests, billed_ms, memory_mb, architecture, init_ms=init_ms, cold_fraction=cold_fraction,
                        log_bytes=log_bytes, image_gb=image_gb,
                        max_gb_seconds=concurrency * memory_mb / 1024 * SECONDS_PER_MONTH)


def bill_rows(c: MonthlyCost) -> list[dict[str, Any]]:
    """One row per line of the bill (USD) and the total."""
    rows = [("Lambda requests", c.requests_usd), ("Lambda compute (incl. INIT)", c.compute_usd),
            ("HTTP API requests", c.http_api_usd), ("CloudWatch Logs", c.logs_usd), ("ECR storage", c.ecr_usd),
            ("total", c.total_usd)]
    return [{"line": line, "USD / month": round(usd, 2)} for line, usd in rows]


def cost_comparison(usage: dict[str, tuple[float, int, str]], levels: list[int], init_ms: float = 0.0,
                    cold_fraction: float = 0.0) -> list[dict[str, Any]]:
    """One row per setup (label -> billed ms, memory MB, architecture): free requests a month and the Lambda bill
    in USD at each traffic level (requests a month), INIT billed for `cold_fraction` of the requests."""
    rows = []
    for label, (billed_ms, memory_mb, arch) in usage.items():
        per_request = gb_seconds_per_request(billed_ms, memory_mb, init_ms, cold_fraction)
        row: dict[str, Any] = {"setup": label, "billed ms": float(billed_ms), "memory MB": memory_mb,
                               "GB-s per 1M calls": round(1e6 * per_request, 1),
                               "free requests/month": free_requests_per_month(billed_ms, memory_mb, init_ms,
                                                                              cold_fraction)}
        for n in levels:
            row[f"$ at {n / 1e6:g}M"] = round(monthly_cost(n, billed_ms, memory_mb, arch, init_ms=init_ms,
                                                           cold_fraction=cold_fraction).lambda_usd, 2)
        rows.append(row)
    return rows


def right_size_memory(max_memory_used_mb: int, headroom: float = 2.0) -> int:
    """A MemorySize with `headroom` times the measured peak, rounded up to 64 MB, within Lambda's range."""
    if max_memory_used_mb <= 0 or headroom < 1:
        raise KitError("Pass the measured Max Memory Used (MB > 0) and a headroom factor >= 1.")
    size = math.ceil(max_memory_used_mb * headroom / 64) * 64
    return max(MEMORY_RANGE_MB[0], min(MEMORY_RANGE_MB[1], size))
