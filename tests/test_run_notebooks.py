"""`bash kit run` (helpers.run_notebooks): quiet progress in the kernels, and a usage line instead of a run."""
from __future__ import annotations

import os

import pytest

from helpers import run_notebooks


def test_kernels_run_without_progress_bars(kit_home, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KIT_PROGRESS", raising=False)
    seen: list[str | None] = []
    monkeypatch.setattr(run_notebooks, "run_notebook",
                        lambda name, out_dir: seen.append(os.environ.get("KIT_PROGRESS")) or 0.0)
    monkeypatch.setattr(run_notebooks, "load_state", lambda: {})
    assert run_notebooks.main([]) == 0
    assert seen == ["off"] * len(run_notebooks.NOTEBOOKS)  # each kernel inherits this environment


def test_help_and_unknown_arguments_run_nothing(kit_home, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(run_notebooks, "run_notebook", lambda name, out_dir: pytest.fail(f"ran {name}"))
    assert run_notebooks.main(["--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: python -m helpers.run_notebooks [--inplace NAME...]")
    assert run_notebooks.main(["03_deploy_lambda"]) == 2


def test_silent_bars_never_import_tqdm_auto() -> None:
    """In a kernel without ipywidgets, importing tqdm.auto writes a warning (with a local path) into the outputs."""
    import subprocess
    import sys

    code = ("import sys; from helpers.core.progress import progress; assert list(progress(range(3))) == [0, 1, 2]; "
            "print('tqdm.auto' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "KIT_PROGRESS": "off"}).stdout
    assert out.strip() == "False"
