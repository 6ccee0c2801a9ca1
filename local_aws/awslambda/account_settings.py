"""Lambda's GetAccountSettings (GET /2016-08-19/account-settings), which moto lacks: the account's concurrency quota
(KIT_LOCAL_ACCOUNT_CONCURRENCY, the one concurrency.py enforces) and what the functions' reservations leave
unreserved. Lambda API Reference, GetAccountSettings / AccountLimit: ConcurrentExecutions,
UnreservedConcurrentExecutions (Lambda keeps at least 100 unreserved)."""
from __future__ import annotations

import json
from typing import Any

from local_aws.front.wsgi import respond
from local_aws.awslambda.concurrency import account_concurrency

PATH = "/2016-08-19/account-settings"


def account_settings(region: str, account: str) -> dict[str, Any]:
    from moto.awslambda.models import lambda_backends

    functions = list(lambda_backends[account][region].list_functions())
    reserved = sum(int(f.reserved_concurrency or 0) for f in functions)
    limit = account_concurrency()
    return {"AccountLimit": {"TotalCodeSize": 80 * 1024 ** 3, "CodeSizeUnzipped": 262144000,
                             "CodeSizeZipped": 52428800, "ConcurrentExecutions": limit,
                             "UnreservedConcurrentExecutions": limit - reserved},
            "AccountUsage": {"TotalCodeSize": 0, "FunctionCount": len(functions)}}


def answer(environ: dict, start_response: Any, region: str, account: str) -> Any | None:
    """The GetAccountSettings answer, or None for any other request."""
    if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "GET":
        return None
    return respond(start_response, 200, {"content-type": "application/json"},
                   json.dumps(account_settings(region, account)).encode())
