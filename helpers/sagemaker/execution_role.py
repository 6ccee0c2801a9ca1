"""The SageMaker execution role: SageMaker may assume it to pull the kit's image and write the endpoint's logs.

Least privilege, as the Lambda role (helpers/deploy/role.py): pull only the kit's ECR repository (plus the account-wide
`ecr:GetAuthorizationToken`, which has no resource), write only `/aws/sagemaker/Endpoints/<prefix>-translator-*`,
and publish container metrics only to SageMaker's endpoint namespace. No S3: the model is inside the image.
"""
from __future__ import annotations

import json
from typing import Any

from helpers import aws
from helpers.core.changes import Changes, put_inline_policy, update_role, waiter_config
from helpers.core.config import KitConfig
from helpers.sagemaker.serverless_settings import execution_role_name, endpoint_log_group

POLICY_NAME = "pull-image-write-logs"
SAGEMAKER_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
}


def role_policy(cfg: KitConfig, account: str, repository: str) -> dict[str, Any]:
    """The role's only permissions: pull `repository`'s images, write the kit's endpoints' logs and metrics."""
    groups = f"arn:aws:logs:{cfg.region}:{account}:log-group:{endpoint_log_group(cfg.name('translator-'))}*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "PullTheKitImage", "Effect": "Allow",
             "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
             "Resource": f"arn:aws:ecr:{cfg.region}:{account}:repository/{repository}"},
            {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {"Sid": "WriteEndpointLogs", "Effect": "Allow",
             "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
             "Resource": [groups, f"{groups}:*"]},
            {"Sid": "EndpointMetrics", "Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
             "Condition": {"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/Endpoints*"}}},
        ],
    }


def ensure_execution_role(cfg: KitConfig, repository: str, changes: Changes) -> str:
    """The execution role (trusts SageMaker, may pull `repository` and write its endpoints' logs), created or brought
    up to date; its ARN."""
    iam, name = aws.client("iam", cfg), execution_role_name(cfg)
    tags = [{"Key": k, "Value": v} for k, v in cfg.tags.items()]
    with aws.aws_errors():
        try:
            role = iam.get_role(RoleName=name)["Role"]
            changed = update_role(iam, role, SAGEMAKER_TRUST_POLICY, cfg.tags)
        except iam.exceptions.NoSuchEntityException:
            role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(SAGEMAKER_TRUST_POLICY),
                                   Tags=tags,
                                   Description="lambda-torch-kit: SageMaker pulls the translator image, writes its logs",
                                   **cfg.role_extras())["Role"]
            iam.get_waiter("role_exists").wait(RoleName=name, WaiterConfig=waiter_config(cfg))
            changes.created.append(f"role {name}")
            changed = False
        wanted = role_policy(cfg, role["Arn"].split(":")[4], repository)
        if put_inline_policy(iam, name, POLICY_NAME, wanted) == "updated" or changed:
            changes.updated.append(f"role {name}")
    return str(role["Arn"])
