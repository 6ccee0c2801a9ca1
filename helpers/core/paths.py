"""Where the kit keeps things: the repo, the git-ignored state folder, model artifacts."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT: Path = Path(__file__).resolve().parents[2]  # helpers/core/paths.py -> the repo
LAMBDA_APP: Path = REPO_ROOT / "lambda_app"


def kit_home() -> Path:
    """The git-ignored working folder (`.kit/`), overridable with KIT_HOME (tests use a tmp dir)."""
    home = Path(os.environ.get("KIT_HOME", REPO_ROOT / ".kit"))
    home.mkdir(parents=True, exist_ok=True)
    return home


def model_dir() -> Path:
    """Where 01_train exports the model artifacts that the image ships (KIT_MODEL_DIR overrides)."""
    override = os.environ.get("KIT_MODEL_DIR")
    return Path(override) if override else kit_home() / "model"
