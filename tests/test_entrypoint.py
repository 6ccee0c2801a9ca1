"""The image's ENTRYPOINT (lambda_app/entrypoint.sh): `serve` runs SageMaker's server, anything else goes to Lambda.

Proved on the staged task root (the Dockerfile's own steps, run on the host) and, when an engine answers, on the
built image (`docker run IMAGE serve`, as SageMaker starts it).
"""
from __future__ import annotations

import http.client
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from helpers.core.paths import LAMBDA_APP
from local_aws.stack.ports import free_port

SEED = "Les deux chiens marchent dans le parc."
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the image's entrypoint is a POSIX shell script")


def request(port: int, method: str, path: str, body: str | None = None) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body.encode() if body else None, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"null")
    finally:
        conn.close()


def test_lambda_path_hands_every_argument_to_the_base_entrypoint(tmp_path: Path) -> None:
    """Without `serve`, the script execs the base's /lambda-entrypoint.sh with the same arguments (Lambda's CMD)."""
    fake_base = tmp_path / "lambda-entrypoint.sh"
    fake_base.write_text('#!/bin/sh\necho "base got $#: $*"\n')
    fake_base.chmod(0o755)
    script = tmp_path / "entrypoint.sh"
    script.write_text((LAMBDA_APP / "entrypoint.sh").read_text().replace("/lambda-entrypoint.sh", str(fake_base)))
    for argv, expected in ((["lambda_app.app.handler"], "base got 1: lambda_app.app.handler"),
                           ([], "base got 0: "), (["serve-not", "x"], "base got 2: serve-not x")):
        out = subprocess.run(["/bin/sh", str(script), *argv], capture_output=True, text=True, timeout=30)
        assert out.returncode == 0 and out.stdout.strip() == expected.strip(), out


@pytest.fixture
def served(staged_slim: Any, tmp_path: Path) -> Iterator[tuple[subprocess.Popen, int]]:
    """`sh <task root>/lambda_app/entrypoint.sh serve` from `/`, `python3` being this interpreter without site-packages
    (so only the task root's packages are importable, as in the image)."""
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "python3").write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')
    (shim / "python3").chmod(0o755)
    root, port = Path(staged_slim.task_root), free_port()
    env = {"PATH": f"{shim}:/usr/bin:/bin", "LAMBDA_TASK_ROOT": str(root), "SAGEMAKER_BIND_TO_PORT": str(port)}
    proc = subprocess.Popen(["/bin/sh", str(root / "lambda_app" / "entrypoint.sh"), "serve", "--host", "127.0.0.1"],
                            cwd="/", env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()


def test_staged_task_root_serves_sagemakers_contract(served: tuple[subprocess.Popen, int]) -> None:
    proc, port = served
    assert proc.stdout is not None
    seen: list[str] = []  # the server's self-check logs a line, then it prints where it listens
    while len(seen) < 10 and (line := proc.stdout.readline()):
        seen.append(line)
        if "listening on" in line:
            break
    assert f"listening on http://127.0.0.1:{port} (model loaded)" in seen[-1], seen
    status, body = request(port, "GET", "/ping")
    assert status == 200 and body["status"] == "ok" and body["runtime"] == "slim"
    status, body = request(port, "POST", "/invocations", json.dumps({"sentence": SEED}))
    assert status == 200 and body["en"] == "The two dogs walk in the park."
    status, body = request(port, "POST", "/invocations", "{oops")
    assert status == 400 and "not valid JSON" in body["error"]
    proc.send_signal(signal.SIGTERM)  # `exec` in the script: the server itself gets SageMaker's SIGTERM
    assert proc.wait(timeout=10) == 0


# ---------------------------------------------------------------- the built image (needs an engine)


@pytest.mark.container
def test_docker_run_image_serve(slim_image: str) -> None:
    """`docker run IMAGE serve`, as SageMaker runs it: port 8080 (published here), a read-only file system but /tmp."""
    from helpers.core.engine import require_engine
    from local_aws.awslambda.container import LABEL, TMP, ULIMITS

    client, port = require_engine(), free_port()
    config = client.images.get(slim_image).attrs["Config"]
    assert config["Entrypoint"] == ["/bin/sh", "/var/task/lambda_app/entrypoint.sh"]
    assert config["Cmd"] == ["lambda_app.app.handler"]  # Lambda: ENTRYPOINT + CMD, unchanged handler
    container = client.containers.run(slim_image, ["serve"], ports={"8080/tcp": ("127.0.0.1", port)},
                                      read_only=True, tmpfs=TMP, ulimits=ULIMITS, labels={LABEL: "test"}, detach=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = request(port, "GET", "/ping")
                break
            except OSError:
                assert time.monotonic() < deadline, container.logs().decode()
                time.sleep(0.2)
        assert status == 200 and body["runtime"] == "slim"
        status, body = request(port, "POST", "/invocations", json.dumps({"sentence": SEED}))
        assert status == 200 and body["en"] == "The two dogs walk in the park."
        container.stop(timeout=10)  # SIGTERM reaches the server (exec): it exits by itself, cleanly
        assert container.wait(timeout=30)["StatusCode"] == 0
    finally:
        container.remove(force=True)
