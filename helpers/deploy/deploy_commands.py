"""The plain commands behind 03's steps: `aws iam`, `aws logs`, `aws lambda`, `aws apigatewayv2` calls with the
parameters the helpers send (role.py, function.py, http_api.py; tests/test_cli_commands.py compares them), and the
`curl` that calls the API. Values unknown before a command runs (the API id) can be shell variables (`${API_ID}`):
the commands that create them capture them.

CLI references: `aws lambda create-function` (docs.aws.amazon.com/cli/latest/reference/lambda/create-function.html),
`aws apigatewayv2 create-api|create-integration|create-route|create-stage`, `aws lambda add-permission`,
`aws lambda wait function-active-v2` ("Waits for the function's State to be Active ... after new function
creation", docs.aws.amazon.com/cli/latest/reference/lambda/wait/function-active-v2.html), `aws iam wait role-exists`.
"""
from __future__ import annotations

import json
import shlex

from helpers.core.config import KitConfig
from helpers.core.shell_commands import Command, aws_command
from helpers.deploy.calls import curl_command
from helpers.deploy.function import Function
from helpers.deploy.role import LOG_POLICY_NAME, LAMBDA_TRUST_POLICY, log_policy
from helpers.deploy.settings import (CORS, INTEGRATION_TIMEOUT_MS, LOG_RETENTION_DAYS, FUNCTION_MEMORY_MB,
                                     RESERVED_CONCURRENCY, ROUTES, STAGE, THROTTLING, TIMEOUT_S, api_name,
                                     function_name, function_log_group, role_name)


def _tag_list(cfg: KitConfig) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in cfg.tags.items()]


def role_commands(cfg: KitConfig, account: str) -> list[Command]:
    """The execution role: trusts Lambda, may write its functions' log groups only (role.ensure_role)."""
    name = role_name(cfg)
    return [
        aws_command("iam", "CreateRole", {"RoleName": name, "AssumeRolePolicyDocument": json.dumps(LAMBDA_TRUST_POLICY),
                                          "Tags": _tag_list(cfg)}, "the execution role: only Lambda may assume it"),
        aws_command("iam", "PutRolePolicy", {"RoleName": name, "PolicyName": LOG_POLICY_NAME,
                                             "PolicyDocument": json.dumps(log_policy(cfg, account))},
                    "its one permission: write its own functions' logs"),
        Command(("aws", "iam", "wait", "role-exists", "--role-name", name),
                "IAM is eventually consistent: if create-function then says the role cannot be assumed, wait a "
                "few seconds and run it again"),
    ]


def log_group_commands(cfg: KitConfig, group: str) -> list[Command]:
    """A service's log group, created ahead of the service with the kit's tags and a retention
    (helpers.core.changes.put_log_group)."""
    return [aws_command("logs", "CreateLogGroup", {"logGroupName": group, "tags": cfg.tags},
                        f"the log group {group}, created first so that it gets a retention"),
            aws_command("logs", "PutRetentionPolicy", {"logGroupName": group, "retentionInDays": LOG_RETENTION_DAYS})]


def function_commands(cfg: KitConfig, runtime: str, image_uri: str, role_arn: str, arch: str) -> list[Command]:
    """The function's log group (7-day retention), the image function, its reserved concurrency (function.py)."""
    name = function_name(cfg, runtime)
    group = function_log_group(name)
    return log_group_commands(cfg, group) + [
        aws_command("lambda", "CreateFunction", {
            "FunctionName": name, "PackageType": "Image", "Code": {"ImageUri": image_uri}, "Architectures": [arch],
            "Tags": cfg.tags, "Role": role_arn, "MemorySize": FUNCTION_MEMORY_MB[runtime], "Timeout": TIMEOUT_S,
            "Environment": {"Variables": {"MODEL_RUNTIME": runtime}}}, f"the {runtime} function, from the image"),
        Command(("aws", "lambda", "wait", "function-active-v2", "--function-name", name),
                "wait until Lambda has pulled the image (State Active)"),
        aws_command("lambda", "PutFunctionConcurrency",
                    {"FunctionName": name, "ReservedConcurrentExecutions": RESERVED_CONCURRENCY},
                    "the cost cap: at most this many copies at once"),
    ]


def api_commands(cfg: KitConfig, function_arn: str, api_id: str = "${API_ID}",
                 integration_id: str = "${INTEGRATION_ID}") -> list[Command]:
    """The HTTP API in front of the function: API, proxy integration, routes, stage, invoke permission
    (http_api.py). With the default ids, the create commands capture API_ID and INTEGRATION_ID."""
    fn, account, region = function_arn.rsplit(":", 1)[1], function_arn.split(":")[4], function_arn.split(":")[3]
    capture = api_id == "${API_ID}"
    commands = [
        aws_command("apigatewayv2", "CreateApi", {"Name": api_name(cfg), "ProtocolType": "HTTP",
                                                  "CorsConfiguration": CORS, "Tags": cfg.tags},
                    "the HTTP API (no routes yet)", *(("API_ID", "ApiId") if capture else ())),
        aws_command("apigatewayv2", "CreateIntegration", {
            "ApiId": api_id, "IntegrationType": "AWS_PROXY", "IntegrationMethod": "POST",
            "IntegrationUri": function_arn, "PayloadFormatVersion": "2.0", "TimeoutInMillis": INTEGRATION_TIMEOUT_MS},
            "hand each request to the function (Lambda proxy, payload format 2.0)",
            *(("INTEGRATION_ID", "IntegrationId") if capture else ())),
    ]
    commands += [aws_command("apigatewayv2", "CreateRoute",
                             {"ApiId": api_id, "RouteKey": key, "Target": f"integrations/{integration_id}"},
                             f"route {key}") for key in ROUTES]
    commands += [
        aws_command("apigatewayv2", "CreateStage", {"ApiId": api_id, "StageName": STAGE, "AutoDeploy": True,
                                                    "DefaultRouteSettings": THROTTLING, "Tags": cfg.tags},
                    "publish it: the $default stage, throttled"),
        aws_command("lambda", "AddPermission", {
            "FunctionName": fn, "StatementId": f"{api_name(cfg)}-invoke", "Action": "lambda:InvokeFunction",
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": f"arn:aws:execute-api:{region}:{account}:{api_id}/*/*"},
            "let this API, and no other, invoke the function"),
    ]
    return commands


def api_url(region: str, api_id: str = "${API_ID}") -> str:
    """The API's URL on AWS: the API id in the host name, no stage path ($default)."""
    return f"https://{api_id}.execute-api.{region}.amazonaws.com"


def curl(url: str, sentence: str) -> Command:
    """The seed's `curl` step against `url` (calls.curl_command, as a Command)."""
    return Command(tuple(shlex.split(curl_command(url, sentence))), "translate one sentence through the API")


def for_functions(cfg: KitConfig, functions: dict[str, Function], role_arn: str) -> list[Command]:
    """function_commands for each deployed function (its runtime, image and architecture)."""
    return [c for rt, f in functions.items() for c in function_commands(cfg, rt, f.image_uri, role_arn, f.architecture)]
