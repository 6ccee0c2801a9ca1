"""What 03 is about to create, and what it costs a month, printed before anything is created (02's plan:
helpers.build.push_plan).

On `aws` this is the last look before resources appear in the account; on `local` it shows what the same cells
would create and cost on a real account. Estimates come from helpers.deploy.cost (prices, their source and date).
"""
from __future__ import annotations

from typing import Any

from helpers.build.push_plan import plan_header
from helpers.core.config import KitConfig
from helpers.deploy import cost
from helpers.deploy.settings import (LOG_RETENTION_DAYS, FUNCTION_MEMORY_MB, RESERVED_CONCURRENCY, THROTTLING,
                                     TIMEOUT_S, api_name, function_name, function_log_group, role_name)

TUTORIAL_REQUESTS = 1_000  # a learner's month: a few hundred calls from the notebooks, a few hundred by hand
LOG_BYTES_PER_CALL = 400  # START, END and REPORT lines plus one line of the handler's own output


def stored_gb(cfg: KitConfig) -> float:
    """GB the kit's repository stores now, as ECR bills it: every distinct layer once, the base image's included
    ("Amazon ECR pricing": storage per GB-month of the repository's data)."""
    from helpers.build.ecr import REPOSITORY
    from helpers.build.registry import stored_sizes

    return stored_sizes(cfg, cfg.name(REPOSITORY)).stored_bytes / 1e9


def planned_architecture(cfg: KitConfig) -> str:
    """The architecture cfg.runtime's function will run on: its pushed image's (02's state), x86_64 by default."""
    from helpers.core.state import load_state
    from helpers.deploy.function import image_architecture

    uri = (load_state().get("image_uris") or {}).get(cfg.runtime)
    return image_architecture(cfg, uri) if uri else "x86_64"


def deployment_plan(cfg: KitConfig, runtimes: list[str], image_gb: float | None = None,
                    architecture: str | None = None) -> list[str]:
    """03's plan: role, log groups, one function per runtime, the HTTP API; the month idle, at a tutorial's traffic,
    and at worst (the stage's throttle rate all month, every call running to the timeout). `image_gb` defaults to
    what the repository stores (base layers included); prices are the function's architecture's (arm64 is cheaper
    per GB-second: "AWS Lambda pricing")."""
    image_gb = stored_gb(cfg) if image_gb is None else image_gb
    architecture = architecture or planned_architecture(cfg)
    functions = [function_name(cfg, rt) for rt in runtimes]
    rate, burst = THROTTLING["ThrottlingRateLimit"], THROTTLING["ThrottlingBurstLimit"]
    lines = [plan_header(cfg, "03 will create"),
             f"  IAM role {role_name(cfg)} (may write only its functions' log groups)",
             *[f"  log group {function_log_group(f)} ({LOG_RETENTION_DAYS}-day retention)" for f in functions],
             *[f"  Lambda function {function_name(cfg, rt)} (image, {FUNCTION_MEMORY_MB[rt]} MB, {TIMEOUT_S} s "
               "timeout, "
               f"reserved concurrency {RESERVED_CONCURRENCY})" for rt in runtimes],
             f"  HTTP API {api_name(cfg)} ($default stage: {burst:.0f} burst, {rate:g} requests/s) in front of "
             f"{function_name(cfg)}"]
    memory = FUNCTION_MEMORY_MB[cfg.runtime]
    tutorial = cost.monthly_cost(TUTORIAL_REQUESTS, TIMEOUT_S * 1000, memory, architecture,
                                 log_bytes=LOG_BYTES_PER_CALL, image_gb=image_gb)
    worst = cost.worst_case(TIMEOUT_S * 1000, memory, architecture, rate, RESERVED_CONCURRENCY,
                            log_bytes=LOG_BYTES_PER_CALL, image_gb=image_gb)
    lines += [
        "Estimated monthly cost (prices: helpers/deploy/cost.py, checked " + cost.PRICES_CHECKED + "):",
        f"  idle: ${image_gb * cost.PRICES['ecr_storage'].usd:.2f} (functions and the API bill per request; the "
        "image is stored)",
        f"  a tutorial's month ({TUTORIAL_REQUESTS:,} requests): ${tutorial.total_usd:.2f}",
        f"  worst case, someone calling at {rate:g} requests/s all month ({worst.requests / 1e6:.1f}M requests, every "
        f"call running the full {TIMEOUT_S} s, at most {RESERVED_CONCURRENCY} at once): ${worst.total_usd:,.2f} "
        f"(HTTP API ${worst.http_api_usd:.2f}, Lambda ${worst.lambda_usd:.2f}); 03 prices it again from measured "
        "durations.",
    ]
    return lines


def measured_worst_case(usage: dict[str, Any], memory_mb: int, architecture: str, concurrency: int | None,
                        image_gb: float = 0.0) -> cost.MonthlyCost:
    """The worst case from measurements (`usage`: billed_ms, init_ms, log_bytes): the throttle rate all month."""
    return cost.worst_case(usage["billed_ms"], memory_mb, architecture, THROTTLING["ThrottlingRateLimit"],
                           concurrency or 10,  # unreserved: new accounts run at most 10 copies at once
                           init_ms=usage.get("init_ms") or 0.0, cold_fraction=cost.COLD_FRACTION,
                           log_bytes=usage.get("log_bytes", LOG_BYTES_PER_CALL), image_gb=image_gb)
