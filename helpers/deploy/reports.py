"""Lambda's REPORT log line read back from CloudWatch Logs, and summarized: what invocations took, billed and used.

The line's format, its parser and its writer: helpers.core.aws_facts.report_line (Report, parse_report and
reports_in are re-exported here for 03).
"""
from __future__ import annotations

import base64
import statistics
import time

from botocore.exceptions import ClientError

from helpers import aws
from helpers.core.config import KitConfig
from helpers.core.aws_facts.report_line import Report, parse_report, reports_in  # noqa: F401 - re-exported for 03
from helpers.core.errors import KitError
from helpers.core.stats import percentile
from helpers.deploy.settings import function_log_group

LOG_DELIVERY_WAIT_S = 60  # Lambda sends its logs to CloudWatch Logs asynchronously: usually seconds, rarely more

def decode_log_tail(log_result: str) -> str:
    """The text of an invoke response's `LogResult` (base64 of the last 4 KB of logs)."""
    return base64.b64decode(log_result).decode("utf-8", errors="replace")


def summarize(reports: list[Report]) -> dict[str, float]:
    """Median / p90 / max duration, mean billed duration and peak memory of a list of reports."""
    if not reports:
        raise KitError("No REPORT records to summarize: invoke the function at least once first.")
    durations = [r.duration_ms for r in reports]
    return {
        "calls": len(reports),
        "median_ms": percentile(durations, 50),
        "p90_ms": percentile(durations, 90),
        "max_ms": max(durations),
        "mean_billed_ms": statistics.fmean(r.billed_ms for r in reports),
        "max_memory_mb": max(r.max_memory_mb for r in reports),
        "memory_mb": reports[-1].memory_mb,
    }


def report_lines(cfg: KitConfig, function: str, request_ids: list[str],
                 wait_s: float = LOG_DELIVERY_WAIT_S) -> list[str]:
    """The REPORT line of each invocation exactly as CloudWatch Logs holds it (/aws/lambda/NAME, read with
    FilterLogEvents), in the order of `request_ids`; waits up to `wait_s` for Lambda to deliver them."""
    logs, group = aws.client("logs", cfg), function_log_group(function)
    found: dict[str, str] = {}
    deadline = time.monotonic() + wait_s
    while True:
        for rid in (r for r in request_ids if r not in found):
            head = f"REPORT RequestId: {rid}"
            try:
                with aws.aws_errors():
                    for page in logs.get_paginator("filter_log_events").paginate(
                            logGroupName=group, filterPattern=f'"{head}"'):  # a quoted term: this exact phrase
                        found.update({rid: e["message"].rstrip("\n") for e in page.get("events", [])
                                      if e["message"].startswith(head)})
            except ClientError as err:
                if err.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                    raise  # a missing log group only means Lambda has not delivered the first logs yet
        if len(found) == len(set(request_ids)) or time.monotonic() >= deadline:
            break
        time.sleep(0.2 if cfg.target == "local" else 2.0)
    missing = [r for r in request_ids if r not in found]
    if missing:
        raise KitError(f"No REPORT line for request {missing[0]} in {group} after {wait_s:.0f} s: invoke the "
                       "function again (the logs may still be on their way), then re-run this cell.")
    return [found[r] for r in request_ids]
