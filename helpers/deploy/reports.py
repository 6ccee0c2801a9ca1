"""Lambda's REPORT log line, read back from CloudWatch Logs and parsed: what one invocation took, billed and used.

Lambda ends every invocation's logs with a line like
`REPORT RequestId: ID  Duration: 2.12 ms  Billed Duration: 3 ms  Memory Size: 512 MB
Max Memory Used: 60 MB  Init Duration: 240.51 ms` (tab-separated; `Init Duration` only on a cold start).
"""
from __future__ import annotations

import base64
import re
import statistics
import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from helpers import aws
from helpers.core.config import KitConfig
from helpers.core.errors import KitError
from helpers.core.stats import percentile
from helpers.deploy.settings import log_group_name

LOG_DELIVERY_WAIT_S = 60  # Lambda sends its logs to CloudWatch Logs asynchronously: usually seconds, rarely more

_FIELDS = {
    "duration_ms": r"(?<!Billed )(?<!Init )(?<!Restore )Duration: ([\d.]+) ms",
    "billed_ms": r"Billed Duration: (\d+) ms",
    "memory_mb": r"Memory Size: (\d+) MB",
    "max_memory_mb": r"Max Memory Used: (\d+) MB",
}
_REQUEST_ID = re.compile(r"^REPORT RequestId: (\S+)")
_INIT = re.compile(r"Init Duration: ([\d.]+) ms")


@dataclass(frozen=True)
class Report:
    """One invocation's REPORT record; `init_ms` is set only on a cold start."""

    request_id: str
    duration_ms: float
    billed_ms: int
    memory_mb: int
    max_memory_mb: int
    init_ms: float | None = None

    @property
    def cold(self) -> bool:
        """True when this invocation started a new execution environment."""
        return self.init_ms is not None


def parse_report(line: str) -> Report:
    """Parse one REPORT line; raises KitError when the line is not a complete REPORT record."""
    text = line.strip()
    head = _REQUEST_ID.match(text)
    values = {k: re.search(p, text) for k, p in _FIELDS.items()}
    if head is None or any(m is None for m in values.values()):
        raise KitError(
            f"Not a Lambda REPORT line ({line[:60]!r}...): pass a line starting with 'REPORT RequestId:' "
            "that has Duration, Billed Duration, Memory Size and Max Memory Used."
        )
    init = _INIT.search(text)
    return Report(
        request_id=head.group(1),
        duration_ms=float(values["duration_ms"].group(1)),  # type: ignore[union-attr]
        billed_ms=int(values["billed_ms"].group(1)),  # type: ignore[union-attr]
        memory_mb=int(values["memory_mb"].group(1)),  # type: ignore[union-attr]
        max_memory_mb=int(values["max_memory_mb"].group(1)),  # type: ignore[union-attr]
        init_ms=float(init.group(1)) if init else None,
    )


def reports_in(log_text: str) -> list[Report]:
    """Every REPORT record in a block of log text (other lines are ignored)."""
    return [parse_report(line) for line in log_text.splitlines() if line.startswith("REPORT RequestId:")]


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


def report_lines(cfg: KitConfig, function_name: str, request_ids: list[str],
                 wait_s: float = LOG_DELIVERY_WAIT_S) -> list[str]:
    """The REPORT line of each invocation exactly as CloudWatch Logs holds it (/aws/lambda/NAME, read with
    FilterLogEvents), in the order of `request_ids`; waits up to `wait_s` for Lambda to deliver them."""
    logs, group = aws.client("logs", cfg), log_group_name(function_name)
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
