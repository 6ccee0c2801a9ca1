"""The whole flow on a real AWS account: build and push, deploy, call, measure, 03b's SageMaker Serverless endpoint
(same image, same prefix), lifecycle, delete, nothing left.

Opt-in only: these tests run with `bash kit test -m aws` (see tests/conftest.py) and need credentials allowed by
docs/iam-policy.json and a container engine. Every resource gets a unique prefix (`ltk-t<random>`) and is deleted
at the end, also when a step fails; a leftover would be found by 04_cleanup with that prefix.
"""
from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from helpers import cleanup, sagemaker
from helpers.build import build_image, push_image, scan_summary
from helpers.build.ecr import REPOSITORY
from helpers.build.registry import stored_sizes
from helpers.core.config import get_config
from helpers.core.engine import docker_client
from helpers.core.errors import KitError
from helpers.core.state import save_state
from helpers.deploy import calls, cost, deploy
from helpers.deploy.plan import measured_worst_case

pytestmark = pytest.mark.aws


@pytest.fixture(scope="module")
def account(tmp_path_factory: pytest.TempPathFactory):
    """A config for the real account with a unique prefix; everything under it is deleted afterwards."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KIT_HOME", str(tmp_path_factory.mktemp("aws-home")))
        try:
            cfg = get_config(target="aws", prefix=f"ltk-t{secrets.token_hex(3)}")
        except KitError as err:
            pytest.skip(f"no usable AWS credentials: {err}")
        if docker_client() is None:
            pytest.skip("pushing to ECR needs a container engine (Docker, or podman's Docker API)")
        try:
            yield cfg
        finally:
            cleanup.delete_kit_resources(cfg, confirm=True)
            cleanup.prove_nothing_left(cfg)


def test_the_whole_flow_on_a_real_account(account, untrained_model_dir: Path) -> None:
    cfg = account
    built = build_image("slim", "x86_64", untrained_model_dir)  # 02: the engine build, pushed and checked
    pushed = push_image(cfg, built)  # checks: single-platform manifest, amd64 config, Lambda pull policy
    assert push_image(cfg, built).digest == pushed.digest  # pushing again changes nothing
    sizes = stored_sizes(cfg, cfg.name(REPOSITORY))
    assert sizes.stored_bytes > sizes.without_base_bytes > 0  # the base's layers are in the registry
    save_state(image_uris={"slim": pushed.uri}, image_architectures={pushed.uri: pushed.architecture})

    d = deploy(cfg)  # 03: returns once GET /health answered 200
    assert d.health is not None and d.health.status == 200
    assert deploy(cfg).changes.created == []  # idempotent
    answer = calls.translate(d.url, "Le chat dort.")
    assert answer["fr"] == "Le chat dort." and isinstance(answer["en"], str)
    assert calls.call_api(d.url, "POST", "/translate", {"sentence": ""}).status == 400
    m = calls.measure(cfg, d.functions["slim"].name, {"sentence": "Le chat dort."}, warm_calls=5)
    assert len(m.warm) + len(m.cold_among_warm) == 5 and (m.cold.cold or m.pre_initialised)
    worst = measured_worst_case({"billed_ms": m.warm[0].billed_ms if m.warm else m.cold.billed_ms,
                                 "init_ms": m.cold.init_ms, "log_bytes": m.log_bytes},
                                d.functions["slim"].memory_mb, "x86_64", d.functions["slim"].reserved_concurrency)
    assert worst.requests == 5 * cost.SECONDS_PER_MONTH and worst.total_usd > 0
    assert scan_summary(cfg, cfg.name(REPOSITORY), pushed.uri.rsplit(":", 1)[1]).scan_type in ("BASIC", "ENHANCED")

    endpoint = sagemaker.deploy_serverless(cfg)  # 03b: the same image on SageMaker Serverless, under the same prefix
    assert endpoint.status == "InService" and endpoint.name.startswith(f"{cfg.prefix}-")
    reply = sagemaker.invoke(cfg, endpoint.name, {"sentence": "Le chat dort."})
    assert reply.status == 200 and reply.body["fr"] == "Le chat dort."
    again = sagemaker.deploy_serverless(cfg)  # idempotent: same model and config
    assert (again.model, again.config) == (endpoint.model, endpoint.config)
    found = cleanup.find_kit_resources(cfg)
    assert found["sagemaker_endpoints"] == [endpoint.name] and found["sagemaker_models"] == [endpoint.model]

    repo = cfg.name(REPOSITORY)  # 04: the safe rule is taken, the seed's rule refused
    assert cleanup.apply_lifecycle_policy(cfg, repo, cleanup.lifecycle_policy()) == cleanup.lifecycle_policy()
    with pytest.raises(KitError, match="the API would break"):
        cleanup.apply_lifecycle_policy(cfg, repo, cleanup.seed_lifecycle_policy(1))
    assert not any(v.expires for v in cleanup.preview_lifecycle(cfg, repo, cleanup.lifecycle_policy(), 30))
    deleted = cleanup.delete_kit_resources(cfg, confirm=True)
    assert deleted["lambda_functions"] == [d.functions["slim"].name] and deleted["ecr_repositories"] == [repo]
    assert deleted["sagemaker_endpoints"] == [endpoint.name] and deleted["sagemaker_models"] == [endpoint.model]
    assert not any(cleanup.prove_nothing_left(cfg).values())
