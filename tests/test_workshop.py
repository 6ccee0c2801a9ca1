"""Attendees on one shared account, offline: three deploy at once, each sees only their own, A cannot touch B's
resources (cleanup or direct deletes: AccessDenied, B's API keeps answering), the facilitator's sweep leaves 0;
and CI's rehearsal of a 5-attendee day."""
from __future__ import annotations

from dataclasses import replace

import pytest
from botocore.exceptions import ClientError

from helpers.aws import client
from helpers.cleanup import delete_kit_resources, find_kit_resources
from helpers.core.config import get_config
from helpers.core.errors import KitError
from helpers.deploy.calls import call_api
from helpers.workshop.attendees import attendee_config, create_attendee, ensure_boundary
from helpers.workshop.rehearsal import rehearse, simulate_attendees
from helpers.workshop.budget import ensure_budget
from helpers.workshop.quotas import room_quotas
from helpers.workshop.room import room_table
from helpers.workshop.room_sweep import prove_room_empty, room_inventory, sweep_room

NAMES = ["ws-ada", "ws-bob", "ws-cy"]


@pytest.fixture(scope="module")
def room(local_stack):
    """Three attendees who deployed at the same time, and each one's config (their own key)."""
    cfg = get_config()
    days = simulate_attendees(cfg, NAMES, calls=2)
    assert [(d.prefix, d.ok, d.errors) for d in days] == [(n, 2, []) for n in NAMES]
    boundary = ensure_boundary(cfg)
    return cfg, {d.prefix: d for d in days}, {n: attendee_config(cfg, create_attendee(cfg, n), boundary)
                                              for n in NAMES}


def denied(call) -> str:
    with pytest.raises(ClientError) as err:
        call()
    return err.value.response["Error"]["Code"]


def test_each_attendee_sees_only_their_own(room) -> None:
    _, _, configs = room
    for name, cfg in configs.items():
        found = find_kit_resources(cfg)
        assert found["lambda_functions"] == [f"{name}-translator-slim"]
        assert [a.split(" (")[0] for a in found["http_apis"]] == [f"{name}-translator-api"]
        assert found["ecr_repositories"] == [f"{name}-translator"] and found["iam_roles"] == [
            f"{name}-translator-role"]
    ada = configs["ws-ada"]
    assert denied(lambda: client("lambda", ada).get_function(FunctionName="ws-bob-translator-slim")) == \
        "AccessDeniedException"


def test_a_cannot_clean_up_or_delete_b(room) -> None:
    cfg, days, configs = room
    ada, bob_url = configs["ws-ada"], days["ws-bob"].url
    as_bob = replace(ada, prefix="ws-bob", tags={**ada.tags, "kit-prefix": "ws-bob"})  # A's 04 on B's prefix
    with pytest.raises(KitError, match="AccessDenied"):
        delete_kit_resources(as_bob)
    bob_api = find_kit_resources(replace(cfg, prefix="ws-bob", tags={**cfg.tags, "kit-prefix": "ws-bob"}))
    api_id = bob_api["http_apis"][0].rsplit("(", 1)[1].rstrip(")")
    lam, gw, ecr, logs, sm = (client(s, ada) for s in ("lambda", "apigatewayv2", "ecr", "logs", "sagemaker"))
    assert denied(lambda: lam.delete_function(FunctionName="ws-bob-translator-slim")) == "AccessDeniedException"
    assert denied(lambda: gw.delete_api(ApiId=api_id)) == "AccessDeniedException"
    assert denied(lambda: ecr.batch_delete_image(repositoryName="ws-bob-translator",
                                                 imageIds=[{"imageTag": "slim-rehearsal"}])) == "AccessDeniedException"
    assert denied(lambda: ecr.delete_repository(repositoryName="ws-bob-translator", force=True)) == \
        "AccessDeniedException"
    assert denied(lambda: logs.delete_log_group(logGroupName="/aws/lambda/ws-bob-translator-slim")) == \
        "AccessDeniedException"
    assert denied(lambda: sm.delete_endpoint(EndpointName="ws-bob-translator")) == "AccessDeniedException"
    assert denied(lambda: client("iam", ada).delete_role(RoleName="ws-bob-translator-role")) == "AccessDenied"
    assert call_api(bob_url, "GET", "/health").status == 200  # B's API still answers
    assert sum(map(len, find_kit_resources(replace(cfg, prefix="ws-bob", tags={**cfg.tags, "kit-prefix": "ws-bob"}))
                   .values())) == 5  # nothing of B's went
    own = sm.delete_endpoint  # A's own (absent) endpoint: allowed through, SageMaker says it is not there
    assert denied(lambda: own(EndpointName="ws-ada-translator")) == "ValidationException"


