"""Deploy the pushed image: execution role, Lambda function(s), HTTP API, invoke permission, stage.

Every step looks up what exists first and updates it, so re-running `deploy` (like re-running
`sam deploy`) converges on the same resources and never duplicates them. The same code runs on
both targets; only `helpers.aws.client` knows whether it talks to AWS or to the local stack.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from botocore.exceptions import ClientError
from tqdm import tqdm

from . import aws
from .config import KitConfig
from .errors import KitError
from .state import load_state, save_state

BASIC_EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
}
# Sized from measurements (03_deploy_lambda): peak memory 74 MB (slim) / 312 MB (torch), warm calls take
# milliseconds, a torch cold start seconds (CPU share grows with memory, and init must finish within 10 s);
# the seed's 5000 MB / 300 s only raised the price of every second.
MEMORY_MB = {"slim": 512, "torch": 1024}
TIMEOUT_S = 30  # an HTTP API waits at most 30 s for its integration, so a longer timeout only bills stuck calls
RESERVED_CONCURRENCY = 5  # at most 5 copies run at once: a runaway client cannot run up the bill
THROTTLING = {"ThrottlingBurstLimit": 10, "ThrottlingRateLimit": 5.0}
CORS = {"AllowOrigins": ["*"], "AllowMethods": ["GET", "POST", "OPTIONS"],
        "AllowHeaders": ["content-type"], "MaxAge": 300}
ROUTES = ("POST /translate", "GET /health")
STAGE = "$default"
INTEGRATION_TIMEOUT_MS = 29_000
ROLE_RETRY_S = 120  # IAM is eventually consistent: a new role can take a few seconds to be assumable


@dataclass
class Changes:
    """What a deploy run did, resource by resource ("function ltk-translator-slim")."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Function:
    """A deployed function's settings as Lambda reports them."""

    name: str
    arn: str
    runtime: str
    image_uri: str
    architecture: str
    memory_mb: int
    timeout_s: int
    reserved_concurrency: int | None


@dataclass(frozen=True)
class HttpApi:
    """An API Gateway HTTP API: its id, name and (on aws) its https endpoint."""

    api_id: str
    name: str
    endpoint: str


@dataclass
class Deployment:
    """Everything `deploy` set up, plus the URL to call."""

    role_arn: str
    functions: dict[str, Function]
    api: HttpApi
    url: str
    changes: Changes


def role_name(cfg: KitConfig) -> str:
    """The execution role's name, e.g. `ltk-translator-role`."""
    return cfg.name("translator-role")


def function_name(cfg: KitConfig, runtime: str | None = None) -> str:
    """One function per runtime, e.g. `ltk-translator-slim`."""
    return cfg.name(f"translator-{runtime or cfg.runtime}")


def api_name(cfg: KitConfig) -> str:
    """The HTTP API's name, e.g. `ltk-translator-api`."""
    return cfg.name("translator-api")


def _waiter_config(cfg: KitConfig) -> dict[str, int]:
    return {"Delay": 5, "MaxAttempts": 60} if cfg.target == "aws" else {"Delay": 1, "MaxAttempts": 60}


def _error_code(err: ClientError) -> str:
    return err.response.get("Error", {}).get("Code", "")


def ensure_role(cfg: KitConfig, changes: Changes) -> str:
    """The execution role (trusts Lambda, may only write its logs), created or brought up to date; its ARN."""
    iam, name = aws.client("iam", cfg), role_name(cfg)
    tags = [{"Key": k, "Value": v} for k, v in cfg.tags.items()]
    try:
        role = iam.get_role(RoleName=name)["Role"]
        if role.get("AssumeRolePolicyDocument") != TRUST_POLICY:
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(TRUST_POLICY))
        iam.tag_role(RoleName=name, Tags=tags)
        changes.updated.append(f"role {name}")
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST_POLICY), Tags=tags,
            Description="lambda-torch-kit translator: write its own CloudWatch logs, nothing else",
        )["Role"]
        iam.get_waiter("role_exists").wait(RoleName=name, WaiterConfig=_waiter_config(cfg))
        changes.created.append(f"role {name}")
    attached = {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]}
    if BASIC_EXECUTION_POLICY not in attached:
        iam.attach_role_policy(RoleName=name, PolicyArn=BASIC_EXECUTION_POLICY)
    return role["Arn"]


