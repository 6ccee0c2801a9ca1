"""The host path's two Lambda emulators (AWS's RIE binary, the kit's pure-Python Runtime API) with both runtime
interface clients (awslambdaric, the kit's stdlib loop): the same invocations give the same answers and log lines.

The kit's emulator also gets the raw Runtime API contract checked with this test acting as the runtime.
"""
from __future__ import annotations

import http.client
import json
import re
import sys
import threading
import time
from pathlib import Path

import pytest

import local_aws.standins.lambda_api_server as api_server
from helpers.core.aws_facts.account import ACCOUNT_ID
from helpers.core.platform import rie_runs_here
from local_aws.ecr.images import ImageRecord
from local_aws.awslambda.service import init_ms_from_logs, post_invocation
from local_aws.awslambda.launchers import STDLIB_CLIENT, emulator_command, launch_host
from local_aws.stack.ports import free_port

APP = '''import os, time
time.sleep(float(os.environ.get("INIT_SLEEP", "0")))
if os.environ.get("INIT_FAIL"):
    import ltk_no_such_module


def handler(event, context):
    action = event.get("action")
    if action == "sleep":
        time.sleep(event["s"])
    if action == "raise":
        raise ValueError("boom: " + event["msg"])
    if action == "exit":
        os._exit(3)
    if action == "big":
        return "x" * (7 * 1024 * 1024)
    if action == "bytes":
        return b"raw bytes"
    if action == "object":
        return object()
    return {"rid": context.aws_request_id, "arn": context.invoked_function_arn, "memory": context.memory_limit_in_mb,
            "remaining": context.get_remaining_time_in_millis(), "trace": os.environ.get("_X_AMZN_TRACE_ID"),
            "pid": os.getpid(), "event": event}
'''
COMBOS = [pytest.param((e, c), id=f"{e}+{c}") for e in ("rie", "python") for c in ("awslambdaric", "stdlib")]
RTDONE = re.compile(r"INVOKE RTDONE\(status: \w+, produced bytes: \d+, duration: ([0-9.]+)ms\)")
START = re.compile(r"^START RequestId: (\S+) Version: \$LATEST$", re.M)


