"""ECR behaviour moto lacks, applied in front of it: lifecycle policies validated as ECR validates them (moto checks
only their shape), and a re-pushed mutable tag leaving the old image untagged (moto deletes it)."""
from __future__ import annotations

import json
from typing import Any

from helpers.core.aws_facts.ecr_lifecycle import validate_policy
from local_aws.error_answers import EcrError
from local_aws.front.wsgi import peek_body


def refuse_invalid_policy(environ: dict, start_response: Any) -> Any | None:
    """The stack's answer to a PutLifecyclePolicy ECR would refuse (moto checks only its shape); None: let it pass."""
    body = peek_body(environ)
    try:
        problems = validate_policy(json.loads(json.loads(body)["lifecyclePolicyText"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None  # malformed: moto's own validation answers
    if not problems:
        return None
    message = ("Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: "
               f"'Lifecycle policy validation failure: {'; '.join(problems)}'")
    return EcrError(400, "InvalidParameterException", message).respond(start_response)


def untag_on_retag(environ: dict, region: str, account: str) -> None:
    """Before moto answers a PutImage: ECR moves a mutable tag to the new image and leaves the old image *untagged*
    (a function pinned to its digest keeps working until a rule expires it); moto deletes the old image instead. So
    take the tag off the old image first, as ECR does."""
    from moto.ecr.models import ecr_backends

    body = peek_body(environ)
    try:
        doc = json.loads(body)
        repository = ecr_backends[doc.get("registryId") or account][region].repositories[doc["repositoryName"]]
    except (ValueError, KeyError, TypeError):
        return  # moto answers a malformed request or a missing repository itself
    tag, manifest = doc.get("imageTag"), doc.get("imageManifest")
    if not tag or repository.is_tag_immutable():
        return
    for image in repository.images:
        if tag in image.image_tags and image.image_manifest != manifest:
            image.remove_tag(tag)