def image_architecture(cfg: KitConfig, image_uri: str) -> str:
    """The CPU architecture the image was built for (local image store, or what 02 saved; x86_64 by default)."""
    if cfg.target == "local":
        from .local.images import find_image

        rec = find_image(image_uri)
        if rec is not None:
            return rec.architecture
    return str(load_state().get("image_architectures", {}).get(image_uri, "x86_64"))


def _retry_until_role_assumable(cfg: KitConfig, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run `call`, retrying while Lambda says the brand-new role "cannot be assumed" (IAM propagation)."""
    deadline, delay = time.monotonic() + ROLE_RETRY_S, 2.0
    while True:
        try:
            return call()
        except ClientError as err:
            retryable = _error_code(err) == "InvalidParameterValueException" and "assumed" in str(err)
            if not retryable or time.monotonic() > deadline:
                if retryable:
                    raise KitError(f"Lambda still cannot assume role {role_name(cfg)} after {ROLE_RETRY_S} s: "
                                   "wait a minute for IAM to propagate, then re-run the deploy cell.") from err
                raise
            time.sleep(delay)
            delay = min(delay * 2, 15.0)


def ensure_function(
    cfg: KitConfig, runtime: str, image_uri: str, role_arn: str, changes: Changes,
    memory_mb: int | None = None, timeout_s: int = TIMEOUT_S,
) -> Function:
    """Create the runtime's image function, or update its code and configuration; wait until it is ready."""
    lam, name = aws.client("lambda", cfg), function_name(cfg, runtime)
    arch = image_architecture(cfg, image_uri)
    settings = {
        "Role": role_arn, "MemorySize": memory_mb or MEMORY_MB[runtime], "Timeout": timeout_s,
        "Environment": {"Variables": {"MODEL_RUNTIME": runtime}},
        "Description": f"lambda-torch-kit French-to-English translator ({runtime} runtime)",
    }
    wait = {"FunctionName": name, "WaiterConfig": _waiter_config(cfg)}
    try:
        current = lam.get_function(FunctionName=name)["Configuration"]
    except lam.exceptions.ResourceNotFoundException:
        current = None
    if current is None:
        _retry_until_role_assumable(cfg, lambda: lam.create_function(
            FunctionName=name, PackageType="Image", Code={"ImageUri": image_uri},
            Architectures=[arch], Tags=cfg.tags, **settings))
        lam.get_waiter("function_active_v2").wait(**wait)
        changes.created.append(f"function {name}")
    else:
        if current.get("PackageType") != "Image":
            raise KitError(f"Function {name} exists but is not an image function: delete it (04_cleanup) "
                           "or choose another KIT_PREFIX, then re-run.")
        lam.update_function_code(FunctionName=name, ImageUri=image_uri, Architectures=[arch])
        lam.get_waiter("function_updated_v2").wait(**wait)
        lam.update_function_configuration(FunctionName=name, **settings)
        lam.get_waiter("function_updated_v2").wait(**wait)
        lam.tag_resource(Resource=current["FunctionArn"], Tags=cfg.tags)
        changes.updated.append(f"function {name}")
    conf = lam.get_function_configuration(FunctionName=name)
    return Function(
        name=name, arn=conf["FunctionArn"], runtime=runtime, image_uri=image_uri,
        architecture=conf.get("Architectures", [arch])[0], memory_mb=conf["MemorySize"],
        timeout_s=conf["Timeout"], reserved_concurrency=_cap_concurrency(lam, name, changes),
    )


def _cap_concurrency(lam: Any, name: str, changes: Changes) -> int | None:
    """Reserve RESERVED_CONCURRENCY for the function; accounts with a low quota refuse, then the stage throttle caps."""
    try:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=RESERVED_CONCURRENCY)
        return RESERVED_CONCURRENCY
    except ClientError as err:
        if _error_code(err) != "InvalidParameterValueException" or "Concurren" not in str(err):
            raise
        changes.notes.append(
            f"{name}: this account's concurrency quota is too low to reserve {RESERVED_CONCURRENCY} (new accounts "
            "get 10), so it runs unreserved and the API stage throttling is the cost cap; raise the quota in "
            "Service Quotas to enable the reservation.")
        return None


