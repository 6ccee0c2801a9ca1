"""The emulator's clock: days can pass in a notebook, and ECR's lifecycle rules act when they do.

ECR applies lifecycle rules by itself, within a day of an image meeting them; moto never does. The stack keeps
a clock offset: `POST /_kit/clock {"advance_days": N, "region": R}` moves it N days on, retires the warm execution
environments (none lives for days, so the next call is a cold start) and applies every repository's lifecycle
policy in region R at the new time (apply_policies below); the answer lists the expired images.
`GET /_kit/clock` tells the emulator's time. local_aws.face.advance_clock is the client side.
"""
from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from helpers.core.aws_facts.ecr_lifecycle import evaluate_policy
from local_aws.front.wsgi import respond
from local_aws.error_answers import KitApiError


class LifecycleClock:
    """A clock offset for the stack, and the lifecycle rules applied when it moves."""

    def __init__(self, ecr_client: Callable[[str], Any], retire_instances: Callable[[], None],
                 log: Callable[[str], None]) -> None:
        self._ecr, self._retire, self._log = ecr_client, retire_instances, log
        self.offset_days = 0.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The emulator's current time (UTC)."""
        return datetime.now(timezone.utc) + timedelta(days=self.offset_days)

    def advance(self, days: float, region: str) -> list[dict[str, Any]]:
        """Move the clock `days` on (0: only apply the rules now) and apply lifecycle rules; the expired images."""
        if days < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self.offset_days += days
            if days > 0:
                self._retire()
            expired = apply_policies(self._ecr(region), self.now())
        self._log(f"clock +{days:g} d (offset {self.offset_days:g} d): lifecycle rules expired {len(expired)} image(s)")
        return expired

    def wsgi(self, environ: dict, start_response: Any) -> Any:
        """The `/_kit/clock` endpoint (GET: the time; POST: advance and apply the rules)."""
        expired: list[dict[str, Any]] = []
        if environ.get("REQUEST_METHOD") == "POST":
            try:
                doc = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) or b"{}")
                expired = self.advance(float(doc.get("advance_days", 0)), str(doc.get("region") or "us-east-1"))
            except (ValueError, TypeError, AttributeError) as e:
                return KitApiError(400, "BadRequest", f"bad clock request: {e}").respond(start_response)
        body = {"now": self.now().isoformat(), "offset_days": self.offset_days, "expired": expired}
        return respond(start_response, 200, {"content-type": "application/json"}, json.dumps(body).encode())


def apply_policies(ecr: Any, now: datetime) -> list[dict[str, Any]]:
    """Expire, in every repository of this ECR client's region, what its lifecycle policy selects at `now`.

    Returns the expired images (repository, digest, tags).
    """
    expired: list[dict[str, Any]] = []
    for page in ecr.get_paginator("describe_repositories").paginate():
        for repo in page["repositories"]:
            name = repo["repositoryName"]
            try:
                policy = json.loads(ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"])
            except ecr.exceptions.LifecyclePolicyNotFoundException:
                continue
            images = [d for p in ecr.get_paginator("describe_images").paginate(repositoryName=name)
                      for d in p["imageDetails"]]
            gone = [v for v in evaluate_policy(policy, images, now) if v.expires]
            if gone:
                ecr.batch_delete_image(repositoryName=name, imageIds=[{"imageDigest": v.digest} for v in gone])
            expired += [{"repository": name, "digest": v.digest, "tags": list(v.tags)} for v in gone]
    return expired
