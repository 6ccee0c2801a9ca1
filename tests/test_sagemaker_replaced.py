"""Replaced SageMaker models and endpoint configs are selected by exact name and tags, never by a name substring
(issue 23, item 7): `altk-translator-slim-...` is another prefix's model although it contains `ltk-translator-`."""
from __future__ import annotations

import json
from typing import Any

from helpers.aws import client
from helpers.core.config import get_config
from helpers.core.changes import Changes
from helpers.sagemaker.endpoint import remove_replaced

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Principal": {"Service": "sagemaker.amazonaws.com"}}]}


def _model(sm: Any, role: str, name: str, prefix: str) -> None:
    sm.create_model(ModelName=name, ExecutionRoleArn=role, PrimaryContainer={"Image": "1.dkr.ecr/x:slim-1"},
                    Tags=[{"Key": "project", "Value": "lambda-torch-kit"}, {"Key": "kit-prefix", "Value": prefix}])


def _config(sm: Any, name: str, model: str, prefix: str) -> None:
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": model, "ServerlessConfig": {"MemorySizeInMB": 1024,
                                                                           "MaxConcurrency": 1}}],
        Tags=[{"Key": "project", "Value": "lambda-torch-kit"}, {"Key": "kit-prefix", "Value": prefix}])


def test_exact_kit_names() -> None:
    from helpers.sagemaker.serverless_settings import is_kit_name

    cfg = get_config()
    assert is_kit_name(cfg, "model", "ltk-translator-slim-0a1b2c3d")
    assert not is_kit_name(cfg, "model", "altk-translator-slim-0a1b2c3d")
    assert not is_kit_name(cfg, "model", "ltk-translator-slim-0a1b2c3d-copy")
    assert is_kit_name(cfg, "config", "ltk-translator-sls-0a1b2c3d")
    assert not is_kit_name(cfg, "config", "altk-translator-sls-0a1b2c3d")


def test_remove_replaced_spares_another_prefix_and_untagged_lookalikes(local_stack: Any) -> None:
    cfg, sm = get_config(), client("sagemaker")
    role = client("iam").create_role(RoleName="ltk-sm-test", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    _model(sm, role, "ltk-translator-slim-00000000", "ltk")  # kept: in use
    _model(sm, role, "ltk-translator-slim-11111111", "ltk")  # replaced: deleted
    _model(sm, role, "altk-translator-slim-11111111", "altk")  # another prefix: kept
    _model(sm, role, "ltk-translator-slim-22222222", "other")  # the kit's name, someone else's tags: kept
    _config(sm, "ltk-translator-sls-00000000", "ltk-translator-slim-00000000", "ltk")
    _config(sm, "ltk-translator-sls-11111111", "ltk-translator-slim-11111111", "ltk")
    _config(sm, "altk-translator-sls-11111111", "altk-translator-slim-11111111", "altk")
    changes = Changes()
    remove_replaced(cfg, "ltk-translator-sls-00000000", "ltk-translator-slim-00000000", changes)
    models = {m["ModelName"] for m in sm.list_models()["Models"]}
    configs = {c["EndpointConfigName"] for c in sm.list_endpoint_configs()["EndpointConfigs"]}
    assert models == {"ltk-translator-slim-00000000", "altk-translator-slim-11111111", "ltk-translator-slim-22222222"}
    assert configs == {"ltk-translator-sls-00000000", "altk-translator-sls-11111111"}
    assert len(changes.notes) == 2
