"""REPORT line parsing: cold and warm records, log tails, malformed input."""
from __future__ import annotations

import base64
import time

import pytest

import boto3
from moto import mock_aws

import helpers.aws as aws
import helpers.deploy.reports as reports_module
from helpers.core.config import get_config
from helpers.core.errors import KitError
from helpers.core.tables import text_table
from helpers.deploy.reports import Report, decode_log_tail, parse_report, report_lines, reports_in, summarize

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


# ---------------------------------------------------------------- reading REPORT lines back from CloudWatch Logs

COLD_ID, WARM_ID = COLD.split()[2], WARM.split()[2]
GROUP = "/aws/lambda/ltk-translator-slim"


@pytest.fixture
def logs(kit_home, monkeypatch):
    """moto's CloudWatch Logs behind helpers.aws.client; returns a function that writes events to GROUP."""
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        client = boto3.client("logs", region_name="us-east-1")
        monkeypatch.setattr(aws, "client", lambda service, cfg=None: boto3.client(service, region_name="us-east-1"))

        def write(*messages: str) -> None:
            try:
                client.create_log_group(logGroupName=GROUP)
                client.create_log_stream(logGroupName=GROUP, logStreamName="2026/01/01/[$LATEST]abc")
            except client.exceptions.ResourceAlreadyExistsException:
                pass
            client.put_log_events(logGroupName=GROUP, logStreamName="2026/01/01/[$LATEST]abc",
                                  logEvents=[{"timestamp": int(time.time() * 1000) + i, "message": m}
                                             for i, m in enumerate(messages)])
        yield write


def test_report_lines_are_the_stored_lines_in_request_order(logs):
    logs(f"START RequestId: {COLD_ID} Version: $LATEST", f"hello from {WARM_ID}", COLD + "\n",
         f"END RequestId: {COLD_ID}", WARM + "\n")
    cfg = get_config(target="aws", region="us-east-1")
    assert report_lines(cfg, "ltk-translator-slim", [WARM_ID, COLD_ID], wait_s=0) == [WARM, COLD]


def test_report_lines_wait_for_delivery(logs, monkeypatch):
    naps: list[float] = []

    def deliver_while_sleeping(seconds: float) -> None:  # the group appears, then the line arrives
        naps.append(seconds)
        logs(COLD)

    monkeypatch.setattr(reports_module.time, "sleep", deliver_while_sleeping)
    cfg = get_config(target="aws", region="us-east-1")
    assert report_lines(cfg, "ltk-translator-slim", [COLD_ID], wait_s=30) == [COLD]
    assert naps == [2.0]


def test_report_lines_missing_is_a_clear_error(logs):
    logs(COLD)
    cfg = get_config(target="aws", region="us-east-1")
    with pytest.raises(KitError, match=f"No REPORT line for request {WARM_ID} in {GROUP}"):
        report_lines(cfg, "ltk-translator-slim", [COLD_ID, WARM_ID], wait_s=0)
    with pytest.raises(KitError, match="No REPORT line for request"):
        report_lines(cfg, "ltk-translator-nothing", [COLD_ID], wait_s=0)
