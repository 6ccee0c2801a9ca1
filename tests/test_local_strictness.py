"""The local target rejects what AWS rejects (issue 12): function states (Pending, update in progress, Failed), image
indexes and foreign architectures, invalid lifecycle policies; and it applies lifecycle rules on its clock, with
Lambda's trap: a function whose image a rule deleted fails (`ImageDeleted`) at its next cold start."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from helpers import cleanup
from helpers.aws import client
from helpers.core.config import get_config
from helpers.core.errors import KitError
from helpers.core.changes import Changes
from helpers.deploy import ensure_function, ensure_role, function_name
from local_aws.ecr.images import ImageRecord, register_image
from helpers.core.aws_facts.image_manifests import INDEX_TYPES

HANDLERS = Path(__file__).parent / "handlers"
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
WAIT = {"Delay": 1, "MaxAttempts": 30}


@pytest.fixture(scope="module", autouse=True)
def _slow_pending():
    """New functions stay Pending for 2 s here, so 'invoke right after create' meets the Pending state."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KIT_LOCAL_PENDING_SECONDS", "2")
        yield


def push(repo: str, tag: str, seed: str | None = None, arch: str = "x86_64") -> str:
    """A one-layer image manifest in the emulated ECR, its contents the test handler; the image URI."""
    ecr = client("ecr")
    try:
        uri = ecr.create_repository(repositoryName=repo)["repository"]["repositoryUri"]
    except ecr.exceptions.RepositoryAlreadyExistsException:
        uri = ecr.describe_repositories(repositoryNames=[repo])["repositories"][0]["repositoryUri"]
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                           "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 10,
                                      "digest": "sha256:" + hashlib.sha256((seed or tag).encode()).hexdigest()},
                           "layers": []})
    digest = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
    try:
        ecr.put_image(repositoryName=repo, imageManifest=manifest, imageTag=tag, imageDigest=digest)
    except ecr.exceptions.ImageAlreadyExistsException:
        pass
    register_image(ImageRecord(uri=f"{uri}:{tag}", digest=digest, handler="kit_test_app.app.handler",
                               task_root=str(HANDLERS), architecture=arch))
    return f"{uri}:{tag}"


@pytest.fixture(scope="module")
def role(local_stack) -> str:
    return client("iam").create_role(RoleName="ltk-strict-role", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"][
        "Arn"]


def create(name: str, uri: str, role: str, **kw) -> None:
    client("lambda").create_function(FunctionName=name, Role=role, PackageType="Image", Code={"ImageUri": uri}, **kw)


def invoke(name: str, payload: dict) -> dict:
    resp = client("lambda").invoke(FunctionName=name, Payload=json.dumps(payload).encode())
    return {"error": resp.get("FunctionError"), "body": json.loads(resp["Payload"].read())}


# ------------------------------------------------------------------------------------------ function states

def test_a_new_function_is_pending_then_active(role):
    lam = client("lambda")
    create("ltk-pending", push("ltk-strict", "v1"), role)
    conf = lam.get_function(FunctionName="ltk-pending")["Configuration"]
    assert (conf["State"], conf["StateReasonCode"], conf["LastUpdateStatus"]) == ("Pending", "Creating", "InProgress")
    with pytest.raises(lam.exceptions.ResourceConflictException, match="following state: Pending"):
        lam.invoke(FunctionName="ltk-pending", Payload=b"{}")
    lam.get_waiter("function_active_v2").wait(FunctionName="ltk-pending", WaiterConfig=WAIT)
    conf = lam.get_function_configuration(FunctionName="ltk-pending")
    assert (conf["State"], conf["LastUpdateStatus"]) == ("Active", "Successful") and "StateReason" not in conf
    assert invoke("ltk-pending", {"x": 1})["body"]["echo"] == {"x": 1}
    assert [f["State"] for f in lam.list_functions()["Functions"] if f["FunctionName"] == "ltk-pending"] == ["Active"]


def test_an_update_in_progress_conflicts_with_the_next_update(role):
    lam = client("lambda")
    create("ltk-updating", push("ltk-strict", "v1"), role)
    lam.get_waiter("function_active_v2").wait(FunctionName="ltk-updating", WaiterConfig=WAIT)
    lam.update_function_configuration(FunctionName="ltk-updating", MemorySize=256)
    assert lam.get_function_configuration(FunctionName="ltk-updating")["LastUpdateStatus"] == "InProgress"
    with pytest.raises(lam.exceptions.ResourceConflictException, match="An update is in progress for resource"):
        lam.update_function_configuration(FunctionName="ltk-updating", MemorySize=384)
    lam.get_waiter("function_updated_v2").wait(FunctionName="ltk-updating", WaiterConfig=WAIT)
    lam.update_function_configuration(FunctionName="ltk-updating", MemorySize=384)


# ------------------------------------------------------------------------------------------ what Lambda runs