@pytest.fixture(params=COMBOS)
def launch(request, kit_home, tmp_path, monkeypatch):
    """launch(**env) -> a host instance of the test app under one emulator + client; stopped after the test."""
    emulator, client = request.param
    if emulator == "rie" and not rie_runs_here():
        pytest.skip("AWS's RIE binary runs on Linux only")
    monkeypatch.setenv("KIT_LOCAL_RUNTIME", emulator)
    monkeypatch.setenv("KIT_LOCAL_RIC", client)
    root = tmp_path / "task"
    root.mkdir()
    (root / "ltkapp.py").write_text(APP)
    started = []

    def _launch(**env: str):
        base = {"AWS_LAMBDA_FUNCTION_NAME": "fn", "AWS_REGION": "eu-west-1", "AWS_LAMBDA_FUNCTION_TIMEOUT": "5",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST"}
        inst = launch_host(ImageRecord(uri="x/y:1", digest="sha256:0", handler="ltkapp.handler", task_root=str(root)),
                           {**base, **env}, free_port())
        inst.emulator = emulator
        started.append(inst)
        return inst

    yield _launch
    for inst in started:
        inst.stop()


def call(inst, event: dict, timeout: float = 30) -> tuple[int | None, bytes, str]:
    """Invoke; (status, body, this invocation's emulator output up to its REPORT line)."""
    status, body = post_invocation(inst.endpoint, json.dumps(event).encode(), timeout)
    out, deadline = inst.read_logs(), time.monotonic() + (5 if status == 200 else 1)  # the RIE skips failed REPORTs
    while "REPORT RequestId:" not in out and time.monotonic() < deadline:
        time.sleep(0.01)
        out += inst.read_logs()
    return status, body, out


def test_command_line_follows_the_chosen_emulator_and_client(kit_home, monkeypatch):
    monkeypatch.setenv("KIT_LOCAL_RUNTIME", "python")
    monkeypatch.setenv("KIT_LOCAL_RIC", "stdlib")
    cmd = emulator_command(9000, "app.handler")
    assert cmd[:3] == [sys.executable, "-I", str(api_server.__file__)]
    assert cmd[-4:] == ["-S", "-m", STDLIB_CLIENT.stem, "app.handler"]
    assert cmd[cmd.index("--runtime-interface-emulator-address") + 1] == "127.0.0.1:9000"
    monkeypatch.setenv("KIT_LOCAL_RIC", "awslambdaric")
    assert emulator_command(9000, "app.handler")[-2] == "awslambdaric"


def test_cold_then_warm_init_ends_at_the_first_next(launch):
    inst = launch(INIT_SLEEP="0.6")
    status, body, out = call(inst, {"action": "sleep", "s": 0.1})
    assert status == 200
    init_ms, duration_ms = init_ms_from_logs(out), float(RTDONE.search(out).group(1))
    assert init_ms is not None and init_ms >= 600  # the import-time sleep is init ...
    assert 100 <= duration_ms < 600  # ... and not part of the invocation's duration
    status, body, out = call(inst, {"n": 2})
    assert status == 200 and init_ms_from_logs(out) is None and json.loads(body)["event"] == {"n": 2}


def test_context_and_headers(launch):
    inst = launch()
    status, body, out = call(inst, {"hello": "world"})
    doc = json.loads(body)
    assert status == 200 and doc["event"] == {"hello": "world"}
    assert doc["rid"] == START.search(out).group(1)
    region = "eu-west-1" if inst.emulator == "python" else "us-east-1"  # the RIE's ARN is fixed to us-east-1
    assert re.fullmatch(rf"arn:aws:lambda:{region}:\d{{12}}:function:fn", doc["arn"])
    assert doc["memory"] == "256" and 0 < doc["remaining"] <= 5000
    if inst.emulator == "python":  # the RIE sends no trace header; Lambda and the kit's emulator do
        assert doc["trace"].startswith("Root=1-")


def test_handler_exception_is_an_error_document_and_an_error_log_line(launch):
    inst = launch()
    status, body, out = call(inst, {"action": "raise", "msg": "bad"})
    doc = json.loads(body)
    assert status == 200 and doc["errorType"] == "ValueError" and doc["errorMessage"] == "boom: bad"
    assert set(doc) == {"errorMessage", "errorType", "requestId", "stackTrace"} and doc["requestId"]
    assert any("ltkapp.py" in frame for frame in doc["stackTrace"])
    assert "[ERROR] ValueError: boom: bad" in out
    assert call(inst, {"n": 1})[0] == 200  # the instance survives a handler error


def test_unserializable_result_and_bytes(launch):
    inst = launch()
    _, body, _ = call(inst, {"action": "object"})
    assert json.loads(body)["errorType"] == "Runtime.MarshalError"
    assert call(inst, {"action": "bytes"})[1] == b"raw bytes"


def test_init_error_fails_every_invocation(launch):
    inst = launch(INIT_FAIL="1")
    for _ in range(2):
        status, body, out = call(inst, {})
        doc = json.loads(body)
        assert status == 502 and doc["errorType"] == "Runtime.ImportModuleError"
        assert doc["errorMessage"] == "Unable to import module 'ltkapp': No module named 'ltk_no_such_module'"
        assert "[ERROR] Runtime.ImportModuleError" in out


def test_runtime_exit_then_a_new_runtime(launch):
    inst = launch()
    first = json.loads(call(inst, {})[1])["pid"]
    status, body, _ = call(inst, {"action": "exit"})
    doc = json.loads(body)
    assert status == 502 and doc["errorType"] == "Runtime.ExitError" and doc["errorMessage"].endswith("exit status 3")
    status, body, out = call(inst, {})
    assert status == 200 and json.loads(body)["pid"] != first and init_ms_from_logs(out) is not None


def test_timeout_kills_the_runtime(launch):
    inst = launch(AWS_LAMBDA_FUNCTION_TIMEOUT="1")
    first = json.loads(call(inst, {})[1])["pid"]
    status, body, _ = call(inst, {"action": "sleep", "s": 30})
    assert (status, body) == (200, b"Task timed out after 1.00 seconds")
    status, body, out = call(inst, {})
    assert status == 200 and json.loads(body)["pid"] != first and init_ms_from_logs(out) is not None


def test_oversized_response_fails(launch):
    inst = launch()
    status, body, _ = call(inst, {"action": "big"})
    assert status == 502 and json.loads(body)["errorType"] == "Function.ResponseSizeTooLarge"
    assert call(inst, {})[0] == 200


# ------------------------------------------------------------------ the kit's Runtime API, this test as the runtime


@pytest.fixture
def instance(monkeypatch):
    """An instance of the stand-in whose handler process idles (the test speaks the Runtime API itself); its address, stopped after."""
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "fn")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    box = api_server.Instance([sys.executable, "-c", "import time; time.sleep(60)"], ("127.0.0.1", free_port()), 3.0,
                              ACCOUNT_ID)
    yield box
    box.stop()


