"""Faults between and inside notebooks on the local target: a stack killed between 02 and 03 (or during 03), and
a notebook interrupted while the stack starts. Each gives one sentence that says what to do, and re-running the
notebook recovers; nothing of the killed stack keeps running."""
from __future__ import annotations

import os
import signal

import psutil
import pytest

import local_aws.stack.control as stack
from helpers import deploy
from helpers.core.config import get_config
from helpers.core.errors import KitError
from helpers.core.state import save_state
from helpers.deploy import calls
from local_aws.stack.processes import kit_processes
from test_local_stack import push_test_image


def deploy_test_image(cfg) -> str:
    """What 02 and 03 do, with the test handler as the image: push, save the URI, deploy; the API's URL."""
    save_state(image_uris={"slim": push_test_image("ltk-translator", "slim-v1")})
    return deploy.deploy(cfg).url


def one_sentence(err: KitError) -> str:
    text = str(err)
    assert "\n" not in text and text.endswith("."), text
    return text


def test_a_stack_killed_between_notebooks_says_so_and_a_re_run_recovers(kit_home, monkeypatch):
    monkeypatch.setenv("KIT_LOCAL_PENDING_SECONDS", "0")
    cfg = get_config()
    url = deploy_test_image(cfg)
    assert calls.call_api(url, "POST", "/translate", {"sentence": "Le chat dort."}).status == 201
    killed = stack.running_stack()
    assert killed is not None
    os.kill(killed.pid, signal.SIGKILL)
    psutil.Process(killed.pid).wait(5)
    orphans = [p for p in kit_processes() if p.pid != killed.pid]
    assert orphans  # its function instance runs on without it: found through the stack's endpoint

    with pytest.raises(KitError) as gone:  # 03, next cell: the API's URL
        calls.call_api(url, "POST", "/translate", {"sentence": "Le chat dort."})
    assert "re-run" in one_sentence(gone.value)
    with pytest.raises(KitError) as empty:  # 03 from the top: a new stack starts, empty
        deploy.pushed_images(cfg)
    assert "re-run notebooks/02_build_image.ipynb" in one_sentence(empty.value)
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in orphans)  # stopped with it

    url = deploy_test_image(cfg)  # re-running 02 and 03 recovers
    assert calls.call_api(url, "POST", "/translate", {"sentence": "Le chat dort."}).status == 201
    assert stack.stop_stack() is True
    assert kit_processes() == []


def test_an_interrupted_stack_start_is_picked_up_by_the_re_run(kit_home, monkeypatch):
    real_sleep = stack.time.sleep
    interrupted: list[bool] = []

    def interrupt_once(seconds: float) -> None:  # Ctrl-C while the notebook waits for the new stack
        if not interrupted:
            interrupted.append(True)
            raise KeyboardInterrupt
        real_sleep(seconds)

    monkeypatch.setattr(stack.time, "sleep", interrupt_once)
    with pytest.raises(KeyboardInterrupt):
        stack.ensure_stack()
    started = [p for p in kit_processes() if stack.SERVER_MODULE in " ".join(p.cmdline())]
    assert len(started) == 1  # it goes on starting in the background
    info = stack.ensure_stack()  # the re-run finds it: no second stack
    assert info.pid == started[0].pid
    assert [p.pid for p in kit_processes()] == [info.pid]
    assert stack.stop_stack() is True and kit_processes() == []


def test_a_small_account_limit_refuses_reservations_and_throttles(kit_home, monkeypatch):
    """KIT_LOCAL_ACCOUNT_CONCURRENCY=2, like a new account with a reduced quota."""
    import json
    from concurrent.futures import ThreadPoolExecutor

    from botocore.exceptions import ClientError

    from helpers.aws import client, invoke_client
    from test_local_stack import TRUST

    monkeypatch.setenv("KIT_LOCAL_ACCOUNT_CONCURRENCY", "2")
    lam = client("lambda")
    role = client("iam").create_role(RoleName="ltk-small-role", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]
    lam.create_function(FunctionName="ltk-small", Role=role["Arn"], PackageType="Image", Timeout=10,
                        Code={"ImageUri": push_test_image("ltk-small", "v1")})
    lam.get_waiter("function_active_v2").wait(FunctionName="ltk-small", WaiterConfig={"Delay": 1})
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="UnreservedConcurrentExecution"):
        lam.put_function_concurrency(FunctionName="ltk-small", ReservedConcurrentExecutions=1)

    def sleep() -> str:
        try:
            invoke_client().invoke(FunctionName="ltk-small", Payload=b'{"action": "sleep", "seconds": 3}')
            return "ok"
        except ClientError as err:
            return err.response.get("Reason", "?")

    with ThreadPoolExecutor(3) as pool:
        outcomes = sorted(pool.map(lambda _: sleep(), range(3)))
    assert outcomes == ["ConcurrentInvocationLimitExceeded", "ok", "ok"]
    assert stack.stop_stack() is True
