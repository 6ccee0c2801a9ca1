"""A small JSON state file under `.kit/` carrying what one notebook hands to the next."""
from __future__ import annotations

import json
from typing import Any

from helpers.core.paths import kit_home, write_json


def _path():
    return kit_home() / "state.json"


def load_state() -> dict[str, Any]:
    """The whole state (empty dict when nothing was saved yet)."""
    p = _path()
    return json.loads(p.read_text()) if p.exists() else {}


def save_state(**values: Any) -> dict[str, Any]:
    """Merge `values` into the state and write it atomically; returns the new state."""
    state = load_state()
    state.update(values)
    write_json(_path(), state, indent=2, sort_keys=True)
    return state


def clear_state() -> None:
    """Forget everything (used by 04_cleanup)."""
    _path().unlink(missing_ok=True)
