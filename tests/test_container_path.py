"""The real container path: engine, offline Lambda base, the Dockerfile's images, the launcher, registry + ECR.

Needs a Docker-compatible engine (`eval "$(.ci/container-services start)"` starts podman and a registry);
every test marked `container` is skipped with that instruction when none answers.
"""
from __future__ import annotations

import hashlib
import io
import json
import socket
import tarfile
import time
from pathlib import Path
from typing import Any, Iterator

import boto3
import docker
import pytest
import requests

from helpers.core.engine import docker_client, engine_name, local_registry, registry_manifest, require_engine
from helpers.core.errors import KitError
from local_aws.awslambda.container import LABEL, launch_container
from local_aws.ecr.images import ImageRecord
from local_aws.awslambda.launchers import INVOKE_PATH
from helpers.build.base_image import AWS_BASE, OFFLINE_BASE, resolve_base_image, stage_runtime_client
from helpers.core.paths import REPO_ROOT

SEED = "Les deux chiens marchent dans le parc."
# Wheelhouses and staged contexts are large (torch): cached across runs, apart from the user's .kit/.
BUILD_CACHE = REPO_ROOT / ".kit" / "test-cache" / "container"
TINY_HANDLER = '''import os
import time

time.sleep(float(os.environ.get("INIT_SLEEP", "0")))


def _writable(path):
    try:
        with open(os.path.join(path, "ltk-probe"), "w") as f:
            f.write("x")
        return True
    except OSError:
        return False


def handler(event, context):
    print("tiny got", event)
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("probe"):
        return {"uid": os.getuid(), "writable": {p: _writable(p) for p in ("/", "/var/task", "/opt", "/tmp")}}
    return {"echo": event, "task_root": os.environ["LAMBDA_TASK_ROOT"], "cwd": os.getcwd()}
'''
TINY_DOCKERFILE = """ARG BASE_IMAGE=public.ecr.aws/lambda/python:3.11
FROM ${BASE_IMAGE}
COPY lambda_app/ ${LAMBDA_TASK_ROOT}/lambda_app/
CMD ["lambda_app.app.handler"]
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(client: docker.DockerClient, image: str, *argv: str) -> str:
    """Run a command in a throwaway container of `image` (entrypoint bypassed) and return its output."""
    out = client.containers.run(image, list(argv[1:]), entrypoint=[argv[0]], remove=True, network_mode="host",
                                labels={LABEL: "test"})
    return out.decode()


class _ChunkReader(io.RawIOBase):
    """A read-only stream over an iterator of byte chunks (the engine's archive response)."""

    def __init__(self, chunks: Iterator[bytes]):
        self.chunks, self.buf = chunks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self.buf:
            self.buf = next(self.chunks, b"")
            if not self.buf:
                return 0
        n = min(len(b), len(self.buf))
        b[:n], self.buf = self.buf[:n], self.buf[n:]
        return n


def _task_root_files(client: docker.DockerClient, image: str) -> dict[str, int]:
    """{path: size} of the regular files under /var/task in `image`, read from the engine's archive API."""
    container = client.containers.create(image, labels={LABEL: "test"})
    try:
        chunks, _ = container.get_archive("/var/task")
        with tarfile.open(fileobj=io.BufferedReader(_ChunkReader(iter(chunks)), 1 << 20), mode="r|") as tar:
            return {m.name.split("/", 1)[1]: m.size for m in tar if m.isfile() and "__pycache__" not in m.name}
    finally:
        container.remove(force=True)


def _invoke(endpoint: str, event: dict[str, Any]) -> dict[str, Any]:
    resp = requests.post(endpoint + INVOKE_PATH, json=event, timeout=120)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _leftovers(client: docker.DockerClient) -> list[str]:
    return [c.name for c in client.containers.list(all=True, filters={"label": LABEL})]


@pytest.fixture(scope="session")
def engine() -> docker.DockerClient:
    client = docker_client()
    if client is None:
        pytest.skip('no container engine answers: run `eval "$(.ci/container-services start)"` (podman + registry)')
    return client


@pytest.fixture(scope="session")
def base_image(engine: docker.DockerClient) -> str:
    return resolve_base_image(engine)  # the first run builds the offline base (about 1.5 minutes)


@pytest.fixture(scope="session")
def tiny_image(engine: docker.DockerClient, base_image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    ctx = tmp_path_factory.mktemp("tiny")
    (ctx / "lambda_app").mkdir()
    (ctx / "lambda_app" / "__init__.py").write_text("")
    (ctx / "lambda_app" / "app.py").write_text(TINY_HANDLER)
    (ctx / "Dockerfile").write_text(TINY_DOCKERFILE)
    ref = "localhost/ltk-test-tiny:latest"
    engine.images.build(path=str(ctx), tag=ref, buildargs={"BASE_IMAGE": base_image}, rm=True)
    yield ref
    engine.images.remove(ref, force=True)


@pytest.fixture(scope="session")
def moto_ecr() -> Iterator[Any]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield boto3.client("ecr", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    server.stop()


@pytest.fixture(scope="session", params=["slim", "torch"])
def built(request: pytest.FixtureRequest, engine: docker.DockerClient, base_image: str) -> Any:
    """The real lambda_app/Dockerfile built by helpers.build.staging for one runtime, with the trained test model."""
    from helpers.build.builder import build_with_engine
    from helpers.build.staging import stage_task_root

    model = request.getfixturevalue("trained_model_dir")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KIT_HOME", str(BUILD_CACHE))
        image = build_with_engine(engine, request.param, model=model)
        staged = stage_task_root(request.param, model=model)
    return request.param, image, staged, model


# ---------------------------------------------------------------- no engine needed


def test_no_engine_means_none_and_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/nothing.sock")
    assert docker_client() is None
    with pytest.raises(KitError, match="container-services start"):
        require_engine()


def test_runtime_client_is_staged_with_its_requirements(tmp_path: Path) -> None:
    names = stage_runtime_client(tmp_path)
    assert names[0] == "awslambdaric" and "simplejson" in names
    assert (tmp_path / "awslambdaric" / "__main__.py").is_file()
    assert not list(tmp_path.rglob("__pycache__"))


def test_runtime_client_for_another_python_comes_from_pip(tmp_path: Path) -> None:
    """A 3.12 or 3.13 host builds the offline base's (3.11) runtime client for 3.11, not a copy of its own."""
    from helpers.build.image_spec import BaseSpec

    names = stage_runtime_client(tmp_path, base=BaseSpec("3.12", (2, 28)), arch="x86_64")
    assert names[0] == "awslambdaric" and "simplejson" in names
    assert [p.name for p in tmp_path.glob("awslambdaric/*.so")] == []  # the extension sits at the top level
    assert {p.name.split(".")[1] for p in tmp_path.glob("runtime_client*.so")} == {"cpython-312-x86_64-linux-gnu"}
    assert not list(tmp_path.rglob("__pycache__"))


def test_offline_base_per_architecture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another architecture's offline twin (built under emulation) has its own tag and debootstraps that arch."""
    import helpers.build.base_image as base_image
    from helpers.build.image_spec import KNOWN_BASES, base_spec
    from helpers.core.platform import host_arch

    other = "arm64" if host_arch() == "x86_64" else "x86_64"
    assert base_image.offline_base_tag(host_arch()) == OFFLINE_BASE
    assert base_image.offline_base_tag(other) == f"{OFFLINE_BASE}-{other}"
    assert base_spec(base_image.offline_base_tag(other)) == KNOWN_BASES[OFFLINE_BASE]  # Python 3.11 either way
    commands: list[list[str]] = []
    monkeypatch.setattr(base_image.shutil, "which", lambda name: "/usr/sbin/debootstrap")
    monkeypatch.setattr(base_image.os, "geteuid", lambda: 0)
    monkeypatch.setattr(base_image.subprocess, "run", lambda cmd, **kw: commands.append(cmd) or
                        type("Done", (), {"returncode": 1})())
    with pytest.raises(KitError, match="qemu-user-static"):
        base_image._debootstrap(tmp_path / "rootfs", tmp_path / "log", other)
    assert f"--arch={'arm64' if other == 'arm64' else 'amd64'}" in commands[0]


def test_registry_manifest_says_what_to_do_when_no_registry() -> None:
    with pytest.raises(KitError, match="container-services start"):
        registry_manifest(f"127.0.0.1:{_free_port()}/ltk-translator:x")


# ---------------------------------------------------------------- engine, base, launcher


@pytest.mark.container
def test_engine_is_named(engine: docker.DockerClient) -> None:
    assert engine_name(engine) in ("podman", "docker")


@pytest.mark.container
def test_base_follows_the_lambda_base_contract(engine: docker.DockerClient, base_image: str) -> None:
    assert base_image in (AWS_BASE, OFFLINE_BASE)
    config = engine.images.get(base_image).attrs["Config"]
    assert "LAMBDA_TASK_ROOT=/var/task" in config["Env"]
    assert config["WorkingDir"] == "/var/task"
    assert config["Entrypoint"] == ["/lambda-entrypoint.sh"]
    out = _run(engine, base_image, "python3", "-c", "import awslambdaric, sys; print(sys.version_info[:2])")
    assert out.strip() == "(3, 11)"
    assert "pip" in _run(engine, base_image, "python3", "-m", "pip", "--version")
    assert resolve_base_image(engine) == base_image  # cached: not rebuilt


@pytest.mark.container
def test_launcher_invokes_logs_and_stops(engine: docker.DockerClient, tiny_image: str) -> None:
    rec = ImageRecord(uri="x/tiny:latest", digest="sha256:0", container_image=tiny_image)
    inst = launch_container(rec, {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256"}, _free_port())
    try:
        assert inst.alive()
        result = _invoke(inst.endpoint, {"sentence": SEED})
        assert result == {"echo": {"sentence": SEED}, "task_root": "/var/task", "cwd": "/var/task"}
        logs, deadline = inst.read_logs(), time.monotonic() + 5
        while "REPORT RequestId" not in logs and time.monotonic() < deadline:  # the output streams in (as in
            logs += inst.read_logs()  # Lambda, after the answer); the REPORT line closes an invocation's output
            time.sleep(0.001)
        assert f"tiny got {{'sentence': '{SEED}'}}" in logs and "REPORT RequestId" in logs
        assert inst.read_logs() == ""  # only what is new
        assert inst.rss_bytes() > 5_000_000  # RIE + python are running
        assert _invoke(inst.endpoint, {"n": 2})["echo"] == {"n": 2}  # warm: the same sandbox answers again
    finally:
        inst.stop()
    assert not inst.alive()
    inst.stop()  # idempotent
    assert _leftovers(engine) == []


@pytest.mark.container
def test_no_output_is_lost_when_the_engine_is_slow_to_attach(engine: docker.DockerClient, tiny_image: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Every print of a burst of invocations right after the start arrives once, in order, however late the engine
    answers the attach: attaching to a running container and replaying its earlier output lost lines on podman 4."""
    attach = docker.models.containers.Container.attach_socket
    monkeypatch.setattr(docker.models.containers.Container, "attach_socket",
                        lambda self, **kw: time.sleep(0.5) or attach(self, **kw))
    inst = launch_container(ImageRecord(uri="x/tiny:latest", digest="sha256:0", container_image=tiny_image), {},
                            _free_port())
    try:
        for n in range(20):
            _invoke(inst.endpoint, {"n": n})
        logs, deadline = "", time.monotonic() + 10
        while logs.count("REPORT RequestId") < 20 and time.monotonic() < deadline:
            logs += inst.read_logs()
            time.sleep(0.01)
    finally:
        inst.stop()
    printed = [line for line in logs.splitlines() if line.startswith("tiny got")]
    assert printed == [f"tiny got {{'n': {n}}}" for n in range(20)]
    assert logs.count("(rapid) exec ") == 1 and logs.count("REPORT RequestId") == 20


@pytest.mark.container
def test_a_port_taken_meanwhile_is_port_lost_and_leaves_nothing(engine: docker.DockerClient, tiny_image: str) -> None:
    from local_aws.stack.ports import PortLost

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(PortLost, match=f"could not publish port {taken.getsockname()[1]}"):
            launch_container(ImageRecord(uri="x/tiny:latest", digest="sha256:0", container_image=tiny_image), {},
                             taken.getsockname()[1])
    assert _leftovers(engine) == []


@pytest.mark.container
def test_container_runs_as_lambda_does(engine: docker.DockerClient, tiny_image: str) -> None:
    """A non-root user, a read-only file system but /tmp, and a published port instead of the host's network."""
    port = _free_port()
    inst = launch_container(ImageRecord(uri="x/tiny:latest", digest="sha256:0", container_image=tiny_image), {}, port)
    try:
        probe = _invoke(inst.endpoint, {"probe": True})
        host_config = inst.container.attrs["HostConfig"]
    finally:
        inst.stop()
    assert probe["uid"] != 0
    assert probe["writable"] == {"/": False, "/var/task": False, "/opt": False, "/tmp": True}
    assert host_config["NetworkMode"] != "host"
    assert host_config["PortBindings"]["8080/tcp"][0]["HostPort"] == str(port)


@pytest.mark.container
def test_cold_report_splits_init_and_duration(engine: docker.DockerClient, tiny_image: str, kit_home: Path) -> None:
    """Init Duration ends when the runtime first asks for an event; Duration is the handler's time only."""
    from local_aws.ecr.images import register_image
    from local_aws.awslambda.service import FunctionSpec, LocalLambda

    uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ltk-tiny:v1"
    register_image(ImageRecord(uri=uri, digest="sha256:" + "b" * 64, container_image=tiny_image))
    lam = LocalLambda(lambda region: None, {})
    spec = FunctionSpec(name="tiny", arn="arn:aws:lambda:us-east-1:123456789012:function:tiny", region="us-east-1",
                        image_uri=uri, handler=None, env=(("INIT_SLEEP", "1.0"),), memory_mb=256, timeout_s=30,
                        architecture="x86_64")
    lam.logs.put = lambda *a, **k: None  # no CloudWatch Logs here: the REPORT line is in the result
    try:
        cold = lam.invoke(spec, b'{"sleep": 0.2}')
        warm = lam.invoke(spec, b'{"sleep": 0.2}')
    finally:
        lam.stop_all()
    assert cold.function_error is None and cold.init_ms is not None and cold.init_ms >= 1000
    assert 200 <= cold.duration_ms < 1000  # the import-time second is init, not the invocation
    assert f"\tInit Duration: {cold.init_ms:.2f} ms" in cold.log
    assert warm.init_ms is None and warm.duration_ms >= 200
    assert engine.containers.list(all=True, filters={"label": LABEL, "ancestor": tiny_image}) == []


@pytest.mark.container
def test_launcher_refuses_images_it_cannot_run(engine: docker.DockerClient) -> None:
    with pytest.raises(KitError, match="no local container image"):
        launch_container(ImageRecord(uri="x/y:1", digest="sha256:0"), {}, _free_port())
    with pytest.raises(KitError, match="not in the container engine"):
        launch_container(ImageRecord(uri="x/y:1", digest="sha256:0", container_image="localhost/ltk-nope:1"),
                         {}, _free_port())


@pytest.mark.container
def test_push_lands_in_registry_and_its_digest_in_ecr(engine: docker.DockerClient, tiny_image: str,
                                                      moto_ecr: Any) -> None:
    registry = local_registry()
    if registry is None:
        pytest.skip("no local registry: run `eval \"$(.ci/container-services start)\"` to set KIT_REGISTRY")
    target = f"{registry}/ltk-test-tiny"
    engine.images.get(tiny_image).tag(target, "t1")
    statuses = [c for c in engine.api.push(target, tag="t1", stream=True, decode=True)]
    assert not [c for c in statuses if "error" in c], statuses
    manifest, media_type, digest = registry_manifest(f"{target}:t1")
    assert f"sha256:{hashlib.sha256(manifest.encode()).hexdigest()}" == digest
    assert any(digest in c.get("status", "") for c in statuses)  # the engine reports the same digest
    assert media_type == "application/vnd.docker.distribution.manifest.v2+json"  # Lambda rejects indexes
    assert len(json.loads(manifest)["layers"]) >= 2
    moto_ecr.create_repository(repositoryName="ltk-test-tiny")
    moto_ecr.put_image(repositoryName="ltk-test-tiny", imageManifest=manifest, imageManifestMediaType=media_type,
                       imageTag="t1", imageDigest=digest)
    listed = moto_ecr.describe_images(repositoryName="ltk-test-tiny")["imageDetails"]
    assert [(d["imageDigest"], d["imageTags"]) for d in listed] == [(digest, ["t1"])]
    engine.images.remove(f"{target}:t1")


# ---------------------------------------------------------------- the real image, both runtimes


@pytest.mark.container
def test_dockerfile_builds_the_runtime(engine: docker.DockerClient, built: Any) -> None:
    runtime, image, _, _ = built
    config = engine.images.get(image.image_ref).attrs["Config"]
    assert config["Cmd"] == ["lambda_app.app.handler"]
    assert f"MODEL_RUNTIME={runtime}" in config["Env"]
    probe = "import importlib.util as u; print(bool(u.find_spec('torch')), bool(u.find_spec('onnxruntime')))"
    assert _run(engine, image.image_ref, "python3", "-c", probe).split() == (
        ["True", "False"] if runtime == "torch" else ["False", "True"])


@pytest.mark.container
def test_image_contents_match_the_staged_task_root(engine: docker.DockerClient, built: Any) -> None:
    _, image, staged, _ = built
    in_image = _task_root_files(engine, image.image_ref)
    root = Path(staged.task_root)
    on_host = {p.relative_to(root).as_posix(): p.stat().st_size for p in root.rglob("*")
               if p.is_file() and not p.is_symlink() and "__pycache__" not in p.parts}
    assert "lambda_app/app.py" in in_image and "model/vocab.json" in in_image
    only_image = sorted(set(in_image) - set(on_host))[:5]
    only_host = sorted(set(on_host) - set(in_image))[:5]
    assert (only_image, only_host) == ([], [])
    # Console scripts (bin/) carry each machine's interpreter in their shebang, and RECORD lists their hashes.
    differ = [k for k in in_image if in_image[k] != on_host[k]]
    assert [k for k in differ if not (k.startswith("bin/") or k.endswith(".dist-info/RECORD"))] == []


@pytest.mark.container
def test_image_translates_the_seed_sentence(engine: docker.DockerClient, built: Any) -> None:
    from lambda_app.translator import load_translator

    runtime, image, _, model = built
    expected = load_translator(model, runtime).translate_batch([SEED])[0]
    rec = ImageRecord(uri=f"x/ltk-translator:{image.tag}", digest="sha256:0", container_image=image.image_ref)
    inst = launch_container(rec, {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024"}, _free_port())
    try:
        resp = _invoke(inst.endpoint, {"sentence": SEED})
        assert resp["statusCode"] == 200, resp
        body = json.loads(resp["body"])
        assert body["fr"] == SEED and body["en"] == expected
        assert "dogs" in body["en"].lower()
    finally:
        inst.stop()
    assert _leftovers(engine) == []
