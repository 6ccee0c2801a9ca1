"""The local image store: register after a push, find by tag or digest."""
from __future__ import annotations

import json

import pytest

from local_aws.ecr.images import ImageRecord, find_image, register_image

REPO = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ltk-translator"
D1, D2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64


def test_find_by_tag_and_digest(kit_home):
    register_image(ImageRecord(uri=f"{REPO}:slim", digest=D1, task_root="/tmp/a"))
    assert find_image(f"{REPO}:slim").task_root == "/tmp/a"
    assert find_image(f"{REPO}@{D1}").uri == f"{REPO}:slim"
    assert find_image(f"{REPO}:torch") is None
    assert find_image(f"{REPO}@{D2}") is None
    assert find_image(f"{REPO}-other:slim") is None


def test_repush_of_a_tag_replaces_it_and_keeps_old_digest_findable_only_if_other_tag(kit_home):
    register_image(ImageRecord(uri=f"{REPO}:slim", digest=D1, task_root="/tmp/a"))
    register_image(ImageRecord(uri=f"{REPO}:slim", digest=D2, task_root="/tmp/b"))
    assert find_image(f"{REPO}:slim").digest == D2
    assert find_image(f"{REPO}@{D1}") is None
    records = json.loads((kit_home / "local" / "images.json").read_text())
    assert len(records) == 1  # idempotent: a re-push never duplicates


def test_registry_port_is_not_a_tag_and_latest_is_default(kit_home):
    register_image(ImageRecord(uri="127.0.0.1:5000/ltk:latest", digest=D1, container_image="ltk:latest"))
    assert find_image("127.0.0.1:5000/ltk").container_image == "ltk:latest"
    assert find_image("127.0.0.1:5000/ltk:latest").repository == "127.0.0.1:5000/ltk"


def test_bad_digest_is_refused(kit_home):
    with pytest.raises(ValueError, match="sha256"):
        register_image(ImageRecord(uri=f"{REPO}:x", digest="abc"))
