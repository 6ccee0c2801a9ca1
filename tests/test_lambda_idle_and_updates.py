"""Issue 23, items 2 and 3, on the emulator: a failed update (LastUpdateStatus Failed, State Active) keeps the
previous image and no longer blocks the next deploy; a function idle for weeks on the emulator's clock goes Inactive,
and the kit's call wakes it, says so in one sentence, waits and answers."""
from __future__ import annotations

import pytest
from botocore.exceptions import WaiterError

from helpers import cleanup
from helpers.aws import client
from helpers.core.config import get_config
from helpers.core.changes import Changes
from helpers.deploy import ensure_function, ensure_role
from helpers.deploy.calls import invoke
from test_local_stack import push_test_image
from test_local_strictness import WAIT, _slow_pending  # noqa: F401 - updates stay InProgress 2 s (time to delete)


@pytest.fixture(scope="module")
def role_arn(local_stack) -> str:
    return ensure_role(get_config(), Changes())


def test_a_failed_update_keeps_the_previous_image_and_the_next_deploy_fixes_it(role_arn: str) -> None:
    cfg, lam = get_config(), client("lambda")
    v1, v2 = push_test_image("ltk-upd", "slim-v1"), push_test_image("ltk-upd", "slim-v2")
    name = ensure_function(cfg, "slim", v1, role_arn, Changes()).name
    lam.update_function_code(FunctionName=name, ImageUri=v2)
    client("ecr").batch_delete_image(repositoryName="ltk-upd", imageIds=[{"imageTag": "slim-v2"}])
    with pytest.raises(WaiterError):  # the waiter gives up at once on LastUpdateStatus Failed
        lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=WAIT)
    conf = lam.get_function_configuration(FunctionName=name)
    assert (conf["State"], conf["LastUpdateStatus"], conf["LastUpdateStatusReasonCode"]) == (
        "Active", "Failed", "ImageDeleted")
    assert lam.get_function(FunctionName=name)["Code"]["ImageUri"] == v1  # the previous code remains
    assert invoke(cfg, name, {"a": 1}).result["echo"] == {"a": 1}
    again = Changes()  # re-running the deploy cell: a new update is the fix
    fn = ensure_function(cfg, "slim", push_test_image("ltk-upd", "slim-v3"), role_arn, again)
    assert any("last update had failed (ImageDeleted" in note for note in again.notes)
    conf = lam.get_function_configuration(FunctionName=fn.name)
    assert (conf["State"], conf["LastUpdateStatus"]) == ("Active", "Successful")
    assert lam.get_function(FunctionName=name)["Code"]["ImageUri"].endswith(":slim-v3")


def test_an_idle_function_goes_inactive_and_the_kits_call_wakes_it(role_arn: str,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    cfg, lam = get_config(), client("lambda")
    name = ensure_function(cfg, "torch", push_test_image("ltk-idle", "torch-v1"), role_arn, Changes()).name
    assert invoke(cfg, name, {"a": 1}).result["echo"] == {"a": 1}
    cleanup.advance_local_clock(cfg, 7)  # a week: still Active
    assert lam.get_function_configuration(FunctionName=name)["State"] == "Active"
    cleanup.advance_local_clock(cfg, 14)  # three weeks without a call
    conf = lam.get_function_configuration(FunctionName=name)
    assert (conf["State"], conf["StateReasonCode"]) == ("Inactive", "Idle")
    capsys.readouterr()
    assert invoke(cfg, name, {"b": 2}).result["echo"] == {"b": 2}  # woken, waited for, answered
    said = capsys.readouterr().out
    assert said.count("\n") == 1 and "idle long enough for Lambda to make it Inactive" in said
    assert lam.get_function_configuration(FunctionName=name)["State"] == "Active"
    with pytest.raises(lam.exceptions.ResourceConflictException, match="Inactive"):  # a raw call is refused...
        cleanup.advance_local_clock(cfg, 15)
        lam.invoke(FunctionName=name, Payload=b"{}")
    assert lam.get_function_configuration(FunctionName=name)["StateReasonCode"] == "Restoring"  # ...and restores it
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=WAIT)


def test_a_month_later_the_api_answers_once_the_kit_woke_its_functions(local_stack) -> None:
    """04 after a month on the emulator's clock: the API's function is Inactive; wake_functions, then GET /health."""
    from helpers.core.state import save_state
    from helpers.deploy import deploy
    from helpers.deploy.calls import call_api, wake_functions

    cfg = get_config()
    save_state(image_uris={"slim": push_test_image("ltk-translator", "slim-v1")})
    d = deploy(cfg)
    cleanup.advance_local_clock(cfg, 30)
    assert call_api(d.url, "GET", "/health").status == 500  # the Inactive function's first call fails...
    cleanup.advance_local_clock(cfg, 30)
    assert d.functions["slim"].name in wake_functions(cfg)  # ...so the kit wakes it first
    assert call_api(d.url, "GET", "/health").status == 200
    assert wake_functions(cfg) == []
