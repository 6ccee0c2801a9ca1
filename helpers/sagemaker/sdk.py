"""The sagemaker SDK (v3's core package, `sagemaker-core`) set up for the kit: quiet, explicit, alike on both targets.

- Telemetry: a user config under KIT_HOME with `TelemetryOptOut: true`, named by the SDK's own variable
  SAGEMAKER_USER_CONFIG_OVERRIDE, so no opt-out notice is printed and no telemetry is sent.
- SAGEMAKER_VALIDATE_ROLE=false: the kit passes its execution role's ARN itself; nothing asks STS who we are.
- Region and session are passed on every call (`sdk_args`): the SDK's defaults (account_id(), default_bucket(),
  get_execution_role()) call STS and S3 at their public URLs and fail offline. The session comes from
  helpers.aws.session, so on `local` every client the SDK makes reaches the local stack.
- sagemaker-core 2.27 sends `ProductionVariantServerlessConfig.memory_size_in_mb` as "MemorySizeInMb" where the API
  wants "MemorySizeInMB", so botocore refuses CreateEndpointConfig (aws/sagemaker-core#225, open): the SDK's own
  table of special names gets that one entry.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from helpers.aws import session
from helpers.core.config import KitConfig
from helpers.core.paths import kit_home

SDK_CONFIG = """# The sagemaker SDK's user config for the kit (SAGEMAKER_USER_CONFIG_OVERRIDE points here).
SchemaVersion: '1.0'
SageMaker:
  PythonSDK:
    Modules:
      TelemetryOptOut: true
"""


def sdk_config_path() -> Path:
    """The kit's SDK user config (written on first use)."""
    path = kit_home() / "sagemaker" / "config.yaml"
    if not path.exists() or path.read_text() != SDK_CONFIG:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SDK_CONFIG)
    return path


def prepare_sdk() -> None:
    """Point the SDK at the kit's config and switch off role validation (before it is imported), and apply the
    serialization workaround. Idempotent; the environment variables are this process's (the notebook kernel's)."""
    os.environ["SAGEMAKER_USER_CONFIG_OVERRIDE"] = str(sdk_config_path())
    os.environ["SAGEMAKER_VALIDATE_ROLE"] = "false"
    from sagemaker.core.utils import utils

    utils.SPECIAL_SNAKE_TO_PASCAL_MAPPINGS.setdefault("memory_size_in_mb", "MemorySizeInMB")


def sdk_args(cfg: KitConfig) -> dict[str, Any]:
    """`session=` and `region=` for every sagemaker.core.resources call (explicit: no default lookups)."""
    prepare_sdk()
    return {"session": session(cfg), "region": cfg.region}
