"""Issue 23, item 6: no sequence of learner steps can expire an image a deployed function or endpoint runs.

A property test over random sequences of push (a new version, or the same tag pushed again), deploy a function,
deploy 03b's endpoint, apply the kit's lifecycle policy (any of its settings), advance the clock, and call: after
every step ECR's rules are applied (ECR may act at any time) and every deployment's image must still be in the
repository. It drives the emulator's rule engine (helpers.core.aws_facts.ecr_lifecycle, the one the stack applies) on a
model of the repository, with the kit's own policy and live tags, so hundreds of sequences run in seconds; a few
sequences also run end to end on the emulator (the function is invoked cold after the clock moved)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.build.image_spec import RUNTIMES
from helpers.build.live_tags import live_tag
from helpers.cleanup.lifecycle import lifecycle_policy
from helpers.core.aws_facts.ecr_lifecycle import evaluate_policy

HOLDERS = ("ltk-translator-slim", "ltk-translator-torch", "ltk-translator-sls")  # two functions, one endpoint
START = datetime(2026, 12, 1, tzinfo=timezone.utc)


class Repository:
    """ECR as the rules see it: images with tags and push times; a mutable tag moves to the image pushed with it."""

    def __init__(self) -> None:
        self.images: dict[str, dict[str, Any]] = {}
        self.now, self.policy, self.pushes, self.version = START, None, 0, {rt: 0 for rt in RUNTIMES}
        self.live: dict[str, str] = {}  # holder -> the digest it runs

    def _tag(self, digest: str, tag: str) -> None:
        for image in self.images.values():
            if tag in image["imageTags"]:
                image["imageTags"].remove(tag)  # left untagged when it was its last tag, as ECR does
        self.images[digest]["imageTags"].append(tag)

    def push(self, runtime: str, same_tag: bool) -> None:
        self.pushes += 1
        self.version[runtime] += 0 if same_tag and self.version[runtime] else 1
        digest = f"sha256:{self.pushes:064x}"
        self.images[digest] = {"imageDigest": digest, "imageTags": [], "imagePushedAt": self.now,
                               "imageSizeInBytes": 1}
        self._tag(digest, f"{runtime}-v{self.version[runtime]}")

    def deploy(self, holder: str, runtime: str) -> None:
        """03 or 03b with the runtime's current tag: the deployment runs its digest, which the kit marks live."""
        tag = f"{runtime}-v{self.version[runtime]}"
        digest = next((d for d, i in self.images.items() if tag in i["imageTags"]), None)
        if digest is not None:  # (a tag that was never pushed cannot be deployed)
            self.live[holder] = digest
            self._tag(digest, live_tag(holder))

    def apply_rules(self) -> None:
        """ECR applies the policy whenever it likes: here after every step."""
        if self.policy is not None:
            for verdict in evaluate_policy(self.policy, list(self.images.values()), self.now):
                if verdict.expires:
                    del self.images[verdict.digest]

    def serving(self) -> dict[str, bool]:
        """Whether each deployment's image is still there (Lambda and SageMaker pull it again: cold start,
        Inactive -> Active, new capacity)."""
        return {holder: digest in self.images for holder, digest in self.live.items()}


STEPS = st.one_of(
    st.tuples(st.just("push"), st.sampled_from(RUNTIMES), st.booleans()),
    st.tuples(st.just("deploy"), st.sampled_from(HOLDERS), st.sampled_from(RUNTIMES)),
    st.tuples(st.just("apply"), st.integers(1, 5), st.integers(1, 4)),
    st.tuples(st.just("advance"), st.floats(0, 120, allow_nan=False)),
    st.tuples(st.just("invoke"), st.sampled_from(HOLDERS)),
)


def run(steps: list[tuple[Any, ...]], policy_of: Any = lifecycle_policy) -> Repository:
    repo = Repository()
    for step in steps:
        kind = step[0]
        if kind == "push":
            repo.push(step[1], step[2])
        elif kind == "deploy":
            runtime = step[2] if step[1].endswith("-sls") else step[1].rsplit("-", 1)[1]
            repo.deploy(step[1], runtime)
        elif kind == "apply":
            repo.policy = policy_of(step[1], step[2])
        elif kind == "advance":
            repo.now += timedelta(days=step[1])
        repo.apply_rules()
        assert all(repo.serving().values()), f"a live image expired after {step}: {repo.serving()}"
    return repo


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STEPS, max_size=40))
def test_no_sequence_of_steps_expires_a_live_image(steps: list[tuple[Any, ...]]) -> None:
    run(steps)


def test_the_sequences_that_broke_the_old_rules_are_safe() -> None:
    """The same tag pushed again (the running digest left untagged), then more versions than the policy keeps."""
    again = [("push", "slim", False), ("deploy", "ltk-translator-slim", "slim"), ("apply", 1, 2),
             ("push", "slim", True), ("advance", 2.0)]
    newer = [("push", "slim", False), ("deploy", "ltk-translator-sls", "slim"), ("apply", 1, 1),
             ("push", "slim", False), ("push", "slim", False), ("advance", 30.0)]
    for steps in (again, newer):
        assert all(run(steps).serving().values())


# ------------------------------------------------------------------------------------- end to end, on the emulator

@pytest.mark.parametrize("tail", [[("repush",), ("advance", 2.0)], [("push",), ("push",), ("push",),
                                                                  ("advance", 30.0)]])
def test_end_to_end_the_deployed_function_keeps_answering(local_stack: Any, tail: list[tuple[Any, ...]]) -> None:
    from helpers import cleanup
    from helpers.aws import client
    from helpers.core.config import get_config
    from helpers.core.changes import Changes
    from helpers.deploy import ensure_function, ensure_role
    from helpers.deploy.calls import invoke
    from test_local_stack import push_test_image

    cfg = get_config()
    repo = f"ltk-e2e-{len(tail)}"
    role = ensure_role(cfg, Changes())
    name = ensure_function(cfg, "slim", push_test_image(repo, "slim-v1"), role, Changes()).name
    cleanup.apply_lifecycle_policy(cfg, repo, cleanup.lifecycle_policy(untagged_days=1, keep_per_runtime=1))
    version = 1
    for step in tail:
        if step[0] == "repush":  # the same tag, new contents: the running digest is left untagged
            ecr = client("ecr")
            manifest = ecr.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "slim-v1"}])["images"][0]
            ecr.put_image(repositoryName=repo, imageTag="slim-v1",
                          imageManifest=manifest["imageManifest"].replace('"size": 100', '"size": 101'))
        elif step[0] == "push":
            version += 1
            push_test_image(repo, f"slim-v{version}")
        else:
            cleanup.advance_local_clock(cfg, step[1])  # rules applied; warm environments retired
    assert invoke(cfg, name, {"ok": 1}).result["echo"] == {"ok": 1}  # a cold start: Lambda needs its image again
    client("lambda").delete_function(FunctionName=name)
