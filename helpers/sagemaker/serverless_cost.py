"""SageMaker Serverless Inference's monthly bill next to Lambda's, from measured durations; both price lists.

SageMaker Serverless (on-demand) bills the memory size times each request's processing time, by the millisecond
(nothing between requests, no per-request fee), plus the data processed in and out. Its free tier (150,000 seconds
a month) lasts only the first 2 months, so it is left out here; Lambda's (helpers/deploy/cost.py) does not expire.
Prices: us-east-1, as listed on the pricing pages below in 2025; other regions differ.
"""
from __future__ import annotations

import math
from typing import Any

from helpers.deploy import cost as lambda_cost
from helpers.sagemaker.invocations import Timing

SAGEMAKER_PRICING = "https://aws.amazon.com/sagemaker/pricing/ (Serverless Inference, on-demand)"
LAMBDA_PRICING = "https://aws.amazon.com/lambda/pricing/"
PRICES_AS_OF = "2025 (us-east-1)"
PRICE_PER_GB_SECOND = 0.00002  # $0.0000200 a second at 1024 MB ... $0.0001200 at 6144 MB
PRICE_PER_GB_DATA = 0.016  # data processed, in and out each
FREE_SECONDS_FIRST_2_MONTHS = 150_000


def price_rows() -> list[dict[str, Any]]:
    """The prices both services' bills use, with source and date (the notebook prints them)."""
    arch = lambda_cost.PRICE_PER_GB_SECOND
    return [
        {"service": "Lambda", "item": "compute (x86_64)", "USD": arch["x86_64"], "per": "GB-second",
         "source": LAMBDA_PRICING, "as of": PRICES_AS_OF},
        {"service": "Lambda", "item": "requests", "USD": lambda_cost.PRICE_PER_MILLION_REQUESTS, "per": "1M requests",
         "source": LAMBDA_PRICING, "as of": PRICES_AS_OF},
        {"service": "Lambda", "item": "free tier (monthly, no end)", "USD": 0.0,
         "per": f"{lambda_cost.FREE_REQUESTS:,} requests + {lambda_cost.FREE_GB_SECONDS:,} GB-s",
         "source": LAMBDA_PRICING, "as of": PRICES_AS_OF},
        {"service": "SageMaker Serverless", "item": "compute", "USD": PRICE_PER_GB_SECOND, "per": "GB-second",
         "source": SAGEMAKER_PRICING, "as of": PRICES_AS_OF},
        {"service": "SageMaker Serverless", "item": "data processed (in, out)", "USD": PRICE_PER_GB_DATA, "per": "GB",
         "source": SAGEMAKER_PRICING, "as of": PRICES_AS_OF},
        {"service": "SageMaker Serverless", "item": "free tier (first 2 months only)", "USD": 0.0,
         "per": f"{FREE_SECONDS_FIRST_2_MONTHS:,} seconds", "source": SAGEMAKER_PRICING, "as of": PRICES_AS_OF},
    ]


def serverless_monthly_usd(requests: int, billed_ms: float, memory_mb: int, bytes_per_call: int) -> float:
    """SageMaker Serverless's bill for `requests` calls of `billed_ms` at `memory_mb`, each moving `bytes_per_call`
    (request + response), without the 2-month free tier."""
    compute = requests * math.ceil(billed_ms) / 1000 * memory_mb / 1024 * PRICE_PER_GB_SECOND
    return compute + requests * bytes_per_call / 1024 ** 3 * PRICE_PER_GB_DATA


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