def ensure_http_api(cfg: KitConfig, fn: Function, changes: Changes) -> HttpApi:
    """The HTTP API in front of `fn`: proxy integration, both routes, throttled $default stage, invoke permission."""
    gw, name = aws.client("apigatewayv2", cfg), api_name(cfg)
    found = [a for a in aws.pages(gw.get_apis, "Items") if a["Name"] == name]
    if len(found) > 1:
        raise KitError(f"There are {len(found)} HTTP APIs named {name}: "
                       "delete the extra ones (04_cleanup), then re-run.")
    if found:
        api = found[0]
        if api.get("CorsConfiguration") != CORS:
            gw.update_api(ApiId=api["ApiId"], CorsConfiguration=CORS)
        gw.tag_resource(ResourceArn=f"arn:aws:apigateway:{cfg.region}::/apis/{api['ApiId']}", Tags=cfg.tags)
        changes.updated.append(f"http-api {name}")
    else:
        api = gw.create_api(Name=name, ProtocolType="HTTP", CorsConfiguration=CORS, Tags=cfg.tags,
                            Description="lambda-torch-kit translator API")
        changes.created.append(f"http-api {name}")
    api_id = api["ApiId"]
    target = f"integrations/{_ensure_integration(gw, api_id, fn.arn, changes)}"
    routes = {r["RouteKey"]: r for r in aws.pages(gw.get_routes, "Items", ApiId=api_id)}
    for key in ROUTES:
        if key not in routes:
            gw.create_route(ApiId=api_id, RouteKey=key, Target=target)
            changes.created.append(f"route {key}")
        elif routes[key].get("Target") != target:
            gw.update_route(ApiId=api_id, RouteId=routes[key]["RouteId"], Target=target)
            changes.updated.append(f"route {key}")
    _ensure_stage(cfg, gw, api_id, changes)
    _ensure_invoke_permission(cfg, fn, api_id, changes)
    return HttpApi(api_id=api_id, name=name, endpoint=api["ApiEndpoint"])


def _ensure_integration(gw: Any, api_id: str, function_arn: str, changes: Changes) -> str:
    """The API's one Lambda proxy integration (payload format 2.0) pointing at `function_arn`; its id."""
    wanted = {"IntegrationUri": function_arn, "PayloadFormatVersion": "2.0",
              "TimeoutInMillis": INTEGRATION_TIMEOUT_MS}
    existing = [i for i in aws.pages(gw.get_integrations, "Items", ApiId=api_id) if i["IntegrationType"] == "AWS_PROXY"]
    if not existing:
        made = gw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationMethod="POST", **wanted)
        changes.created.append("integration lambda-proxy")
        return made["IntegrationId"]
    integ = existing[0]
    if any(integ.get(k) != v for k, v in wanted.items()):
        gw.update_integration(ApiId=api_id, IntegrationId=integ["IntegrationId"], **wanted)
        changes.updated.append("integration lambda-proxy")
    return integ["IntegrationId"]


def _ensure_stage(cfg: KitConfig, gw: Any, api_id: str, changes: Changes) -> None:
    """The auto-deploying $default stage with throttling limits (so the URL has no stage path)."""
    stages = {s["StageName"]: s for s in aws.pages(gw.get_stages, "Items", ApiId=api_id)}
    if STAGE not in stages:
        gw.create_stage(ApiId=api_id, StageName=STAGE, AutoDeploy=True, DefaultRouteSettings=THROTTLING,
                        Tags=cfg.tags)
        changes.created.append(f"stage {STAGE}")
        return
    settings = stages[STAGE].get("DefaultRouteSettings", {})
    if not stages[STAGE].get("AutoDeploy") or any(settings.get(k) != v for k, v in THROTTLING.items()):
        gw.update_stage(ApiId=api_id, StageName=STAGE, AutoDeploy=True, DefaultRouteSettings=THROTTLING)
        changes.updated.append(f"stage {STAGE}")


