"""The room's budget (AWS Budgets): a monthly cost budget for the kit's spending with an e-mail alert at a threshold.

AWS Budgets API (boto3 `budgets`): CreateBudget with NotificationsWithSubscribers (ACTUAL cost GREATER_THAN a
PERCENTAGE threshold, EMAIL subscriber), DescribeBudgets, DeleteBudget ("AWS Budgets API Reference"). A budget
alerts, it never stops spending: the throttle and reserved concurrency of each attendee's API cap that. The local
target answers these calls with moto's budgets backend (it stores the budget and notifications; it sends no e-mail).
"""
from __future__ import annotations

from typing import Any

from helpers.aws import aws_errors, client
from helpers.core.config import KitConfig


def budget_name(cfg: KitConfig) -> str:
    return cfg.name("workshop-budget")


def _account(cfg: KitConfig) -> str:
    return str(client("sts", cfg).get_caller_identity()["Account"])


def ensure_budget(cfg: KitConfig, limit_usd: float, email: str, alert_percent: float = 80.0) -> dict[str, Any]:
    """The workshop's monthly cost budget with an e-mail alert at `alert_percent` (replaced when it exists)."""
    budgets, account, name = client("budgets", cfg), _account(cfg), budget_name(cfg)
    with aws_errors():
        delete_budget(cfg)
        budgets.create_budget(
            AccountId=account,
            Budget={"BudgetName": name, "BudgetLimit": {"Amount": f"{limit_usd:.2f}", "Unit": "USD"},
                    "TimeUnit": "MONTHLY", "BudgetType": "COST"},
            NotificationsWithSubscribers=[{
                "Notification": {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN",
                                 "Threshold": alert_percent, "ThresholdType": "PERCENTAGE"},
                "Subscribers": [{"SubscriptionType": "EMAIL", "Address": email}]}])
    found = find_budget(cfg)
    assert found is not None
    return found


def find_budget(cfg: KitConfig) -> dict[str, Any] | None:
    """The workshop's budget as AWS Budgets describes it, or None."""
    budgets = client("budgets", cfg)
    with aws_errors():
        try:
            return dict(budgets.describe_budget(AccountId=_account(cfg), BudgetName=budget_name(cfg))["Budget"])
        except budgets.exceptions.NotFoundException:
            return None


def delete_budget(cfg: KitConfig) -> bool:
    """Delete the workshop's budget; True if there was one."""
    budgets = client("budgets", cfg)
    with aws_errors():
        try:
            budgets.delete_budget(AccountId=_account(cfg), BudgetName=budget_name(cfg))
            return True
        except budgets.exceptions.NotFoundException:
            return False
