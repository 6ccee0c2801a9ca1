"""The emulator's public face: all that the stages (helpers.*), helpers.aws and the notebooks may use of local_aws.

Everything else in local_aws is its inside (tests/test_architecture.py refuses a stage module that imports it):
- the stack: `ensure_stack()` (started on demand, shared by every notebook), `running_stack()`, `stop_stack()`,
  `api_url(api_id)` (a local HTTP API's base URL), `kit_processes()` (what runs under this KIT_HOME);
- the local image store that 02 fills and Lambda/SageMaker run from: `ImageRecord`, `register_image`,
  `find_image`, `forget_images`;
- the clock that 04 advances (ECR's lifecycle rules act when days pass): `read_clock()`, `advance_clock(days)`;
- describe: `where_function_runs(image_uri)`, `where_endpoint_serves(image_uri)` (which local path, in words).
`python -m local_aws status|stop` acts on the stack from a shell.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests

from helpers.core.errors import KitError
from local_aws.ecr.images import ImageRecord, find_image, forget_images, register_image
from local_aws.stack.control import StackInfo, api_url, ensure_stack, running_stack, stop_stack
from local_aws.stack.processes import kit_processes

__all__ = ["ImageRecord", "StackInfo", "LocalClock", "advance_clock", "api_url", "ensure_stack", "find_image",
           "forget_images", "kit_processes", "read_clock", "register_image", "running_stack", "stop_stack",
           "where_endpoint_serves", "where_function_runs"]
NOT_STORED = "nowhere yet: the image is not in the local image store (re-run 02)"


@dataclass(frozen=True)
class LocalClock:
    """The emulator's time after a move, and the images its lifecycle rules expired then."""

    now: datetime
    offset_days: float
    expired: list[dict[str, Any]]


def _clock(body: dict[str, Any] | None) -> LocalClock:
    url = f"{ensure_stack().endpoint}/_kit/clock"
    try:
        resp = requests.get(url, timeout=30) if body is None else requests.post(url, json=body, timeout=120)
    except requests.RequestException as err:
        raise KitError(f"The local stack at {url} does not answer ({type(err).__name__}): run "
                       "`python -m local_aws stop` and re-run from 02 (it restarts on demand).") from None
    if resp.status_code != 200:
        raise KitError(f"The local clock refused the request ({resp.json().get('message')}): pass days >= 0.")
    doc = resp.json()
    return LocalClock(datetime.fromisoformat(doc["now"]), float(doc["offset_days"]), list(doc["expired"]))


def read_clock() -> LocalClock:
    """The emulator's time now (its clock runs ahead of this machine's by what advance_clock added)."""
    return _clock(None)


def advance_clock(days: float, region: str) -> LocalClock:
    """Move the emulator's clock `days` on; ECR's lifecycle rules of `region` then run; the images they expired."""
    return _clock({"advance_days": days, "region": region})


def where_function_runs(image_uri: str) -> str:
    """Which local path a Lambda function with this image takes (a container, or a host process), in words."""
    from local_aws.awslambda.launchers import launcher_description

    rec = find_image(image_uri)
    return launcher_description(rec) if rec else NOT_STORED


def where_endpoint_serves(image_uri: str) -> str:
    """Which local path a SageMaker endpoint with this image takes for its serve mode, in words."""
    from local_aws.sagemaker.serve_instances import serve_description

    rec = find_image(image_uri)
    return serve_description(rec) if rec else NOT_STORED
