"""The one progress bar of the kit: a widget in JupyterLab, a text bar in a terminal, silent under nbval/CI.

`tqdm.auto` renders as an ipywidgets bar in a notebook (nothing lands in the committed outputs) and as a text bar
elsewhere. KIT_PROGRESS=off (set by the test run and `kit run`) silences bars entirely, so executed notebooks keep
no bar lines.
"""
from __future__ import annotations

import os
from typing import Any

from tqdm import tqdm  # the base class, and the silent bar; tqdm.auto is imported only when bars are on


def progress_enabled() -> bool:
    """False when KIT_PROGRESS is `off`/`0`/`false` (tests, nbval, `kit run`)."""
    return os.environ.get("KIT_PROGRESS", "on").strip().lower() not in ("off", "0", "false", "no")


def progress(iterable: Any = None, **kwargs: Any) -> tqdm:
    """A tqdm bar that redraws at most every 2 s, or a disabled one when progress is switched off."""
    kwargs.setdefault("mininterval", 2.0)
    kwargs.setdefault("disable", not progress_enabled())
    if kwargs["disable"]:  # importing tqdm.auto in a kernel without ipywidgets prints a warning into the outputs
        return tqdm(iterable, **kwargs)
    from tqdm.auto import tqdm as auto_tqdm

    return auto_tqdm(iterable, **kwargs)
