"""Lambda Invoke semantics of the local runtime against a scripted instance (no emulator): parsing the RIE's
output, error mapping, REPORT records, warm reuse and the writes to CloudWatch Logs."""
from __future__ import annotations

import base64
import json

import pytest

import local_aws.awslambda.service as inv
from local_aws.ecr.images import ImageRecord, register_image

URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ltk:v1"
RID = "11111111-2222-3333-4444-555555555555"
VERBOSE = (f"START RequestId: {RID} Version: $LATEST\n"
           "26 Nov 2026 12:00:00,000 [INFO] (rapid) INIT REPORT(durationMs: 250.500000)\n"
           "hello\n"
           "26 Nov 2026 12:00:00,000 [INFO] (rapid) INVOKE RTDONE(status: success, produced bytes: 0, duration: 12.340000ms)\n"
           f"END RequestId: {RID}\n"
           f"REPORT RequestId: {RID}\tInit Duration: 0.03 ms\tDuration: 263.00 ms\tBilled Duration: 264 ms\t"
           "Memory Size: 3008 MB\tMax Memory Used: 3008 MB\t\n")
QUIET = "\n".join(ln for ln in VERBOSE.splitlines() if "(rapid)" not in ln) + "\n"


class FakeInstance:
    endpoint = "http://127.0.0.1:1"

    def __init__(self) -> None:
        self.pending, self.stopped = "(rapid) leftover from before\n", False

    def rss_bytes(self) -> int:
        return 40 * 1024 * 1024 + 1

    def read_logs(self) -> str:
        out, self.pending = self.pending, ""
        return out

    def alive(self) -> bool:
        return not self.stopped

    def stop(self) -> None:
        self.stopped = True


class FakeLogs:
    class exceptions:
        class ResourceAlreadyExistsException(Exception):
            pass

        class ResourceNotFoundException(Exception):
            pass

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.events: list[str] = []

    def create_log_group(self, **kw):
        self.calls.append("group")

    def create_log_stream(self, **kw):
        self.calls.append("stream")

    def put_log_events(self, logGroupName, logStreamName, logEvents):
        assert logGroupName == "/aws/lambda/fn"
        self.calls.append("put")
        self.events += [e["message"] for e in logEvents]


