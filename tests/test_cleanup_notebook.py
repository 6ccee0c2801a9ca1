"""04_cleanup, executed as a learner runs it (a fresh kernel, every cell), in the situations it must handle: from
nothing (before 03, or a second run), after a deploy that failed half-way, and a day later (the stack gone). Each
run ends with nothing of the kit left and no process of it running."""
from __future__ import annotations

import json

import pytest

from helpers import deploy
from helpers.cleanup import find_kit_resources, kit_processes_left
from helpers.core.config import get_config
from helpers.core.paths import kit_home
from helpers.core.state import load_state, save_state
from helpers.core.changes import Changes
from local_aws.stack.control import running_stack, stop_stack
from helpers.run_notebooks import run_notebook
from test_local_stack import push_test_image


@pytest.fixture
def run_04(kit_home, monkeypatch):
    """Run notebooks/04_cleanup.ipynb under this test's KIT_HOME; the executed copy's printed output."""
    monkeypatch.setenv("KIT_PROGRESS", "off")
    (kit_home / "runs").mkdir(exist_ok=True)

    def run() -> str:
        run_notebook("04_cleanup", kit_home / "runs", timeout_s=600)
        nb = json.loads((kit_home / "runs" / "04_cleanup.ipynb").read_text())
        return "".join(t for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
                       for t in o.get("text", []))

    yield run
    stop_stack()  # if a run failed half-way, the stack its kernel started must not outlive the test


def assert_end_state() -> None:
    cfg = get_config()
    assert kit_processes_left(cfg) == [] and running_stack() is None
    assert "deployment" not in load_state()


def test_from_nothing_and_again(run_04):
    out = run_04()
    assert "nothing of the kit exists" in out
    assert_end_state()
    assert "nothing of the kit exists" in run_04()  # a second run: nothing to do, and no failure
    assert_end_state()


def test_after_a_deploy_that_failed_half_way(run_04):
    cfg = get_config()
    uri = push_test_image("ltk-translator", "slim-v1")
    save_state(image_uris={"slim": uri})
    changes = Changes()
    role = deploy.ensure_role(cfg, changes)
    deploy.ensure_function(cfg, "slim", uri, role, changes)  # ... and then the deploy cell died: no API
    found = find_kit_resources(cfg)
    assert found["lambda_functions"] and found["iam_roles"] and not found["http_apis"]
    assert "resource(s) of the kit found" in run_04()
    assert_end_state()


def test_a_day_later_when_the_stack_is_gone(run_04):
    cfg = get_config()
    save_state(image_uris={"slim": push_test_image("ltk-translator", "slim-v1")})
    deploy.deploy(cfg)
    assert stop_stack()  # what the idle timeout does; the state file still names the deployment
    assert "deployment" in load_state() and (kit_home() / "state.json").exists()
    assert "nothing of the kit exists" in run_04()
    assert_end_state()