def test_an_image_index_cannot_back_a_function(role):
    ecr = client("ecr")
    index = json.dumps({"schemaVersion": 2, "mediaType": INDEX_TYPES[1], "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 10, "digest": "sha256:" + "e" * 64,
         "platform": {"architecture": "amd64", "os": "linux"}}]})
    push("ltk-strict", "v1")
    ecr.put_image(repositoryName="ltk-strict", imageManifest=index, imageTag="multi",
                  imageManifestMediaType=INDEX_TYPES[1],
                  imageDigest="sha256:" + hashlib.sha256(index.encode()).hexdigest())
    uri = ecr.describe_repositories(repositoryNames=["ltk-strict"])["repositories"][0]["repositoryUri"] + ":multi"
    with pytest.raises(ClientError, match=r"InvalidParameterValueException.*image manifest, config or layer media "
                                          r"type for the source image .*:multi is not supported"):
        create("ltk-index", uri, role)


def test_an_image_of_another_architecture_fails_to_start_as_on_lambda(role):
    create("ltk-arm", push("ltk-strict", "v1"), role, Architectures=["arm64"])  # the image is x86_64
    client("lambda").get_waiter("function_active_v2").wait(FunctionName="ltk-arm", WaiterConfig=WAIT)
    out = invoke("ltk-arm", {})
    assert out["error"] == "Unhandled" and out["body"]["errorType"] == "Runtime.InvalidEntrypoint"
    assert "exec format error" in out["body"]["errorMessage"]


def test_lifecycle_policies_ecr_refuses_are_refused(local_stack):
    push("ltk-strict", "v1")
    bad = {"rules": [{"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan",
                                                       "countNumber": 1}, "action": {"type": "expire"}},
                     {"rulePriority": 2, "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan",
                                                       "countNumber": 1}, "action": {"type": "expire"}}]}
    with pytest.raises(ClientError, match=r"InvalidParameterException.*tagStatus 'any' must be the only one"):
        client("ecr").put_lifecycle_policy(repositoryName="ltk-strict", lifecyclePolicyText=json.dumps(bad))


# ------------------------------------------------------------------------------------------ lifecycle on a clock

def test_the_clock_applies_the_safe_rule_untagged_images_go_deployed_tags_stay(local_stack):
    cfg = get_config()
    first = push("ltk-clock", "slim-v1", seed="first")
    push("ltk-clock", "slim-v1", seed="second")  # the tag moves: the first image is now untagged
    old = [d["imageDigest"] for d in client("ecr").describe_images(repositoryName="ltk-clock")["imageDetails"]
           if not d.get("imageTags")]
    assert len(old) == 1 and first.endswith(":slim-v1")
    cleanup.apply_lifecycle_policy(cfg, "ltk-clock", cleanup.lifecycle_policy(untagged_days=1))
    assert cleanup.advance_local_clock(cfg, 0).expired == []  # pushed less than a day ago
    later = cleanup.advance_local_clock(cfg, 2)
    assert later.offset_days >= 2 and [e["digest"] for e in later.expired] == old
    left = client("ecr").describe_images(repositoryName="ltk-clock")["imageDetails"]
    assert [d["imageTags"] for d in left] == [["slim-v1"]]
    with pytest.raises(KitError, match="only moves forward"):
        cleanup.advance_local_clock(cfg, -1)


def test_the_trap_a_rule_that_deletes_the_live_image_fails_the_function_at_its_next_cold_start(local_stack):
    """The seed's rule (every image expires a day after push) breaks the API; the kit refuses it, and a re-deploy
    deletes and re-creates the Failed function."""
    cfg, changes = get_config(), Changes()
    role_arn = ensure_role(cfg, changes)
    uri = push("ltk-trap", "slim-v1")
    name = ensure_function(cfg, "slim", uri, role_arn, changes).name
    assert name == function_name(cfg, "slim") and invoke(name, {"a": 1})["body"]["echo"] == {"a": 1}
    with pytest.raises(KitError, match=r"would expire slim-v1\b.*which ltk-translator-slim runs.*API would break"):
        cleanup.apply_lifecycle_policy(cfg, "ltk-trap", cleanup.seed_lifecycle_policy(1))
    cleanup.apply_lifecycle_policy(cfg, "ltk-trap", cleanup.seed_lifecycle_policy(1), allow_breaking_live_api=True)
    assert {e["repository"] for e in cleanup.advance_local_clock(cfg, 2).expired} == {"ltk-trap"}
    lam = client("lambda")
    with pytest.raises(lam.exceptions.ResourceConflictException, match="'Failed'. StateReasonCode: 'ImageDeleted'"):
        lam.invoke(FunctionName=name, Payload=b"{}")
    conf = lam.get_function_configuration(FunctionName=name)
    assert (conf["State"], conf["StateReasonCode"]) == ("Failed", "ImageDeleted")
    assert "deleted image" in conf["StateReason"]
    redeploy = Changes()
    fn = ensure_function(cfg, "slim", push("ltk-trap", "slim-v2"), role_arn, redeploy)
    assert f"function {name}" in redeploy.created and any("was in state Failed (ImageDeleted" in n
                                                           for n in redeploy.notes)
    assert lam.get_function_configuration(FunctionName=fn.name)["State"] == "Active"
    assert invoke(fn.name, {"b": 2})["body"]["echo"] == {"b": 2}
