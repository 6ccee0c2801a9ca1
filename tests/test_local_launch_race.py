"""Launching execution environments concurrently never fails from a port race (issue 21, defect b).

`free_port()` hands out a port that was free a moment ago; before the emulator binds it, another process (or any
outgoing connection) can take it. Here that happens on purpose to a third of the launches: a listening socket the
test holds takes the port as soon as it is handed out. Each launch must notice that its own emulator does not
listen there (someone else does), retry on a new port, and end up with an endpoint its emulator answers. The
cheapest instance kind that runs the same launch code: a host instance (the emulator alone; the runtime starts on
the first invocation, which this test never sends).
"""
from __future__ import annotations

import http.client
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import local_aws.stack.ports as ports
from local_aws.awslambda.launchers import Instance, launch_instance
from local_aws.ecr.images import ImageRecord

LAUNCHES = 100


@pytest.fixture
def contested_ports(monkeypatch):
    """The first port handed out to every third launching thread is taken (listened on, never answered) before its
    emulator can bind it; each launch meets the race at most once, so the test is deterministic."""
    held: list[socket.socket] = []
    lock, real, threads = threading.Lock(), ports.free_port, {}

    def free_port() -> int:
        port = real()
        with lock:
            first = threading.get_ident() not in threads
            threads.setdefault(threading.get_ident(), len(threads))
            if not first or threads[threading.get_ident()] % 3:
                return port
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", port))
            except OSError:  # someone was quicker still: taken all the same
                s.close()
                return port
            s.listen()
            held.append(s)
        return port

    monkeypatch.setattr(ports, "free_port", free_port)
    yield held
    for s in held:
        s.close()


def _answers(inst: Instance) -> bool:
    """Whether an HTTP server answers the instance's endpoint (its emulator: the test's sockets never answer)."""
    host, port = inst.endpoint.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=2)
    try:
        conn.request("GET", "/")
        return conn.getresponse().status > 0
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def test_100_concurrent_launches_with_contested_ports_all_start(tmp_path, contested_ports) -> None:
    (tmp_path / "app.py").write_text("def handler(event, context):\n    return event\n")
    rec = ImageRecord(uri="x/race:1", digest="sha256:0", handler="app.handler", task_root=str(tmp_path))
    env = {"AWS_LAMBDA_FUNCTION_NAME": "race", "AWS_REGION": "us-east-1", "AWS_LAMBDA_FUNCTION_TIMEOUT": "5",
           "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128"}
    started: list[Instance] = []
    failures: list[str] = []

    def launch(_: int) -> None:
        try:
            started.append(launch_instance(rec, env))
        except Exception as err:  # noqa: BLE001 - every failure is counted, none may happen
            failures.append(f"{type(err).__name__}: {err}")

    try:
        with ThreadPoolExecutor(LAUNCHES) as pool:
            list(pool.map(launch, range(LAUNCHES)))
        assert contested_ports, "the test took no port: it would not exercise the race"
        assert not failures, f"{len(failures)} of {LAUNCHES} launches failed: {failures[:3]}"
        silent = [i.endpoint for i in started if not _answers(i)]
        assert not silent, f"{len(silent)} instances' endpoints are not their emulator's: {silent[:3]}"
    finally:
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda i: i.stop(), started))
