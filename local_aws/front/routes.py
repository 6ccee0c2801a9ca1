"""The front's dispatch table: what the stack answers itself in front of moto, one row per hook.

Each row is a name, a predicate on the request and a hook with one signature, `hook(server, request)`, that
returns a WSGI answer or None (not answered here: the next row is tried). Rows are tried in order; moto answers
what no row does. Adding a service, or correcting moto where AWS behaves otherwise, is adding rows here with the
hook in the service's sub-package (as moto maps URLs to handlers in each service's urls.py).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from helpers.core.aws_facts.account import ACCOUNT_ID
from local_aws.awslambda import account_settings
from local_aws.ecr.ecr_hooks import refuse_invalid_policy, untag_on_retag
from local_aws.front.moto_gaps import update_stage
from local_aws.iam.iam_enforcement import enforce
from local_aws.sagemaker.control_plane import SageMakerApi

INVOKE = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")


@dataclass(frozen=True)
class FrontRequest:
    """A request to the front endpoint, with what the rows match on."""

    environ: dict
    start_response: Callable[..., Any]
    region: str  # from the request's signature (us-east-1 when unsigned)
    method: str
    path: str
    target: str  # X-Amz-Target (JSON 1.1 operations); "" for REST calls


@dataclass(frozen=True)
class Row:
    """One hook in front of moto."""

    name: str
    matches: Callable[[FrontRequest], bool]
    hook: Callable[[Any, FrontRequest], Any]  # (the stack's Server, the request) -> WSGI answer | None


ROWS: tuple[Row, ...] = (
    Row("IAM: a call signed with an IAM user's key (a workshop's attendee) is authorized by their policies first",
        lambda r: True, lambda s, r: enforce(r.environ, r.start_response, ACCOUNT_ID)),
    Row("the stack's clock (04 advances it; ECR lifecycle rules run)", lambda r: r.path == "/_kit/clock",
        lambda s, r: s.clock.wsgi(r.environ, r.start_response)),
    Row("ECR PutLifecyclePolicy: refuse what ECR refuses", lambda r: r.target.endswith(".PutLifecyclePolicy"),
        lambda s, r: refuse_invalid_policy(r.environ, r.start_response)),
    Row("ECR PutImage: a moved tag leaves the old image untagged (then moto answers)",
        lambda r: r.target.endswith(".PutImage"), lambda s, r: untag_on_retag(r.environ, r.region, ACCOUNT_ID)),
    Row("SageMaker: the control plane as AWS answers it, and InvokeEndpoint",
        lambda r: bool(SageMakerApi.operation(r.environ)),
        lambda s, r: s.sagemaker.app(r.environ, r.start_response, s.moto)),
    Row("Lambda GetAccountSettings (moto lacks it)",
        lambda r: r.method == "GET" and r.path == account_settings.PATH,
        lambda s, r: account_settings.answer(r.environ, r.start_response, r.region, ACCOUNT_ID)),
    Row("API Gateway UpdateStage (moto lacks it)", lambda r: r.method == "PATCH",
        lambda s, r: update_stage(r.environ, r.start_response, r.region, ACCOUNT_ID)),
    Row("Lambda: function states (Pending, Active, Failed) over moto's control plane", lambda r: True,
        lambda s, r: s.states.handle(s.moto, r.environ, r.start_response, r.region)),
    Row("Lambda Invoke: run the function", lambda r: r.method == "POST" and INVOKE.match(r.path) is not None,
        lambda s, r: s.invoke_wsgi(r)),
)


def dispatch(server: Any, request: FrontRequest, rows: tuple[Row, ...] = ROWS) -> Any:
    """The first answer of a matching row's hook, else moto's."""
    for row in rows:
        if row.matches(request) and (answer := row.hook(server, request)) is not None:
            return answer
    return server.moto(request.environ, request.start_response)
