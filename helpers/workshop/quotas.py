"""The quotas that bite a room on one account, checked before the day.

- Lambda's account concurrency (GetAccountSettings: AccountLimit.ConcurrentExecutions): every attendee's function
  reserves RESERVED_CONCURRENCY, and Lambda keeps at least 100 unreserved, so a room needs
  attendees x functions x reserved + 100 ("Lambda function scaling" / PutFunctionConcurrency, Lambda Developer
  Guide). New accounts may start far below the 1,000 default: ask for an increase in Service Quotas days ahead.
- SageMaker Serverless (03b), per region: 50 serverless endpoint variants and a total serverless concurrency of
  200 by default ("Endpoints and quotas", SageMaker; some newer accounts report 10): each attendee's endpoint
  takes 1 variant and MAX_CONCURRENCY of that total.
"""
from __future__ import annotations

from typing import Any

from helpers.aws import aws_errors, client
from helpers.core.config import KitConfig
from helpers.deploy.settings import RESERVED_CONCURRENCY
from helpers.sagemaker.serverless_settings import MAX_CONCURRENCY

UNRESERVED_MINIMUM = 100
SERVERLESS_VARIANTS = 50  # default per region
SERVERLESS_CONCURRENCY = 200  # default per region (check Service Quotas: some accounts have 10)


def room_quotas(cfg: KitConfig, attendees: int, functions_each: int = 1, with_sagemaker: bool = True
                ) -> list[dict[str, Any]]:
    """One row per quota: what the room needs, what the account has, and whether it fits."""
    with aws_errors():
        limit = client("lambda", cfg).get_account_settings()["AccountLimit"]
    need = attendees * functions_each * RESERVED_CONCURRENCY + UNRESERVED_MINIMUM
    rows = [{"quota": "Lambda concurrent executions", "room needs": need, "account has": limit["ConcurrentExecutions"],
             "fits": need <= limit["ConcurrentExecutions"],
             "why": f"{attendees} x {functions_each} function(s) x {RESERVED_CONCURRENCY} reserved + "
                    f"{UNRESERVED_MINIMUM} kept unreserved"}]
    if with_sagemaker:
        rows += [
            {"quota": "SageMaker serverless endpoint variants (region)", "room needs": attendees,
             "account has": SERVERLESS_VARIANTS, "fits": attendees <= SERVERLESS_VARIANTS,
             "why": "one endpoint per attendee in 03b (default quota; see Service Quotas)"},
            {"quota": "SageMaker serverless total concurrency (region)", "room needs": attendees * MAX_CONCURRENCY,
             "account has": SERVERLESS_CONCURRENCY, "fits": attendees * MAX_CONCURRENCY <= SERVERLESS_CONCURRENCY,
             "why": f"{MAX_CONCURRENCY} per endpoint (default quota; some accounts have 10: check Service Quotas)"},
        ]
    return rows
