"""Shared pytest fixtures. Each test gets its own `.kit/` folder so tests never touch a user's state."""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def kit_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private KIT_HOME for one test, on the offline target."""
    home = tmp_path / "kit-home"
    home.mkdir()
    monkeypatch.setenv("KIT_HOME", str(home))
    monkeypatch.setenv("KIT_TARGET", "local")
    return home
