"""Lambda runs the image as a non-root user: every staged file must be readable by others (a+r), every directory
enterable (a+x). A file with mode 0600 in the build context is caught: the context and the task root get a+rX, and
the source file keeps its own mode."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from helpers.build import dockerfile, image_spec, staging


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.fixture
def secret_model(tmp_path: Path) -> Path:
    """A model directory whose weights are 0600 (a umask of 077, or a copied private file)."""
    model = tmp_path / "model"
    model.mkdir()
    (model / "vocab.json").write_text('{"src": ["<pad>"], "tgt": ["<pad>"]}')
    (model / "model_card.json").write_text(json.dumps({"name": "fake", "version": "v1"}))
    for name in ("weights.pt", "encoder.onnx", "decoder.onnx"):
        (model / name).write_bytes(b"w" * 100)
    os.chmod(model / "encoder.onnx", 0o600)
    return model


def test_a_0600_file_in_the_build_context_becomes_readable_by_lambdas_user(
        kit_home: Path, secret_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wheelhouse = tmp_path / "wheelhouse-cp311"
    wheelhouse.mkdir()
    (wheelhouse / "numpy-2.0-py3-none-any.whl").write_bytes(b"PK")
    monkeypatch.setattr(staging, "download_wheelhouse", lambda runtime, arch, base: wheelhouse)
    staged = staging.stage_context("slim", "x86_64", secret_model)
    context = Path(staged.context)
    assert mode(context / "model" / "encoder.onnx") & 0o444 == 0o444
    assert staging.not_world_readable(context) == []
    assert mode(secret_model / "encoder.onnx") == 0o600  # the source keeps its mode


def test_the_stager_copies_unreadable_files_readable_without_touching_the_source(tmp_path: Path) -> None:
    context = tmp_path / "ctx"
    (context / "app").mkdir(parents=True)
    (context / "app" / "open.py").write_text("A")
    (context / "app" / "private.py").write_text("B")
    os.chmod(context / "app" / "private.py", 0o600)
    stager = staging._Stager(context, tmp_path / "fs", {}, "x86_64", image_spec.HOST_BASE)
    stager.run(dockerfile.parse_dockerfile("FROM b\nCOPY app/ ${LAMBDA_TASK_ROOT}/app/\n"))
    root = stager.host("/var/task")
    assert mode(root / "app" / "private.py") & 0o444 == 0o444
    assert mode(context / "app" / "private.py") == 0o600


def test_unreadable_paths_are_listed_and_fixed_without_changing_linked_files(tmp_path: Path) -> None:
    root = tmp_path / "task"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "mod.py").write_text("x")
    (root / "run.sh").write_text("#!/bin/sh\n")
    os.chmod(root / "pkg" / "mod.py", 0o600)
    os.chmod(root / "run.sh", 0o700)
    os.chmod(root / "pkg", 0o700)
    outside = tmp_path / "linked.py"
    outside.write_text("shared")
    os.chmod(outside, 0o600)
    os.link(outside, root / "linked.py")
    assert staging.not_world_readable(root) == ["linked.py", "pkg", "pkg/mod.py", "run.sh"]
    staging.make_world_readable(root)
    assert staging.not_world_readable(root) == []
    assert mode(root / "run.sh") == 0o755 and mode(root / "pkg") == 0o755 and mode(root / "pkg" / "mod.py") == 0o644
    assert mode(outside) == 0o600  # the hard link was replaced by a copy before chmod
