"""What 02 is about to create, and what it costs a month, printed before anything is created.

On `aws` this is the last look before resources appear in the account; on `local` it shows what the same cells
would create and cost on a real account. Prices: helpers.core.aws_facts.prices (their source and date).
"""
from __future__ import annotations

from helpers.core.aws_facts.prices import PRICES
from helpers.core.config import KitConfig


def plan_header(cfg: KitConfig, what: str) -> str:
    """A plan's first line: what will be created, and where (an AWS region, or the emulator)."""
    where = (f"AWS account, region {cfg.region}" if cfg.target == "aws"
             else "the local emulator (nothing is billed; on a real account it would be the same resources)")
    return f"{what} in {where}:"


def image_plan(cfg: KitConfig, repository: str, images_mb: dict[str, float]) -> list[str]:
    """02's plan: the repository and one image per runtime (`images_mb`: tag -> MB of layers to store)."""
    gb = sum(images_mb.values()) / 1000
    lines = [plan_header(cfg, "02 will create"),
             f"  ECR repository {repository} (tagged, scanned as the registry is configured, a policy letting Lambda pull for "
             f"{cfg.name('translator-*')})"]
    lines += [f"  image {tag}: about {mb:.0f} MB of layers" for tag, mb in images_mb.items()]
    lines.append(f"Estimated monthly cost: ECR storage {gb:.2f} GB x ${PRICES['ecr_storage'].usd:.2f}/GB-month = "
                 f"${gb * PRICES['ecr_storage'].usd:.2f} (plus the Lambda base image's layers when built with "
                 "an engine, stored once); free within ECR's free tier where it applies (500 MB-month, first 12 "
                 "months, accounts opened before 15 July 2025).")
    return lines


def print_plan(lines: list[str]) -> None:
    """Print a plan, one line each."""
    print(*lines, sep="\n")
