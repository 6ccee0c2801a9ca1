"""The plain commands behind 03b's steps: the execution role, the model, the serverless endpoint config and the
endpoint as `aws sagemaker` calls with the values the helpers use (execution_role.py, endpoint.py), and an
`aws sagemaker-runtime invoke-endpoint` call (tests/test_cli_commands.py compares them with what the SDK sends).

CLI references: `aws sagemaker create-model|create-endpoint-config|create-endpoint`, `aws sagemaker wait
endpoint-in-service`, `aws sagemaker-runtime invoke-endpoint` (docs.aws.amazon.com/cli/latest/reference/sagemaker/);
AWS CLI v2 reads `--body` as base64 unless told `--cli-binary-format raw-in-base64-out` ("cli_binary_format",
docs.aws.amazon.com/sdkref/latest/guide/setting-global-cli_binary_format.html). The waiters are botocore's
EndpointInService and EndpointDeleted, which the CLI exposes as `aws sagemaker wait ...`.
"""
from __future__ import annotations

import json

from helpers.core.config import KitConfig
from helpers.core.shell_commands import Command, aws_command
from helpers.deploy.deploy_commands import log_group_commands
from helpers.sagemaker.execution_role import POLICY_NAME, SAGEMAKER_TRUST_POLICY, role_policy
from helpers.sagemaker.serverless_settings import (CONTENT_TYPE, MAX_CONCURRENCY, ENDPOINT_MEMORY_MB, VARIANT,
                                                   endpoint_name, execution_role_name, endpoint_log_group)


def _tags(cfg: KitConfig) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(cfg.tags.items())]


def role_commands(cfg: KitConfig, account: str, repository: str) -> list[Command]:
    """The role SageMaker assumes: pull `repository`, write the endpoint's logs and metrics."""
    name = execution_role_name(cfg)
    return [
        aws_command("iam", "CreateRole", {"RoleName": name,
                                          "AssumeRolePolicyDocument": json.dumps(SAGEMAKER_TRUST_POLICY),
                                          "Tags": [{"Key": k, "Value": v} for k, v in cfg.tags.items()]},
                    "the role SageMaker assumes"),
        aws_command("iam", "PutRolePolicy", {"RoleName": name, "PolicyName": POLICY_NAME,
                                             "PolicyDocument": json.dumps(role_policy(cfg, account, repository))},
                    "pull the kit's images, write its endpoints' logs and metrics"),
    ]


def endpoint_commands(cfg: KitConfig, runtime: str, image_uri: str, role_arn: str, model: str,
                      config: str) -> list[Command]:
    """Log group, model (image + environment + role), serverless endpoint config, endpoint, wait."""
    endpoint = endpoint_name(cfg)
    return log_group_commands(cfg, endpoint_log_group(endpoint)) + [
        aws_command("sagemaker", "CreateModel", {
            "ModelName": model, "PrimaryContainer": {"Image": image_uri, "Environment": {"MODEL_RUNTIME": runtime}},
            "ExecutionRoleArn": role_arn, "Tags": _tags(cfg)}, "the model: the image, its environment, the role"),
        aws_command("sagemaker", "CreateEndpointConfig", {
            "EndpointConfigName": config, "ProductionVariants": [{
                "VariantName": VARIANT, "ModelName": model,
                "ServerlessConfig": {"MemorySizeInMB": ENDPOINT_MEMORY_MB[runtime],
                                     "MaxConcurrency": MAX_CONCURRENCY}}],
            "Tags": _tags(cfg)}, "serverless: memory and the concurrency cap"),
        aws_command("sagemaker", "CreateEndpoint", {"EndpointName": endpoint, "EndpointConfigName": config,
                                                    "Tags": _tags(cfg)}, "the endpoint clients call"),
        Command(("aws", "sagemaker", "wait", "endpoint-in-service", "--endpoint-name", endpoint),
                "Creating -> InService (minutes)"),
    ]


def invoke_command(cfg: KitConfig, sentence: str, out: str = "/dev/stdout") -> Command:
    """Call the endpoint with one sentence; the answer goes to `out`."""
    return Command(("aws", "sagemaker-runtime", "invoke-endpoint", "--endpoint-name", endpoint_name(cfg),
                    "--content-type", CONTENT_TYPE, "--cli-binary-format", "raw-in-base64-out",
                    "--body", json.dumps({"sentence": sentence}, ensure_ascii=False), out),
                   "translate one sentence through the endpoint")
