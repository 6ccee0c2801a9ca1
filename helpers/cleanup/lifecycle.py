"""ECR lifecycle rules that cap storage without ever breaking the live API.

Lambda needs a function's image again whenever the function is updated or comes back from being inactive; if a
lifecycle rule deleted it, the function fails (StateReasonCode `ImageDeleted`). The seed article's rule (every
image expires N days after push) therefore breaks the API N days later. The kit's rules expire *untagged* images
(left behind when a tag moves to a new push) after N days and keep the newest K images per runtime (tags
`slim-*`, `torch-*`); `apply_lifecycle_policy` refuses any policy that would ever expire an image a deployed
function runs.

ECR applies the rules by itself (within a day); moto only stores them, so on `local` the emulator applies them
when its clock moves (`advance_local_clock`, local_aws.face.advance_clock). ECR's semantics live in
helpers.core.aws_facts.ecr_lifecycle (one implementation, used by the emulator and by `preview_lifecycle`).
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any


from helpers.aws import aws_errors, client
from helpers.build.image_spec import RUNTIMES
from helpers.core.config import KitConfig
from helpers.core.errors import KitError
from helpers.core.aws_facts.ecr_lifecycle import Verdict, evaluate_policy, validate_policy
from local_aws.face import LocalClock, advance_clock, read_clock

HORIZON_DAYS = 3650  # "ever": a policy is checked against the live images as of ten years from now


def lifecycle_policy(untagged_days: int = 1, keep_per_runtime: int = 2) -> dict[str, Any]:
    """The safe policy: untagged images expire `untagged_days` after push; the newest `keep_per_runtime` images of
    each runtime (`slim-*`, `torch-*`) are kept, older ones expire. Deployed tags are the newest, so never selected."""
    if untagged_days < 1:
        raise KitError(f"untagged_days must be at least 1 (got {untagged_days}): ECR counts whole days since push.")
    if keep_per_runtime < 1:
        raise KitError(f"keep_per_runtime must be at least 1 (got {keep_per_runtime}): the deployed image is one.")
    rules: list[dict[str, Any]] = [{
        "rulePriority": 1, "description": f"expire untagged images {untagged_days} day(s) after push",
        "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                      "countNumber": untagged_days},
        "action": {"type": "expire"},
    }]
    for n, runtime in enumerate(RUNTIMES, start=2):  # one rule per runtime: patterns in one list must ALL match
        rules.append({
            "rulePriority": n, "description": f"keep the newest {keep_per_runtime} {runtime}-* images",
            "selection": {"tagStatus": "tagged", "tagPatternList": [f"{runtime}-*"],
                          "countType": "imageCountMoreThan", "countNumber": keep_per_runtime},
            "action": {"type": "expire"},
        })
    return {"rules": rules}


def seed_lifecycle_policy(expire_days: int = 1) -> dict[str, Any]:
    """The seed article's rule: every image expires `expire_days` after push. It breaks a deployed API: the kit
    refuses to apply it (`apply_lifecycle_policy`); 04 previews it and a test shows the trap."""
    return {"rules": [{
        "rulePriority": 1, "description": f"expire every image {expire_days} day(s) after push",
        "selection": {"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days",
                      "countNumber": expire_days},
        "action": {"type": "expire"},
    }]}


def images(cfg: KitConfig, repository: str) -> list[dict[str, Any]]:
    """The repository's images (describe_images details)."""
    ecr = client("ecr", cfg)
    with aws_errors():
        pages = ecr.get_paginator("describe_images").paginate(repositoryName=repository)
        return [d for page in pages for d in page["imageDetails"]]


def live_images(cfg: KitConfig) -> dict[str, str]:
    """Image digest -> name of the kit's function that runs it (what Lambda resolved the function's tag to)."""
    from helpers.deploy.settings import function_name

    lam, live = client("lambda", cfg), {}
    with aws_errors():
        for runtime in RUNTIMES:
            name = function_name(cfg, runtime)
            try:
                code = lam.get_function(FunctionName=name)["Code"]
            except lam.exceptions.ResourceNotFoundException:
                continue
            resolved = code.get("ResolvedImageUri") or ""
            if "@" in resolved:
                live[resolved.split("@", 1)[1]] = name
    return live


def apply_lifecycle_policy(cfg: KitConfig, repository: str, policy: dict[str, Any],
                           allow_breaking_live_api: bool = False) -> dict[str, Any]:
    """Put the policy on the repository (idempotent: it replaces any earlier one) and read it back.

    Refused (KitError) when ECR would refuse it, or when it would ever expire an image a deployed function runs
    (unless `allow_breaking_live_api`, for the test that demonstrates the trap).
    """
    problems = validate_policy(policy)
    if problems:
        raise KitError(f"ECR would refuse this lifecycle policy ({'; '.join(problems)}): fix the rules and re-run.")
    if not allow_breaking_live_api:
        live = live_images(cfg)
        later = datetime.now(timezone.utc) + timedelta(days=HORIZON_DAYS)
        doomed = [v for v in evaluate_policy(policy, images(cfg, repository), later) if v.expires and v.digest in live]
        if doomed:
            v = doomed[0]
            raise KitError(
                f"This lifecycle policy would expire {','.join(v.tags) or 'the untagged image'} ({v.digest[:19]}...), "
                f"which {live[v.digest]} runs: Lambda needs the image again when the function is updated or goes "
                "inactive, so the API would break. Use cleanup.lifecycle_policy() (it keeps the deployed tags).")
    ecr = client("ecr", cfg)
    with aws_errors():
        ecr.put_lifecycle_policy(repositoryName=repository, lifecyclePolicyText=json.dumps(policy))
        stored = ecr.get_lifecycle_policy(repositoryName=repository)
    return dict(json.loads(stored["lifecyclePolicyText"]))


def _clock(cfg: KitConfig, advance_days: float | None) -> LocalClock:
    if cfg.target != "local":
        raise KitError("Only the local emulator has a clock to advance: on aws, ECR applies lifecycle rules by itself "
                       "within a day; use preview_lifecycle() to see what they will expire.")
    return read_clock() if advance_days is None else advance_clock(advance_days, cfg.region)


def advance_local_clock(cfg: KitConfig, days: float) -> LocalClock:
    """Move the local emulator's clock `days` on; ECR's lifecycle rules then run (local target only)."""
    if days < 0:
        raise KitError(f"The clock only moves forward: pass days >= 0 (got {days}).")
    return _clock(cfg, days)


def preview_lifecycle(cfg: KitConfig, repository: str, policy: dict[str, Any],
                      days_from_now: float = 0) -> list[Verdict]:
    """Which images the policy expires `days_from_now` days from now (the emulator's now on `local`)."""
    now = _clock(cfg, None).now if cfg.target == "local" else datetime.now(timezone.utc)
    return evaluate_policy(policy, images(cfg, repository), now + timedelta(days=days_from_now))


def verdict_rows(verdicts: list[Verdict], live: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """One table row per image: tags, pushed, size, what the policy does with it and why, which function runs it."""
    return [{"tags": ",".join(v.tags) or "<untagged>", "digest": v.digest[:19] + "...",
             "pushed": f"{v.pushed_at:%Y-%m-%d %H:%M}", "MB": v.size_mb, "verdict": v.reason,
             "runs in": (live or {}).get(v.digest, "-")} for v in verdicts]
