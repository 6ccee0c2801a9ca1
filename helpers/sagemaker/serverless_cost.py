"""SageMaker Serverless Inference's monthly bill next to Lambda's, from measured durations; both services' prices.

SageMaker Serverless (on-demand) bills the memory size times each request's processing time, by the millisecond
(nothing between requests, no per-request fee), plus the data processed in and out. Its free tier (150,000 seconds
a month) lasts only the first 2 months, so it is left out here; Lambda's (helpers/deploy/cost.py) does not expire.
Prices follow helpers/deploy/cost.py's table (`Price`: item, USD, unit, source), us-east-1: the free tier as checked
on SAGEMAKER_PRICES_CHECKED, the compute and data rates as the pricing page listed them in 2025 (the stored copy of the
page here shows only the free tier); other regions differ.
"""
from __future__ import annotations

import math
from typing import Any

from helpers.deploy import cost as lambda_cost
from helpers.deploy.cost import Price
from helpers.sagemaker.invocations import Timing

SAGEMAKER_PRICING = "https://aws.amazon.com/sagemaker/pricing/"
SAGEMAKER_PRICES_CHECKED = "2026-11-26"
SAGEMAKER_PRICES: dict[str, Price] = {
    "serverless_gb_s": Price("SageMaker Serverless compute ($0.00002/s at 1024 MB ... $0.00012/s at 6144 MB)",
                             0.00002, "per GB-second", SAGEMAKER_PRICING),
    "serverless_data": Price("SageMaker Serverless data processed (in, and out)", 0.016, "per GB", SAGEMAKER_PRICING),
}
FREE_SECONDS_FIRST_2_MONTHS = 150_000  # of serverless inference duration: first 2 months only, not counted here


def price_rows() -> list[dict[str, Any]]:
    """Both services' prices used in 03b's comparison, with their sources and the dates they were checked."""
    lambda_items = ("lambda_gb_s_x86_64", "lambda_gb_s_arm64", "lambda_requests")
    rows = [{"service": "Lambda", "item": lambda_cost.PRICES[k].item, "USD": lambda_cost.PRICES[k].usd,
             "unit": lambda_cost.PRICES[k].unit, "source": lambda_cost.PRICES[k].source,
             "checked": lambda_cost.PRICES_CHECKED} for k in lambda_items]
    return rows + [{"service": "SageMaker Serverless", "item": p.item, "USD": p.usd, "unit": p.unit, "source": p.source,
                    "checked": SAGEMAKER_PRICES_CHECKED} for p in SAGEMAKER_PRICES.values()]


def serverless_monthly_usd(requests: int, billed_ms: float, memory_mb: int, bytes_per_call: int) -> float:
    """SageMaker Serverless's bill for `requests` calls of `billed_ms` at `memory_mb`, each moving `bytes_per_call`
    (request + response), without the 2-month free tier."""
    compute = requests * math.ceil(billed_ms) / 1000 * memory_mb / 1024 * SAGEMAKER_PRICES["serverless_gb_s"].usd
    return compute + requests * bytes_per_call / 1024 ** 3 * SAGEMAKER_PRICES["serverless_data"].usd


def monthly_usd(timing: Timing, requests: int, bytes_per_call: int, architecture: str = "x86_64") -> float:
    """The measured service's monthly bill at `requests` a month (Lambda after its free tier, no HTTP API)."""
    if timing.service == "Lambda":
        return lambda_cost.monthly_cost(requests, timing.billed_ms, timing.memory_mb, architecture).lambda_usd
    return serverless_monthly_usd(requests, timing.billed_ms, timing.memory_mb, bytes_per_call)


def cost_rows(timings: list[Timing], levels: list[int], bytes_per_call: int,
              architecture: str = "x86_64") -> list[dict[str, Any]]:
    """One row per service: billed ms and memory per warm call, and the monthly bill at each traffic level."""
    rows = []
    for t in timings:
        row: dict[str, Any] = {"service": t.service, "billed ms": round(t.billed_ms, 2), "memory MB": t.memory_mb}
        for n in levels:
            row[f"$ at {n / 1e6:g}M"] = round(monthly_usd(t, n, bytes_per_call, architecture), 2)
        rows.append(row)
    return rows
