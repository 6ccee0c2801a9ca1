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


# ------------------------------------------------------------------ the whole bill (issue 12): one price table,
# INIT billing, logs, HTTP API, ECR storage, and the worst case at the throttle limit


def test_every_price_is_in_one_table_with_its_source_and_date():
    import re

    from helpers.deploy import cost

    assert re.fullmatch(r"\d{4}-\d\d-\d\d", cost.PRICES_CHECKED)
    assert {"lambda_gb_s_x86_64", "lambda_gb_s_arm64", "lambda_requests", "http_api_requests", "logs_ingestion",
            "logs_storage", "ecr_storage"} <= set(cost.PRICES)
    assert all(p.source.startswith("https://aws.amazon.com/") and p.usd > 0 for p in cost.PRICES.values())
    assert cost.PRICE_PER_GB_SECOND["x86_64"] == cost.PRICES["lambda_gb_s_x86_64"].usd  # derived, not repeated
    assert [r["item"] for r in cost.price_rows()] == [p.item for p in cost.PRICES.values()]


def test_init_is_billed_for_the_cold_fraction_of_requests():
    c = monthly_cost(1_000_000, 10, 1024, init_ms=1000, cold_fraction=0.01, free_tier=False)
    assert c.gb_seconds == pytest.approx(1_000_000 * (10 + 0.01 * 1000) / 1000)  # 20,000 GB-s
    assert free_requests_per_month(10, 1024, init_ms=1000, cold_fraction=0.01) == 1_000_000
    assert free_requests_per_month(100, 1024, init_ms=10_000, cold_fraction=0.1) == 363_636  # 1.1 GB-s each


def test_logs_http_api_and_ecr_are_on_the_bill():
    from helpers.deploy.cost import LOG_RETENTION_DAYS, SECONDS_PER_MONTH

    c = monthly_cost(100_000_000, 5, 512, log_bytes=500, image_gb=0.3)
    ingested = 100_000_000 * 500 / 1e9  # 50 GB
    stored = ingested * LOG_RETENTION_DAYS / (SECONDS_PER_MONTH / 86400)
    assert c.logs_usd == pytest.approx((ingested - 5) * 0.50 + stored * 0.03)
    assert c.ecr_usd == pytest.approx(0.03) and c.http_api_usd == pytest.approx(100.0)
    assert c.total_usd == pytest.approx(c.lambda_usd + 100.0 + c.logs_usd + 0.03)


def test_worst_case_is_the_throttle_rate_all_month_with_compute_capped_by_concurrency():
    from helpers.deploy.cost import SECONDS_PER_MONTH, worst_case

    w = worst_case(30_000, 512, "x86_64", rate_per_s=5.0, concurrency=5)
    assert w.requests == 5 * SECONDS_PER_MONTH == 13_140_000
    assert w.gb_seconds == 5 * 0.5 * SECONDS_PER_MONTH  # 5 copies busy all month, not 13M x 15 GB-s
    assert w.compute_usd == pytest.approx((w.gb_seconds - 400_000) * 0.0000166667)
    assert w.requests_usd == pytest.approx(12.14 * 0.2) and w.http_api_usd == pytest.approx(13.14)
    cheap = worst_case(5, 512, "x86_64", rate_per_s=5.0, concurrency=5)
    assert cheap.compute_usd == 0 and cheap.total_usd == pytest.approx(12.14 * 0.2 + 13.14)


def test_plans_name_every_resource_and_the_monthly_cost(kit_home):
    from helpers.core.config import get_config
    from helpers.build.push_plan import image_plan
    from helpers.deploy.plan import deployment_plan

    cfg = get_config(target="local", prefix="ws1")
    text = "\n".join(deployment_plan(cfg, ["slim", "torch"], image_gb=0.31))
    for name in ("ws1-translator-role", "/aws/lambda/ws1-translator-slim", "ws1-translator-torch", "ws1-translator-api",
                 "7-day retention", "worst case", "13.1M requests"):
        assert name in text
    assert "nothing is billed" in text and "$0.03" in text  # idle: the stored image
    lines = image_plan(cfg, "ws1-translator", {"slim-v1": 52.0, "torch-v1": 257.0})
    assert "ws1-translator (tagged, scanned as the registry is configured" in lines[1] and "$0.03" in lines[-1] and "15 July 2025" in lines[-1]
