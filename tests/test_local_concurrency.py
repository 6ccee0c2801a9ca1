"""Lambda's concurrency in the local runtime, against scripted instances (no emulator): one environment per
concurrent invocation, warm reuse, reserved and account limits (TooManyRequestsException), recycling; and the
HTTP API's throttling (token buckets) and the cache of control-plane lookups."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

import local_aws.awslambda.service as inv
from helpers.core.errors import KitError
from local_aws.awslambda.concurrency import ACCOUNT_LIMIT, RESERVED_LIMIT, Throttled, account_concurrency
from local_aws.ecr.images import ImageRecord, register_image
from local_aws.front.lookups import Lookups, may_change_state
from local_aws.apigateway.throttling import Throttles, TokenBucket, route_limits

URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ltk:v1"
LOGS = ("START RequestId: {rid} Version: $LATEST\nEND RequestId: {rid}\n"
        "REPORT RequestId: {rid}\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 1 MB\n")


class FakeInstance:
    def __init__(self, n: int) -> None:
        self.n, self.endpoint, self.stopped, self.pending = n, f"http://127.0.0.1:{n}", False, ""

    def rss_bytes(self) -> int:
        return 1

    def read_logs(self) -> str:
        out, self.pending = self.pending, ""
        return out

    def alive(self) -> bool:
        return not self.stopped

    def stop(self) -> None:
        self.stopped = True


class NoLogs:
    class exceptions:
        class ResourceAlreadyExistsException(Exception):
            pass

        class ResourceNotFoundException(Exception):
            pass

    def __getattr__(self, name):
        return lambda **kw: None


@pytest.fixture
def runtime(kit_home, monkeypatch):
    """A LocalLambda whose instances are scripted; an invocation waits for `gate` when the payload says so."""
    register_image(ImageRecord(uri=URI, digest="sha256:" + "a" * 64, task_root=str(kit_home)))
    script = {"launched": [], "gate": threading.Event(), "entered": threading.Semaphore(0)}
    by_endpoint: dict[str, FakeInstance] = {}

    def launch(rec, env):
        inst = FakeInstance(len(script["launched"]) + 1)
        script["launched"].append(inst)
        by_endpoint[inst.endpoint] = inst
        return inst

    def post(endpoint, payload, timeout):
        inst = by_endpoint[endpoint]
        if payload == b"wait":
            script["entered"].release()
            script["gate"].wait(10)
        rid = f"00000000-0000-0000-0000-{inst.n:012d}"
        inst.pending += LOGS.format(rid=rid)
        return 200, str(inst.n).encode()

    monkeypatch.setattr(inv, "launch_instance", launch)
    monkeypatch.setattr(inv, "post_invocation", post)
    return script


def lambda_(account: int = 1000) -> inv.LocalLambda:
    return inv.LocalLambda(lambda region: NoLogs(), {}, account_concurrency=account)


SPEC = inv.FunctionSpec(name="fn", arn="arn:aws:lambda:us-east-1:123456789012:function:fn", region="us-east-1",
                        image_uri=URI, handler=None, env=(), memory_mb=128, timeout_s=30, architecture="x86_64")


def hold(lam: inv.LocalLambda, script: dict, specs: list[inv.FunctionSpec]) -> tuple[ThreadPoolExecutor, list]:
    """Start one waiting invocation per spec; return once all of them run (they finish when the gate opens)."""
    pool = ThreadPoolExecutor(len(specs))
    futures = [pool.submit(lam.invoke, s, b"wait") for s in specs]
    for _ in specs:
        assert script["entered"].acquire(timeout=10)
    return pool, futures


def test_concurrent_invocations_get_their_own_instances_then_stay_warm(runtime):
    lam = lambda_()
    pool, futures = hold(lam, runtime, [SPEC] * 3)
    assert len(runtime["launched"]) == 3  # one environment per concurrent invocation: cold starts
    runtime["gate"].set()
    first = [f.result() for f in futures]
    assert sorted(r.payload for r in first) == [b"1", b"2", b"3"] and all(r.init_ms is not None for r in first)
    again = [lam.invoke(SPEC, b"{}") for _ in range(5)]  # one at a time: the warm ones serve them
    assert len(runtime["launched"]) == 3 and all(r.init_ms is None for r in again)
    assert lam.pool.counts(SPEC.arn) == (0, 3)  # idle instances are kept
    pool.shutdown()


def test_reserved_concurrency_caps_the_function(runtime):
    lam, capped = lambda_(), replace(SPEC, reserved_concurrency=2)
    pool, futures = hold(lam, runtime, [capped] * 2)
    with pytest.raises(Throttled) as err:
        lam.invoke(capped, b"{}")
    assert err.value.reason == RESERVED_LIMIT == "ReservedFunctionConcurrentInvocationLimitExceeded"
    runtime["gate"].set()
    [f.result() for f in futures]
    assert lam.invoke(capped, b"{}").payload in (b"1", b"2")  # capacity is back
    assert len(runtime["launched"]) == 2
    with pytest.raises(Throttled):
        lam.invoke(replace(SPEC, reserved_concurrency=0), b"{}")  # 0 reserved: the function is switched off
    pool.shutdown()


def test_the_account_limit_is_shared_by_unreserved_functions(runtime):
    lam = lambda_(account=3)
    other = replace(SPEC, name="other", arn=SPEC.arn.replace(":fn", ":other"))
    reserved = replace(SPEC, name="res", arn=SPEC.arn.replace(":fn", ":res"), reserved_concurrency=1)
    pool, futures = hold(lam, runtime, [reserved, SPEC])  # the reservation leaves 2 for the others: 1 is in use
    with ThreadPoolExecutor(1) as more:
        extra = more.submit(lam.invoke, other, b"wait")
        assert runtime["entered"].acquire(timeout=10)
        with pytest.raises(Throttled) as err:
            lam.invoke(SPEC, b"{}")
        assert err.value.reason == ACCOUNT_LIMIT == "ConcurrentInvocationLimitExceeded"
        runtime["gate"].set()
        extra.result()
    [f.result() for f in futures]
    assert lam.invoke(SPEC, b"{}").function_error is None
    pool.shutdown()


def test_a_configuration_change_retires_warm_and_busy_instances(runtime):
    lam = lambda_()
    pool, futures = hold(lam, runtime, [SPEC])
    changed = replace(SPEC, memory_mb=256)
    assert lam.invoke(changed, b"{}").init_ms is not None  # a new environment for the new configuration
    runtime["gate"].set()
    futures[0].result()
    old, new = runtime["launched"]
    assert old.stopped and not new.stopped  # the old one is not kept once its invocation ends
    assert lam.invoke(changed, b"{}").init_ms is None and len(runtime["launched"]) == 2
    pool.shutdown()


def test_idle_instances_are_recycled_and_all_stop_at_shutdown(runtime):
    lam = lambda_()
    lam.invoke(SPEC, b"{}")
    assert lam.stop_idle(3600) == 0 and lam.stop_idle(0) == 1 and runtime["launched"][0].stopped
    assert lam.invoke(SPEC, b"{}").init_ms is not None  # a cold start again
    lam.stop_all()
    assert all(i.stopped for i in runtime["launched"]) and not lam.busy()


def test_account_concurrency_setting(monkeypatch):
    assert account_concurrency() == 1000  # Lambda's default quota
    monkeypatch.setenv("KIT_LOCAL_ACCOUNT_CONCURRENCY", "10")
    assert account_concurrency() == 10
    for bad in ("0", "ten", "-5"):
        monkeypatch.setenv("KIT_LOCAL_ACCOUNT_CONCURRENCY", bad)
        with pytest.raises(KitError, match="KIT_LOCAL_ACCOUNT_CONCURRENCY"):
            account_concurrency()


# ------------------------------------------------------------------------------------------ HTTP API throttling

class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_token_bucket_allows_a_burst_then_the_rate():
    clock = Clock()
    bucket = TokenBucket(rate=2.0, burst=3, clock=clock)
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    clock.t += 0.5  # one token back
    assert [bucket.take() for _ in range(2)] == [True, False]
    clock.t += 100  # never more than the burst
    assert sum(bucket.take() for _ in range(10)) == 3


def test_route_limits_and_buckets_per_route():
    stage = {"DefaultRouteSettings": {"ThrottlingBurstLimit": 2, "ThrottlingRateLimit": 1.0},
             "RouteSettings": {"GET /health": {"ThrottlingBurstLimit": 5}}}
    assert route_limits(stage, "POST /translate") == (1.0, 2)
    assert route_limits(stage, "GET /health") == (1.0, 5)
    assert route_limits({"DefaultRouteSettings": {"DetailedMetricsEnabled": False}}, "POST /x") is None
    clock = Clock()
    throttles = Throttles(clock)
    allowed = [throttles.allow("r", "api", "$default", "POST /translate", (1.0, 2)) for _ in range(3)]
    assert allowed == [True, True, False]
    assert throttles.allow("r", "api", "$default", "GET /health", (1.0, 2))  # its own bucket
    assert throttles.allow("r", "api", "$default", "POST /translate", (1.0, 3))  # new limits: a new bucket
    assert all(throttles.allow("r", "api", "$default", "POST /x", None) for _ in range(100))  # account level only


# ------------------------------------------------------------------------------------------ lookups

def test_what_counts_as_a_change_of_the_control_plane():
    assert not may_change_state("GET", "apigateway", None)
    assert may_change_state("PATCH", "apigateway", None) and may_change_state("POST", "lambda", None)
    assert may_change_state("DELETE", "lambda", None) and may_change_state("PUT", "lambda", None)
    assert not may_change_state("POST", "ecr", "AmazonEC2ContainerRegistry_V20150921.DescribeImages")
    assert may_change_state("POST", "ecr", "AmazonEC2ContainerRegistry_V20150921.BatchDeleteImage")
    assert not may_change_state("POST", "logs", "Logs_20140328.PutLogEvents")  # nothing cached depends on logs
    assert may_change_state("POST", "iam", None) and may_change_state("POST", None, None)


def test_lookups_are_cached_until_a_change():
    lookups, calls = Lookups(), []

    def load() -> int:
        calls.append(1)
        return len(calls)

    assert lookups.get("k", load) == lookups.get("k", load) == 1
    lookups.changed()
    assert lookups.get("k", load) == 2

    def racing() -> int:  # the control plane changes while the lookup runs: its answer is not kept
        lookups.changed()
        return 99

    assert lookups.get("r", racing) == 99 and lookups.get("r", lambda: 100) == 100
