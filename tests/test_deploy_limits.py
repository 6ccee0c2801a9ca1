"""Before 03 creates anything: Lambda's 10 GB uncompressed image limit, the storage ECR bills (base layers
included), and the worst case at the function's architecture's price (issue 23, item 9)."""
from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from helpers.aws import client
from helpers.core.config import get_config
from helpers.core.errors import KitError
from helpers.core.state import save_state


def test_an_image_over_10_gb_is_refused_before_anything_is_created(local_stack: Any) -> None:
    from helpers.deploy import deploy

    cfg = get_config()
    uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ltk-translator:torch-huge"
    save_state(image_uris={"slim": uri.replace("torch-huge", "slim-1"), "torch": uri},
               image_uncompressed_bytes={uri: 11 * 2**30})
    with pytest.raises(KitError, match=r"11\.0 GiB uncompressed, over Lambda's 10 GiB limit"):
        deploy(cfg)
    assert not [r for r in client("iam").list_roles()["Roles"] if r["RoleName"].startswith("ltk-")]
    assert not client("lambda").list_functions()["Functions"]


def _put(ecr: Any, tag: str, layers: list[tuple[str, int]]) -> None:
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                           "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 10,
                                      "digest": "sha256:" + hashlib.sha256(tag.encode()).hexdigest()},
                           "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": n,
                                       "digest": "sha256:" + hashlib.sha256(d.encode()).hexdigest()}
                                      for d, n in layers]})
    ecr.put_image(repositoryName="ltk-translator", imageManifest=manifest, imageTag=tag,
                  imageManifestMediaType="application/vnd.docker.distribution.manifest.v2+json",
                  imageDigest="sha256:" + hashlib.sha256(manifest.encode()).hexdigest())


def test_the_plan_bills_the_stored_base_layers_and_the_functions_architecture(local_stack: Any) -> None:
    from helpers.deploy import cost
    from helpers.deploy.plan import TUTORIAL_REQUESTS, deployment_plan

    cfg, ecr = get_config(), client("ecr")
    ecr.create_repository(repositoryName="ltk-translator")
    base = [("base-1", 300_000_000), ("base-2", 200_000_000)]  # the Lambda base, stored once for both images
    _put(ecr, "slim-1", base + [("slim", 50_000_000)])
    _put(ecr, "torch-1", base + [("torch", 250_000_000)])
    uri = f"{ecr.describe_repositories()['repositories'][0]['repositoryUri']}:slim-1"
    save_state(image_uris={"slim": uri}, image_architectures={uri: "arm64"},
               image_sizes_mb={"slim": 50.0, "torch": 250.0})  # what 03 summed before: the task roots only
    text = "\n".join(deployment_plan(cfg, ["slim"]))
    assert "idle: $0.08" in text  # 0.8 GB stored x $0.10, not 0.3 GB
    worst = cost.worst_case(30_000, 512, "arm64", 5.0, 5, log_bytes=400, image_gb=0.8)
    assert f"${worst.total_usd:,.2f}" in text
    x86 = cost.worst_case(30_000, 512, "x86_64", 5.0, 5, log_bytes=400, image_gb=0.8)
    assert f"${x86.total_usd:,.2f}" not in text
    tutorial = cost.monthly_cost(TUTORIAL_REQUESTS, 30_000, 512, "arm64", log_bytes=400, image_gb=0.8)
    assert f"${tutorial.total_usd:.2f}" in text


def test_the_emulated_lambda_fails_a_function_whose_image_is_over_10_gib(local_stack: Any) -> None:
    """As Lambda: "reached terminal FAILED state due to InvalidImage(SizeLimitExceeded: Uncompressed container image
    size exceeds 10 GiB limit)"."""
    from helpers.core.changes import Changes
    from helpers.deploy import ensure_role
    from local_aws.ecr.images import ImageRecord, find_image, register_image
    from test_local_stack import push_test_image

    uri = push_test_image("ltk-huge", "torch-v1")
    rec = find_image(uri)
    assert rec is not None
    register_image(ImageRecord(uri=uri, digest=rec.digest, handler=rec.handler, task_root=rec.task_root,
                               uncompressed_bytes=11 * 2**30))
    lam = client("lambda")
    lam.create_function(FunctionName="ltk-huge", Role=ensure_role(get_config(), Changes()), PackageType="Image",
                        Code={"ImageUri": uri})
    conf = lam.get_function_configuration(FunctionName="ltk-huge")
    assert (conf["State"], conf["StateReasonCode"]) == ("Failed", "InvalidImage")
    assert "Uncompressed container image size exceeds 10 GiB limit" in conf["StateReason"]
