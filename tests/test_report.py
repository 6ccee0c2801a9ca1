"""REPORT line parsing: cold and warm records, log tails, malformed input."""
from __future__ import annotations

import base64

import pytest

from helpers.core.errors import KitError
from helpers.core.tables import text_table
from helpers.deploy.reports import Report, decode_log_tail, parse_report, reports_in, summarize

COLD = ("REPORT RequestId: 3604209a-e9a3-11e6-939a-754dd98c7be3\tDuration: 12.34 ms\tBilled Duration: 259 ms\t"
        "Memory Size: 512 MB\tMax Memory Used: 98 MB\tInit Duration: 245.67 ms\t")
WARM = ("REPORT RequestId: 5c2d4b1e-0000-4000-8000-000000000001\tDuration: 3.50 ms\tBilled Duration: 4 ms\t"
        "Memory Size: 512 MB\tMax Memory Used: 99 MB\t")


def test_cold_line_has_every_field_and_init():
    r = parse_report(COLD)
    assert r == Report("3604209a-e9a3-11e6-939a-754dd98c7be3", 12.34, 259, 512, 98, 245.67)
    assert r.cold


def test_warm_line_has_no_init():
    r = parse_report(WARM)
    assert (r.duration_ms, r.billed_ms, r.memory_mb, r.max_memory_mb) == (3.5, 4, 512, 99)
    assert r.init_ms is None and not r.cold


def test_duration_is_not_confused_with_billed_or_init_when_reordered():
    line = ("REPORT RequestId: abc\tInit Duration: 900.00 ms\tBilled Duration: 1000 ms\tDuration: 99.90 ms\t"
            "Memory Size: 128 MB\tMax Memory Used: 60 MB")
    r = parse_report(line)
    assert (r.duration_ms, r.billed_ms, r.init_ms) == (99.9, 1000, 900.0)


def test_reports_in_a_log_tail_skip_other_lines():
    tail = f"START RequestId: x Version: $LATEST\nsome print\nEND RequestId: x\n{COLD}\nSTART ...\n{WARM}\n"
    found = reports_in(decode_log_tail(base64.b64encode(tail.encode()).decode()))
    assert [r.cold for r in found] == [True, False]
    assert reports_in("START RequestId: x\nEND RequestId: x\n") == []


@pytest.mark.parametrize("bad", [
    "",
    "hello world",
    "REPORT RequestId: x\tDuration: abc ms\tBilled Duration: 4 ms\tMemory Size: 512 MB\tMax Memory Used: 9 MB",
    "REPORT RequestId: x\tDuration: 3.5 ms\tBilled Duration: 4 ms\tMemory Size: 512 MB",
    "START RequestId: x\tDuration: 3.5 ms\tBilled Duration: 4 ms\tMemory Size: 512 MB\tMax Memory Used: 9 MB",
])
def test_malformed_lines_raise_a_kit_error(bad):
    with pytest.raises(KitError, match="Not a Lambda REPORT line"):
        parse_report(bad)


def test_summarize_hand_computed():
    reports = [parse_report(WARM.replace("3.50", f"{d:.2f}")) for d in range(1, 11)]  # 1..10 ms
    s = summarize(reports)
    assert s["calls"] == 10 and s["median_ms"] == 5.5 and s["p90_ms"] == pytest.approx(9.1) and s["max_ms"] == 10.0
    assert s["mean_billed_ms"] == 4 and s["max_memory_mb"] == 99 and s["memory_mb"] == 512
    with pytest.raises(KitError):
        summarize([])


def test_text_table_aligns_columns():
    table = text_table([{"runtime": "slim", "ms": 3.25, "MB": 1024, "init": None},
                        {"runtime": "torch", "ms": 12.0, "MB": 2048, "init": 1.5}])
    assert table.splitlines() == [
        "runtime  ms    MB     init",
        "-------  ----  -----  ----",
        "slim      3.2  1,024     -",
        "torch    12.0  2,048   1.5",
    ]
    assert text_table([]) == "(no rows)"
