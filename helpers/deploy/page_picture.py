"""The demo page as a picture: headless Chromium (through Selenium and the system's chromedriver) opens the page the
API serves, translates one sentence on it as a person would, and saves a screenshot, so a notebook shows what the
page looks like even where its URL cannot be opened (a committed notebook, a machine without the local stack).
Without Chromium, chromedriver or selenium, it says what to install instead.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from helpers.core.paths import kit_home

FLAGS = ("--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=900,1100")
WAIT_S = 60  # the page's first request may cold-start the function
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def browser_missing() -> str | None:
    """Why no screenshot can be taken here (what to install), or None when it can."""
    if not any(shutil.which(b) for b in BROWSERS) or not shutil.which("chromedriver"):
        return ("No headless Chromium here: install `chromium` and `chromium-driver` (Debian/Ubuntu apt; "
                "CI installs them) to get a picture of the page; open its URL in a browser meanwhile.")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "No selenium here: `pip install -e '.[dev]'` to get a picture of the page."
    return None


def _driver(profile: Path) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = next(str(shutil.which(b)) for b in BROWSERS if shutil.which(b))
    root = hasattr(os, "geteuid") and os.geteuid() == 0  # Chromium's sandbox refuses to run as root (containers, CI)
    for flag in (*FLAGS, f"--user-data-dir={profile}", *(("--no-sandbox",) if root else ())):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service(str(shutil.which("chromedriver"))))


def page_screenshot(url: str, sentence: str, path: Path | None = None) -> Path | None:
    """Open the demo page at `url`, translate `sentence` on it, save a PNG (default `.kit/artifacts/demo-page.png`);
    its path, or None after printing why no browser could take it."""
    missing = browser_missing()
    if missing:
        print(missing)
        return None
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    path = path or kit_home() / "artifacts" / "demo-page.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = kit_home() / "artifacts" / "chromium-profile"
    shutil.rmtree(profile, ignore_errors=True)
    driver = _driver(profile)
    try:
        driver.get(url)
        WebDriverWait(driver, WAIT_S).until(lambda d: "version" in d.find_element(By.ID, "model").text)
        box, placeholder = driver.find_element(By.ID, "fr"), driver.find_element(By.ID, "en").text
        box.clear()
        box.send_keys(sentence)
        driver.find_element(By.ID, "go").click()  # then wait for the API's answer (or its error) on the page
        WebDriverWait(driver, WAIT_S).until(lambda d: d.find_element(By.ID, "en").text not in ("", placeholder)
                                            or d.find_element(By.ID, "error").is_displayed())
        driver.save_screenshot(str(path))
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    return path
