"""Shared by the tests that watch what the helpers send to AWS (test_iam_policy, test_cli_commands): a hook on every
boto3 client made from now on, and a stand-in image to push and deploy."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import botocore.session
import pytest

import helpers.aws
from helpers.build.image_spec import BuiltImage, StagedImage
from helpers.build.layers import dir_bytes, write_layer

HANDLERS = Path(__file__).parent / "handlers"


@contextmanager
def hook_new_clients(monkeypatch: pytest.MonkeyPatch, event: str, handler: Callable[..., Any]) -> Iterator[None]:
    """Within the block, `handler` is registered for botocore `event` on every client created (the kit's client
    and session caches are cleared on entry and exit, so every client the helpers use is a new one)."""
    create = botocore.session.Session.create_client

    def create_client(self, *args, **kwargs):
        made = create(self, *args, **kwargs)
        made.meta.events.register(event, handler)
        return made

    monkeypatch.setattr(botocore.session.Session, "create_client", create_client)
    helpers.aws._client.cache_clear()  # new clients, so every one carries the hook
    helpers.aws._session.cache_clear()  # and new sessions: the sagemaker SDK caches its clients per session
    try:
        yield
    finally:
        helpers.aws._client.cache_clear()
        helpers.aws._session.cache_clear()


def stand_in_image(tmp_path: Path) -> BuiltImage:
    """A staged image whose task root is tests/handlers (kit_test_app answers GET /health with 200)."""
    tarball = tmp_path / "layer.tar.gz"
    digest, diff_id = write_layer(HANDLERS, tarball)
    return BuiltImage(staged=StagedImage(
        runtime="slim", arch="x86_64", version="v1", context=str(tmp_path), key="k", env={"MODEL_RUNTIME": "slim"},
        cmd=["kit_test_app.app.handler"], task_root=str(HANDLERS), tarball=str(tarball), layer_digest=digest,
        diff_id=diff_id, task_root_bytes=dir_bytes(HANDLERS), tar_gz_bytes=tarball.stat().st_size))