def _ensure_invoke_permission(cfg: KitConfig, fn: Function, api_id: str, changes: Changes) -> None:
    """Let API Gateway invoke `fn`, from this API only (a resource policy statement, added once)."""
    lam = aws.client("lambda", cfg)
    account = fn.arn.split(":")[4]
    source_arn = f"arn:aws:execute-api:{cfg.region}:{account}:{api_id}/*/*"
    sid = f"{api_name(cfg)}-invoke"
    try:
        statements = json.loads(lam.get_policy(FunctionName=fn.name)["Policy"])["Statement"]
    except lam.exceptions.ResourceNotFoundException:
        statements = []
    current = next((s for s in statements if s.get("Sid") == sid), None)
    if current is not None:
        if json.dumps(current.get("Condition", {})).find(source_arn) >= 0:
            return
        lam.remove_permission(FunctionName=fn.name, StatementId=sid)
    lam.add_permission(FunctionName=fn.name, StatementId=sid, Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com", SourceArn=source_arn)
    (changes.updated if current is not None else changes.created).append(f"permission {sid}")


def api_base_url(cfg: KitConfig, api: HttpApi) -> str:
    """The URL to send requests to: the local HTTP API endpoint, or the API's https endpoint on aws."""
    if cfg.target == "local":
        from .local.stack import api_url

        return api_url(api.api_id)
    return api.endpoint


def pushed_images(cfg: KitConfig) -> dict[str, str]:
    """The image URI per runtime that 02_build_image pushed (and saved in the kit's state)."""
    uris: dict[str, str] = load_state().get("image_uris") or {}
    if not uris:
        raise KitError("No pushed image found: run notebooks/02_build_image.ipynb first (it saves the image URI).")
    if cfg.runtime not in uris:
        raise KitError(f"No {cfg.runtime} image was pushed (only {', '.join(sorted(uris))}): run 02 for that "
                       f"runtime or set KIT_RUNTIME to one of them.")
    ecr = aws.client("ecr", cfg)
    for uri in uris.values():
        repo, tag = uri.split("/", 1)[1].rsplit(":", 1)
        try:
            with aws.aws_errors():
                ecr.describe_images(repositoryName=repo, imageIds=[{"imageTag": tag}])
        except ClientError as err:
            where = (" (the local emulator starts empty after a restart, e.g. after its idle timeout)"
                     if cfg.target == "local" else "")
            raise KitError(f"The image {uri} saved by 02 is no longer in ECR{where}: re-run "
                           "notebooks/02_build_image.ipynb, then this cell.") from err
    return uris


def where_it_runs(cfg: KitConfig, image_uri: str) -> str:
    """Where invocations of a function with this image run: AWS Lambda, or which local path."""
    if cfg.target == "aws":
        return "AWS Lambda"
    from .local.images import find_image
    from .local.runtime import runner_description

    rec = find_image(image_uri)
    return runner_description(rec) if rec else "nowhere yet: the image is not in the local image store (re-run 02)"


def deploy(cfg: KitConfig, memory_mb: dict[str, int] | None = None) -> Deployment:
    """Deploy one function per pushed runtime and the HTTP API in front of cfg.runtime's; idempotent."""
    uris, changes = pushed_images(cfg), Changes()
    with aws.aws_errors():
        role_arn = ensure_role(cfg, changes)
        functions = {rt: ensure_function(cfg, rt, uri, role_arn, changes, (memory_mb or {}).get(rt))
                     for rt, uri in tqdm(sorted(uris.items()), desc="functions", unit="fn", mininterval=2.0)}
        api = ensure_http_api(cfg, functions[cfg.runtime], changes)
    url = api_base_url(cfg, api)
    save_state(deployment={"role_arn": role_arn, "api_id": api.api_id, "api_url": url,
                           "functions": {rt: asdict(f) for rt, f in functions.items()}})
    return Deployment(role_arn=role_arn, functions=functions, api=api, url=url, changes=changes)