def _runtime_call(box, method: str, path: str, body: bytes | None = None) -> tuple[int, dict, bytes]:
    while box.api is None:
        time.sleep(0.01)
    conn = http.client.HTTPConnection(*box.api.server_address[:2], timeout=10)
    conn.request(method, "/2018-06-01/runtime" + path, body=body)
    resp = conn.getresponse()
    return resp.status, dict(resp.headers), resp.read()


def _invoke_in_background(box, payload: bytes) -> dict:
    result: dict = {}
    thread = threading.Thread(target=lambda: result.update(answer=box.invoke(payload)), daemon=True)
    thread.start()
    result["thread"] = thread
    return result


def test_runtime_api_contract(instance):
    pending = _invoke_in_background(instance, b'{"a": 1}')
    t0 = time.time()
    status, headers, body = _runtime_call(instance, "GET", "/invocation/next")
    assert status == 200 and body == b'{"a": 1}'
    rid = headers["Lambda-Runtime-Aws-Request-Id"]
    assert re.fullmatch(r"[0-9a-f-]{36}", rid)
    assert 2500 <= int(headers["Lambda-Runtime-Deadline-Ms"]) - t0 * 1000 <= 3500  # now + the 3 s timeout
    assert headers["Lambda-Runtime-Invoked-Function-Arn"] == "arn:aws:lambda:us-east-1:123456789012:function:fn"
    assert headers["Lambda-Runtime-Trace-Id"].startswith("Root=1-")
    assert _runtime_call(instance, "POST", "/invocation/not-the-id/response", b"{}")[0] == 400
    assert _runtime_call(instance, "GET", "/invocation/nope")[0] == 404
    assert _runtime_call(instance, "POST", f"/invocation/{rid}/response", b'{"ok": true}')[0] == 202
    pending["thread"].join(10)
    assert pending["answer"] == (200, b'{"ok": true}')
    assert _runtime_call(instance, "POST", f"/invocation/{rid}/response", b"{}")[0] == 400  # answered already


def test_init_error_endpoint_answers_the_waiting_invocation(instance):
    pending = _invoke_in_background(instance, b"{}")
    doc = b'{"errorMessage": "x", "errorType": "Runtime.ImportModuleError", "requestId": "", "stackTrace": []}'
    assert _runtime_call(instance, "POST", "/init/error", doc)[0] == 202
    pending["thread"].join(10)
    assert pending["answer"] == (502, doc)


def test_slow_init_counts_against_the_timeout(instance, monkeypatch):
    monkeypatch.setattr(api_server, "INIT_LIMIT_S", 0.2)
    pending = _invoke_in_background(instance, b"{}")
    time.sleep(0.5)  # init takes longer than the (shortened) limit ...
    status, headers, _ = _runtime_call(instance, "GET", "/invocation/next")
    remaining_ms = int(headers["Lambda-Runtime-Deadline-Ms"]) - time.time() * 1000
    assert status == 200 and remaining_ms <= 2600  # ... so the deadline counts from the start of init, not from now
    pending["thread"].join(10)
    assert pending["answer"] == (200, b"Task timed out after 3.00 seconds")


def test_stop_without_process_groups_leaves_nothing(launch, monkeypatch):
    """Windows has no os.killpg: the instance's process tree is ended through psutil instead."""
    import os

    import psutil

    monkeypatch.delattr(os, "killpg")
    inst = launch()
    assert call(inst, {})[0] == 200
    family = [psutil.Process(inst._proc.pid), *psutil.Process(inst._proc.pid).children(recursive=True)]
    assert len(family) >= 2  # the emulator and the runtime
    inst.stop()
    assert not [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
