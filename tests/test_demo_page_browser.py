"""The demo page (`GET /`) in a real browser: headless Chromium, driven by Selenium, uses it as a person would.

The page is served the way 03 serves it: the handler (with a briefly trained model) pushed as 02 pushes a staged
image and deployed with `deploy()`, run by the local Lambda runtime behind the local HTTP API. A screenshot of the
translated seed sentence is saved to .kit/artifacts/demo-page.png (docs/demo-page.png is one, for the README).
"""
from __future__ import annotations

import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from helpers.core.paths import REPO_ROOT
from helpers.train.corpus import SEED_SENTENCE

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="needs Debian's headless browser: apt-get install chromium chromium-driver (.ci/run installs them)")
webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium: pip install -e '.[dev]'")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=900,760")
SCREENSHOT = REPO_ROOT / ".kit" / "artifacts" / "demo-page.png"
WAIT_S = 60  # the first request cold-starts the function


@pytest.fixture(scope="module")
def page_url(local_stack, trained_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo page's URL on a local HTTP API in front of the slim handler, pushed and deployed as 02 and 03 do."""
    from benchmarks.task_roots import dev_task_root
    from helpers.build import BuiltImage, push_image
    from helpers.core.config import get_config
    from helpers.core.state import save_state
    from helpers.deploy import deploy

    cfg = get_config(runtime="slim")
    root = dev_task_root("slim", trained_model_dir, tmp_path_factory.mktemp("demo-task-root"))
    save_state(image_uris={"slim": push_image(cfg, BuiltImage(staged=root.staged)).uri})
    return deploy(cfg).url + "/"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium with a fresh profile, through Debian's chromedriver (no driver download)."""
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def _text(browser: Any, element_id: str) -> str:
    return browser.find_element(By.ID, element_id).text


def _submit(browser: Any, sentence: str) -> None:
    box = browser.find_element(By.ID, "fr")
    box.clear()
    box.send_keys(sentence)
    browser.find_element(By.ID, "go").click()


def _open(browser: Any, url: str) -> None:
    """Load the page and wait until it shows the model it talks to (its own GET health call)."""
    browser.get(url)
    WebDriverWait(browser, WAIT_S).until(lambda b: "version" in _text(b, "model"))


def test_the_seed_sentence_is_translated(browser: Any, page_url: str) -> None:
    _open(browser, page_url)
    assert browser.title == "French to English translator" and "slim runtime" in _text(browser, "model")
    _submit(browser, SEED_SENTENCE[0])
    WebDriverWait(browser, WAIT_S).until(lambda b: _text(b, "en") == SEED_SENTENCE[1])
    assert "ms on the server" in _text(browser, "meta")
    assert not browser.find_element(By.ID, "unknown").is_displayed()
    assert not browser.find_element(By.ID, "error").is_displayed()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOT)) and SCREENSHOT.stat().st_size > 10_000


def test_an_empty_sentence_shows_the_apis_error(browser: Any, page_url: str) -> None:
    _open(browser, page_url)
    _submit(browser, "")
    WebDriverWait(browser, WAIT_S).until(lambda b: b.find_element(By.ID, "error").is_displayed())
    assert _text(browser, "error") == "'sentence' is empty: send a French sentence."
    assert "HTTP 400" in _text(browser, "meta")


def test_unknown_words_get_a_notice(browser: Any, page_url: str) -> None:
    _open(browser, page_url)
    _submit(browser, "Les deux zorglubs marchent dans le parc.")
    WebDriverWait(browser, WAIT_S).until(lambda b: b.find_element(By.ID, "unknown").is_displayed())
    assert "zorglubs" in _text(browser, "unknown") and _text(browser, "en")


def test_example_sentences_translate_on_click(browser: Any, page_url: str) -> None:
    from lambda_app.demo_page import EXAMPLES

    _open(browser, page_url)
    buttons = browser.find_elements(By.CSS_SELECTOR, "#examples button.ex")
    assert [b.text for b in buttons] == [s for group in EXAMPLES.values() for s in group]
    for button in (buttons[0], buttons[-1]):
        before = _text(browser, "meta")
        button.click()
        WebDriverWait(browser, WAIT_S).until(lambda b: _text(b, "meta") != before and "ms" in _text(b, "meta"))
        assert browser.find_element(By.ID, "fr").get_attribute("value") == button.text
        assert _text(browser, "en") and "placeholder" not in browser.find_element(By.ID, "en").get_attribute("class")


def test_low_confidence_notice_and_vocabulary_link(browser: Any, page_url: str) -> None:
    _open(browser, page_url)
    doubt = browser.find_element(By.ID, "doubt")
    assert not doubt.is_displayed()
    browser.execute_script("showDoubt({low_confidence: true, confidence: 0.31, unknown: []})")  # the page's own code
    assert doubt.is_displayed() and "unsure" in doubt.text and "31%" in doubt.text
    browser.execute_script("showDoubt({low_confidence: true, confidence: 0.2, unknown: ['zorglub']})")
    assert not doubt.is_displayed()  # the unknown-word notice says it already
    link = browser.find_element(By.ID, "vocab")
    assert link.get_attribute("href") == page_url + "vocabulary"
    link.click()
    WebDriverWait(browser, WAIT_S).until(lambda b: '"words"' in b.page_source)
    assert '"chien"' in browser.page_source


class _Parent(BaseHTTPRequestHandler):
    """Serves one HTML document: the page that embeds the demo page (like JupyterLab, from another origin)."""

    html = b""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.html)

    def log_message(self, *args: Any) -> None:
        pass


def test_the_page_works_inside_the_notebooks_iframe(browser: Any, page_url: str) -> None:
    from IPython.display import IFrame

    _Parent.html = IFrame(page_url, width="100%", height=560)._repr_html_().encode()  # what 03's cell displays
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Parent)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        browser.get(f"http://127.0.0.1:{server.server_address[1]}/")
        browser.switch_to.frame(browser.find_element(By.TAG_NAME, "iframe"))
        WebDriverWait(browser, WAIT_S).until(lambda b: "version" in _text(b, "model"))
        _submit(browser, SEED_SENTENCE[0])
        WebDriverWait(browser, WAIT_S).until(lambda b: _text(b, "en") == SEED_SENTENCE[1])
    finally:
        browser.switch_to.default_content()
        server.shutdown()
        server.server_close()
