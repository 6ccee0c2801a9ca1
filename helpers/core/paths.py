"""Where the kit keeps things: the repo, the git-ignored state folder, model artifacts."""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

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


def shown_path(path: Path | str) -> str:
    """`path` as the notebooks print it: relative to the repo (`.kit/model`) or to KIT_HOME (`$KIT_HOME/model`),
    so executed outputs name no directory of the machine that ran them; other paths as they are."""
    p = Path(path).resolve()
    for base, prefix in ((REPO_ROOT, ""), (kit_home().resolve(), "$KIT_HOME/")):
        if p.is_relative_to(base):
            return prefix + p.relative_to(base).as_posix() if p != base else (prefix.rstrip("/") or ".")
    return str(path)


def write_json(path: Path, doc: Any, **dumps: Any) -> None:
    """Write `doc` as JSON to `path` atomically: a reader sees the old file or the new one, never a part."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(doc, **dumps))
    tmp.replace(path)