@pytest.fixture
def runtime(kit_home, monkeypatch):
    register_image(ImageRecord(uri=URI, digest="sha256:" + "a" * 64, task_root=str(kit_home)))
    script: dict = {"logs": VERBOSE, "reply": (200, b'{"en": "Hello."}'), "launched": []}

    def launch(rec, env):
        script["launched"].append((rec, env))
        script["instance"] = FakeInstance()
        return script["instance"]

    def post(endpoint, payload, timeout):  # the emulator writes its output while answering
        script["instance"].pending += script["logs"]
        return script["reply"]

    monkeypatch.setattr(inv, "launch_instance", launch)
    monkeypatch.setattr(inv, "post_invocation", post)
    logs = FakeLogs()
    lam = inv.LocalLambda(lambda region: logs, {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    return lam, script, logs


SPEC = inv.FunctionSpec(name="fn", arn="arn:aws:lambda:us-east-1:123456789012:function:fn", region="us-east-1",
                        image_uri=URI, handler=None, env=(("MODEL_RUNTIME", "slim"),), memory_mb=512, timeout_s=30,
                        architecture="x86_64")


def test_cold_report_uses_the_emulators_init_and_duration(runtime):
    lam, script, logs = runtime
    res = lam.invoke(SPEC, b"{}")
    assert (res.payload, res.function_error, res.request_id) == (b'{"en": "Hello."}', None, RID)
    assert res.log.splitlines() == [
        f"START RequestId: {RID} Version: $LATEST", "hello", f"END RequestId: {RID}",
        f"REPORT RequestId: {RID}\tDuration: 12.34 ms\tBilled Duration: 263 ms\tMemory Size: 512 MB\t"
        "Max Memory Used: 41 MB\tInit Duration: 250.50 ms"]
    assert base64.b64decode(res.log_result).decode() == res.log
    rec, env = script["launched"][0]
    assert rec.handler == "lambda_app.app.handler" and env["MODEL_RUNTIME"] == "slim"
    assert env["AWS_LAMBDA_FUNCTION_TIMEOUT"] == "30" and env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert "PATH" not in env  # the image's own PATH applies in a container
    lam.flush_logs()  # records are written in the background
    assert logs.calls == ["group", "stream", "put"] and logs.events == res.log.splitlines()


def test_warm_call_reuses_the_instance_and_the_log_stream(runtime):
    lam, script, logs = runtime
    lam.invoke(SPEC, b"{}")
    lam.flush_logs()
    script["logs"] = VERBOSE.replace("INIT REPORT", "SOMETHING ELSE")
    warm = lam.invoke(SPEC, b"{}")
    assert len(script["launched"]) == 1 and warm.init_ms is None and "Init Duration" not in warm.log
    lam.flush_logs()
    assert logs.calls == ["group", "stream", "put", "put"]


def test_changed_configuration_starts_a_cold_instance(runtime):
    lam, script, _ = runtime
    lam.invoke(SPEC, b"{}")
    from dataclasses import replace

    res = lam.invoke(replace(SPEC, memory_mb=1024), b"{}")
    assert len(script["launched"]) == 2 and res.init_ms == 250.5


def test_quiet_emulator_output_still_marks_the_cold_start(runtime):
    lam, script, _ = runtime
    script["logs"] = QUIET
    res = lam.invoke(SPEC, b"{}")
    assert res.init_ms == 263.0 and res.duration_ms == 0.0 and res.billed_ms == 263


def test_handler_exception_and_runtime_crash_are_unhandled_errors(runtime):
    lam, script, _ = runtime
    doc = {"errorMessage": "bad", "errorType": "ValueError", "requestId": RID, "stackTrace": []}
    script["reply"] = (200, json.dumps(doc).encode())
    assert lam.invoke(SPEC, b"{}").function_error == "Unhandled"
    script["reply"] = (200, json.dumps({"errorMessage": "not an error", "errorType": "x", "en": "y"}).encode())
    assert lam.invoke(SPEC, b"{}").function_error is None  # a result that merely looks like one
    script["reply"] = (502, b'{"errorType":"Runtime.ExitError","errorMessage":"exit status 1"}')
    crashed = lam.invoke(SPEC, b"{}")
    assert crashed.function_error == "Unhandled" and json.loads(crashed.payload)["errorType"] == "Runtime.ExitError"
    assert len(script["launched"]) == 1
    lam.invoke(SPEC, b"{}")
    assert len(script["launched"]) == 2  # the sandbox was reset after the crash


def test_timeout_reply_becomes_sandbox_timedout(runtime):
    lam, script, _ = runtime
    script["reply"] = (200, b"Task timed out after 30.00 seconds")
    res = lam.invoke(SPEC, b"{}")
    doc = json.loads(res.payload)
    assert doc == {"errorType": "Sandbox.Timedout", "errorMessage": f"RequestId: {RID} Error: Task timed out after 30.00 seconds"}
    assert res.log.splitlines()[-1].endswith("\tStatus: timeout") and res.duration_ms == 30000.0


def test_missing_image_is_reported(runtime):
    lam, _, _ = runtime
    from dataclasses import replace

    with pytest.raises(inv.ImageNotFound):
        lam.invoke(replace(SPEC, image_uri=URI.replace(":v1", ":v2")), b"{}")


def test_deleted_log_group_is_recreated(runtime):
    lam, _, logs = runtime
    lam.invoke(SPEC, b"{}")
    lam.flush_logs()
    original_put = logs.put_log_events
    state = {"fail": True}

    def put(**kw):
        if state.pop("fail", False):
            raise FakeLogs.exceptions.ResourceNotFoundException()
        original_put(**kw)

    logs.put_log_events = put
    lam.invoke(SPEC, b"{}")
    lam.flush_logs()
    assert logs.calls == ["group", "stream", "put", "group", "stream", "put"]
