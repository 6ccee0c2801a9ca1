"""The slim image's task root, staged on this machine's Python (3.11 to 3.13) and architecture, answering through the
local stack's host path under the chosen emulator (KIT_LOCAL_RUNTIME): what a laptop without a container engine runs.

No torch is needed on the host: with KIT_TEST_SLIM_MODEL set (CI's Python 3.13 pass points it at a model the 3.11
pass exported) the test uses that model, otherwise an untrained one exported here.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from helpers.aws import client
from helpers.core.config import get_config
from helpers.core.paths import REPO_ROOT
from helpers.core.platform import host_arch

SEED = "Les deux chiens marchent dans le parc."
STAGE_CACHE = REPO_ROOT / ".kit" / "test-cache" / "host-path"  # the wheelhouse and staged root, kept across runs
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


@pytest.fixture(scope="module")
def slim_model(request: pytest.FixtureRequest) -> Path:
    given = os.environ.get("KIT_TEST_SLIM_MODEL")
    return Path(given) if given else request.getfixturevalue("untrained_model_dir")


@pytest.fixture(scope="module")
def staged(slim_model: Path):
    """stage_task_root("slim") for this host, as 02 does without an engine (cached under STAGE_CACHE)."""
    from helpers.build.staging import stage_task_root

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KIT_HOME", str(STAGE_CACHE))
        return stage_task_root("slim", host_arch(), slim_model)


def test_slim_handler_answers_through_the_host_path(local_stack, staged, slim_model):
    from helpers.build.ecr import ensure_repository, register_staged
    from lambda_app.translator import load_translator

    cfg = get_config()
    pushed = register_staged(cfg, staged, ensure_repository(cfg))
    role = client("iam").create_role(RoleName="ltk-slim-host-role", AssumeRolePolicyDocument=json.dumps(TRUST))
    lam = client("lambda")
    lam.create_function(FunctionName="ltk-slim-host", Role=role["Role"]["Arn"], PackageType="Image",
                        Code={"ImageUri": pushed.uri}, Architectures=[pushed.architecture], MemorySize=512, Timeout=30,
                        Environment={"Variables": dict(staged.env)})
    lam.get_waiter("function_active_v2").wait(FunctionName="ltk-slim-host")
    event = {"version": "2.0", "routeKey": "POST /translate", "rawPath": "/translate", "isBase64Encoded": False,
             "body": json.dumps({"sentence": SEED}),
             "requestContext": {"http": {"method": "POST", "path": "/translate"}, "stage": "$default"}}
    resp = lam.invoke(FunctionName="ltk-slim-host", Payload=json.dumps(event).encode(), LogType="Tail")
    answer = json.loads(resp["Payload"].read())
    assert "FunctionError" not in resp and answer["statusCode"] == 200, answer
    body = json.loads(answer["body"])
    assert body["fr"] == SEED and body["en"] == load_translator(slim_model, "slim").translate_batch([SEED])[0]


def _elf_machine(path: Path) -> int:
    """e_machine of an ELF file: 62 is x86-64, 183 is AArch64."""
    with path.open("rb") as f:
        head = f.read(20)
    assert head[:4] == b"\x7fELF", path
    return int.from_bytes(head[18:20], "little")


def test_arm64_task_root_holds_aarch64_wheels_and_says_arm64(slim_model):
    """What an Apple Silicon laptop builds: the slim task root for linux/arm64, staged here on x86_64 (or natively),
    with AArch64 extension modules and an image config and manifest that say arm64."""
    from helpers.build.ecr import local_config, local_manifest
    from helpers.build.staging import stage_task_root

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KIT_HOME", str(STAGE_CACHE))
        staged = stage_task_root("slim", "arm64", slim_model)
    root = Path(staged.task_root)
    extensions = sorted(root.glob("onnxruntime/capi/*.so")) + sorted(root.glob("numpy/_core/*.so"))
    assert extensions and {_elf_machine(p) for p in extensions} == {183}
    config = json.loads(local_config(staged))
    assert (config["architecture"], config["os"]) == ("arm64", "linux")
    manifest, _ = local_manifest(staged)
    assert json.loads(manifest)["layers"][0]["digest"] == staged.layer_digest
