"""Free-tier and monthly cost arithmetic, checked against cases computed by hand."""
from __future__ import annotations

import pytest

from helpers.deploy.cost import (cost_comparison, free_requests_per_month, gb_seconds_per_request, monthly_cost,
                          right_size_memory)
from helpers.core.errors import KitError


def test_gb_seconds_per_request():
    assert gb_seconds_per_request(1000, 1024) == 1.0
    assert gb_seconds_per_request(100, 128) == 0.0125
    assert gb_seconds_per_request(4, 512) == 0.002


@pytest.mark.parametrize("billed_ms, memory_mb, expected", [
    (100, 128, 1_000_000),    # 0.0125 GB-s: compute would allow 32M, the 1M request limit binds
    (1000, 1024, 400_000),    # 1 GB-s each: 400,000 GB-s / 1
    (2000, 2048, 100_000),    # 4 GB-s each
    (300, 5000, 273_066),     # the seed's memory: 1.46484375 GB-s each -> floor(273066.67)
])
def test_free_requests_per_month(billed_ms, memory_mb, expected):
    assert free_requests_per_month(billed_ms, memory_mb) == expected


def test_inside_the_free_tier_costs_nothing():
    c = monthly_cost(500_000, 100, 128)
    assert c.gb_seconds == 6250 and c.lambda_usd == 0
    assert c.http_api_usd == pytest.approx(0.5)


def test_ten_million_one_second_calls_at_1gb():
    c = monthly_cost(10_000_000, 1000, 1024, "x86_64")
    assert c.gb_seconds == 10_000_000
    assert c.compute_usd == pytest.approx(9_600_000 * 0.0000166667)  # 160.00032
    assert c.requests_usd == pytest.approx(1.8)
    assert c.lambda_usd == pytest.approx(161.80032)
    assert c.total_usd == pytest.approx(171.80032)
    assert monthly_cost(10_000_000, 1000, 1024, "arm64").compute_usd == pytest.approx(128.00064)


def test_without_free_tier():
    c = monthly_cost(1_000_000, 100, 128, free_tier=False)
    assert c.compute_usd == pytest.approx(12_500 * 0.0000166667)
    assert c.requests_usd == pytest.approx(0.2)


def test_cost_comparison_rows():
    rows = cost_comparison({"1s at 1GB": (1000, 1024, "x86_64"), "arm": (1000, 1024, "arm64")},
                           [1_000_000, 10_000_000])
    assert rows[0] == {"setup": "1s at 1GB", "billed ms": 1000.0, "memory MB": 1024, "GB-s per 1M calls": 1e6,
                       "free requests/month": 400_000, "$ at 1M": round(600_000 * 0.0000166667, 2),
                       "$ at 10M": 161.8}
    assert rows[1]["$ at 10M"] == round(128.00064 + 1.8, 2)


@pytest.mark.parametrize("peak, headroom, expected", [(100, 2.0, 256), (30, 2.0, 128), (6000, 2.0, 10_240),
                                                      (300, 1.5, 512)])  # 450 -> next 64 MB step
def test_right_size_memory(peak, headroom, expected):
    assert right_size_memory(peak, headroom) == expected


@pytest.mark.parametrize("call", [
    lambda: gb_seconds_per_request(100, 64),
    lambda: gb_seconds_per_request(0, 512),
    lambda: monthly_cost(10, 100, 512, "sparc"),
    lambda: monthly_cost(-1, 100, 512),
    lambda: right_size_memory(0),
])
def test_bad_input_raises_kit_error(call):
    with pytest.raises(KitError):
        call()