def test_an_attendee_cannot_create_untagged_or_escalate(room) -> None:
    _, _, configs = room
    ada = configs["ws-ada"]
    assert denied(lambda: client("ecr", ada).create_repository(repositoryName="ws-ada-other")) == \
        "AccessDeniedException"  # no kit-prefix tag
    iam = client("iam", ada)
    assert denied(lambda: iam.create_role(RoleName="ws-ada-admin", AssumeRolePolicyDocument="{}",
                                          Tags=[{"Key": "kit-prefix", "Value": "ws-ada"}])) == "AccessDenied"
    assert denied(lambda: iam.delete_role_permissions_boundary(RoleName="ws-ada-translator-role")) == "AccessDenied"
    assert denied(lambda: client("budgets", ada).describe_budgets(AccountId="123456789012")) == \
        "AccessDeniedException"


def test_quotas_and_budget_before_the_day(room) -> None:
    cfg, _, _ = room
    lam = client("lambda", cfg).get_account_settings()["AccountLimit"]  # moto lacks it: local_aws answers
    assert lam["UnreservedConcurrentExecutions"] == lam["ConcurrentExecutions"] - 3 * 5  # 3 functions reserve 5
    quotas = room_quotas(cfg, attendees=len(NAMES))
    assert quotas[0]["room needs"] == 3 * 5 + 100 and all(q["fits"] for q in quotas)
    assert not room_quotas(cfg, attendees=400)[0]["fits"]  # 400 x 5 + 100 > the 1,000 default
    budget = ensure_budget(cfg, 30.0, "facilitator@example.com")
    assert (budget["BudgetName"], budget["BudgetLimit"]) == ("ltk-workshop-budget", {"Amount": "30.00", "Unit": "USD"})
    ada = room[2]["ws-ada"]
    assert denied(lambda: client("budgets", ada).delete_budget(AccountId="123456789012",
                                                               BudgetName="ltk-workshop-budget")) == \
        "AccessDeniedException"


def test_the_facilitator_sees_the_room_and_the_sweep_leaves_nothing(room) -> None:
    cfg, _, _ = room
    table = room_table(cfg, NAMES, budget_usd=30.0)
    assert [(r["prefix"], r["resources"], r["API /health"]) for r in table] == [(n, 5, "200") for n in NAMES]
    assert all(r["calls"] >= 3 and r["over share"] == "" for r in table)  # /health on deploy + 2 translations
    assert sorted(room_inventory(cfg)["resources"]) == NAMES
    sweep_room(cfg)
    assert prove_room_empty(cfg) == {"kit resources": 0, "attendee users": 0, "budgets": 0, "boundary policies": 0}


def test_ci_rehearses_a_day_of_five_attendees(local_stack) -> None:
    """The rehearsal CI runs (benchmarks.rehearse_room runs 30): 0 errors, the table filled, nothing left."""
    done = rehearse(get_config(), attendees=5, calls=3, budget_usd=25.0)
    assert done.errors == []
    assert [r["API /health"] for r in done.table] == ["200"] * 5
    assert done.left == {"kit resources": 0, "attendee users": 0, "budgets": 0, "boundary policies": 0}
