"""03's picture of the demo page: headless Chromium translates a sentence on the page the local HTTP API serves and
saves a screenshot; without a browser it says what to install and draws nothing."""
from __future__ import annotations

import struct
from pathlib import Path

import pytest

from helpers.deploy import page_picture


def test_without_a_browser_it_says_what_to_install(monkeypatch: pytest.MonkeyPatch, capsys, tmp_path: Path) -> None:
    monkeypatch.setattr(page_picture.shutil, "which", lambda name: None)
    assert page_picture.page_screenshot("http://127.0.0.1:9/", "Bonjour.", tmp_path / "p.png") is None
    assert "chromium-driver" in capsys.readouterr().out and not (tmp_path / "p.png").exists()


@pytest.mark.skipif(page_picture.browser_missing() is not None, reason=str(page_picture.browser_missing()))
def test_the_page_is_photographed_after_a_translation(local_stack, untrained_model_dir: Path,
                                                      tmp_path: Path) -> None:
    from benchmarks.task_roots import dev_task_root
    from helpers.build import BuiltImage, push_image
    from helpers.core.config import get_config
    from helpers.core.state import save_state
    from helpers.deploy import deploy

    cfg = get_config(runtime="slim")
    root = dev_task_root("slim", untrained_model_dir, tmp_path / "root")
    save_state(image_uris={"slim": push_image(cfg, BuiltImage(staged=root.staged)).uri})
    shot = page_picture.page_screenshot(deploy(cfg).url + "/", "Le chat dort.", tmp_path / "page.png")
    assert shot is not None and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", shot.read_bytes()[16:24])
    assert width == 900 and height > 400 and shot.stat().st_size > 10_000
