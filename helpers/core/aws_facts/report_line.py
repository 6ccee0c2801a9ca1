"""Lambda's REPORT log line, the one writer and the one parser (AWS Lambda Developer Guide, "Using CloudWatch Logs
with Lambda": the platform's REPORT line ends every invocation's logs).

`REPORT RequestId: ID\tDuration: 2.12 ms\tBilled Duration: 3 ms\tMemory Size: 512 MB\tMax Memory Used: 60 MB\t
Init Duration: 240.51 ms` (tab-separated; `Init Duration` only on a cold start; a failed invocation adds
`Status: error` / `Status: timeout` and `Error Type: ...`). The emulated Lambda writes it, 03 parses it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from helpers.core.errors import KitError

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


def format_report(r: Report, status_note: str = "") -> str:
    """The REPORT line of `r` as Lambda writes it (`status_note`: a failed invocation's "\tStatus: ..." fields)."""
    line = (f"REPORT RequestId: {r.request_id}\tDuration: {r.duration_ms:.2f} ms\tBilled Duration: {r.billed_ms} ms\t"
            f"Memory Size: {r.memory_mb} MB\tMax Memory Used: {r.max_memory_mb} MB")
    if r.init_ms is not None:
        line += f"\tInit Duration: {r.init_ms:.2f} ms"
    return line + status_note
