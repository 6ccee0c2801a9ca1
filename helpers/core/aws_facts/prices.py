"""AWS's published prices the kit estimates bills with (us-east-1; other regions differ slightly), each with its
source and the date it was checked. Both 02 (ECR storage) and 03/03b/04 (Lambda, HTTP API, logs) price from here."""
from __future__ import annotations

from dataclasses import dataclass

PRICES_CHECKED = "2026-11-26"
LAMBDA_PRICING = "https://aws.amazon.com/lambda/pricing/"
API_GATEWAY_PRICING = "https://aws.amazon.com/api-gateway/pricing/"
CLOUDWATCH_PRICING = "https://aws.amazon.com/cloudwatch/pricing/"
ECR_PRICING = "https://aws.amazon.com/ecr/pricing/"


@dataclass(frozen=True)
class Price:
    """One published price (USD), what it is per, and where it comes from."""

    item: str
    usd: float
    unit: str
    source: str


PRICES: dict[str, Price] = {
    "lambda_gb_s_x86_64": Price("Lambda compute, x86_64", 0.0000166667, "per GB-second", LAMBDA_PRICING),
    "lambda_gb_s_arm64": Price("Lambda compute, arm64", 0.0000133334, "per GB-second", LAMBDA_PRICING),
    "lambda_requests": Price("Lambda requests", 0.20, "per million requests", LAMBDA_PRICING),
    "http_api_requests": Price("API Gateway HTTP API requests", 1.00, "per million (first 300 million)",
                               API_GATEWAY_PRICING),
    "logs_ingestion": Price("CloudWatch Logs ingestion (Lambda logs, first tier)", 0.50, "per GB", CLOUDWATCH_PRICING),
    "logs_storage": Price("CloudWatch Logs storage", 0.03, "per GB-month", CLOUDWATCH_PRICING),
    "ecr_storage": Price("ECR private repository storage", 0.10, "per GB-month", ECR_PRICING),
}
