"""The Dockerfile, the host staging that interprets it, the wheelhouse, and the SDK build (mocked)."""
from __future__ import annotations

import json
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.build import builder, dockerfile, image_spec, layers, staging, wheelhouse
from helpers.core.errors import KitError
from helpers.core.paths import LAMBDA_APP


def fake_model(path: Path, version: str = "abc123") -> Path:
    """A model directory with every artifact's file (contents do not matter for staging)."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "vocab.json").write_text('{"src": ["<pad>"], "tgt": ["<pad>"]}')
    (path / "model_card.json").write_text(json.dumps({"name": "fake", "version": version}))
    for name in ("weights.pt", "encoder.onnx", "decoder.onnx"):
        (path / name).write_bytes(name.encode() * 10)
    return path


# ---------------------------------------------------------------- the Dockerfile itself


def test_dockerfile_contract() -> None:
    steps = dockerfile.parse_dockerfile(image_spec.DOCKERFILE.read_text())
    assert steps[0] == ("ARG", "BASE_IMAGE=public.ecr.aws/lambda/python:3.12")
    assert [s for s in steps if s[0] == "FROM"] == [("FROM", "${BASE_IMAGE} AS deps"), ("FROM", "${BASE_IMAGE}")]
    assert ("ARG", "RUNTIME=slim") in steps
    assert steps[-1] == ("CMD", '["lambda_app.app.handler"]')
    assert ("ENTRYPOINT", '["/bin/sh", "/var/task/lambda_app/entrypoint.sh"]') in steps  # serve | Lambda
    assert ("ENV", "MODEL_RUNTIME=${RUNTIME}") in steps
    run = [a for i, a in steps if i == "RUN"]
    assert len(run) == 1 and "--no-index" in run[0] and "--find-links /tmp/wheelhouse" in run[0]
    assert "--no-cache-dir" in run[0]  # no pip cache in the image
    assert not any("--mount" in a for _, a in steps)  # the SDK's classic builder has no RUN --mount


def test_requirements_pin_cpu_torch_and_keep_torch_out_of_slim() -> None:
    torch_req = (LAMBDA_APP / "requirements-torch.txt").read_text()
    slim_req = (LAMBDA_APP / "requirements-slim.txt").read_text()
    assert "torch==2.13.0" in torch_req
    assert "torch" not in slim_req.replace("# slim runtime: the exported ONNX model on ONNX Runtime; no torch", "")
    assert "onnxruntime" in slim_req


def test_parse_dockerfile_joins_continuations_and_drops_comments() -> None:
    steps = dockerfile.parse_dockerfile("# c\nFROM x AS y\n\nRUN pip install \\\n  a \\\n  b\ncmd [\"h\"]\n")
    assert [(i, " ".join(a.split())) for i, a in steps] == [("FROM", "x AS y"), ("RUN", "pip install a b"),
                                                             ("CMD", '["h"]')]


@pytest.mark.parametrize("path, ignored", [
    ("lambda_app/__pycache__", True), ("lambda_app/__pycache__/app.cpython-311.pyc", True),
    ("lambda_app/x.pyc", True), ("lambda_app/.ipynb_checkpoints/app-checkpoint.py", True),
    ("lambda_app/app.py", False), ("lambda_app/requirements-slim.txt", False), ("model/weights.pt", False),
])
def test_dockerignore_rules(path: str, ignored: bool) -> None:
    rules = dockerfile.ignore_rules(image_spec.DOCKERIGNORE.read_text())
    assert dockerfile.is_ignored(path, rules) is ignored


def test_dockerignore_exceptions_and_anchors() -> None:
    rules = dockerfile.ignore_rules("docs\n*.md\n!README.md\n")
    assert dockerfile.is_ignored("docs/a/b.txt", rules) and dockerfile.is_ignored("x.md", rules)
    assert not dockerfile.is_ignored("README.md", rules) and not dockerfile.is_ignored("sub/x.md", rules)


def test_wheel_platforms_follow_arch_and_glibc() -> None:
    tags = wheelhouse.wheel_platforms("arm64", (2, 28))
    assert tags[0] == "manylinux_2_28_aarch64" and tags[-1] == "manylinux2014_aarch64"
    assert "manylinux_2_17_aarch64" in tags and not any("x86_64" in t for t in tags)
    assert wheelhouse.wheel_platforms("x86_64", (2, 26))[0] == "manylinux_2_26_x86_64"
    assert image_spec.base_spec("public.ecr.aws/lambda/python:3.11") == image_spec.BaseSpec("3.11", (2, 26))
    assert image_spec.base_spec("public.ecr.aws/lambda/python:3.12").abi == "cp312"
    assert image_spec.base_spec("localhost/ltk-lambda-base:py3.11") == image_spec.BaseSpec("3.11", (2, 28))
    assert image_spec.base_spec("localhost/other:1") == image_spec.HOST_BASE


# ---------------------------------------------------------------- the stager on small Dockerfiles


def run_stager(tmp_path: Path, text: str, build_args: dict[str, str] | None = None) -> staging._Stager:
    context = tmp_path / "ctx"
    (context / "app").mkdir(parents=True)
    (context / "app" / "a.py").write_text("A")
    (context / "app" / "b.py").write_text("B")
    (context / "app" / "notes.txt").write_text("N")
    (context / "req-x.txt").write_text("R")
    stager = staging._Stager(context, tmp_path / "fs", build_args or {}, "x86_64", image_spec.HOST_BASE)
    stager.run(dockerfile.parse_dockerfile(text))
    return stager


def test_stager_copy_env_arg_and_stage_semantics(tmp_path: Path) -> None:
    stager = run_stager(tmp_path, (
        "ARG BASE=b\nFROM ${BASE} AS one\nARG KIND=x\nCOPY req-${KIND}.txt /tmp/r.txt\nCOPY app/ /opt/app/\n"
        "FROM ${BASE}\nARG KIND=x\nENV K=${KIND} T=${LAMBDA_TASK_ROOT}/m\n"
        "COPY --from=one /opt/app/ ${LAMBDA_TASK_ROOT}/\nCOPY app/*.py ${LAMBDA_TASK_ROOT}/pkg/\nCMD [\"h.x\"]\n"
        "ENTRYPOINT [\"/bin/sh\", \"/e.sh\"]\n"))
    root = stager.host("/var/task")
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == \
        ["a.py", "b.py", "notes.txt", "pkg/a.py", "pkg/b.py"]
    assert (stager.stages["one"] / "tmp/r.txt").read_text() == "R"
    assert stager.env["K"] == "x" and stager.env["T"] == "/var/task/m"
    assert "KIND" not in stager.env  # ARGs are not image ENV
    assert stager.cmd == ["h.x"] and stager.entrypoint == ["/bin/sh", "/e.sh"]


def test_stager_build_args_override_defaults(tmp_path: Path) -> None:
    with pytest.raises(KitError, match="COPY req-y.txt matched nothing"):
        run_stager(tmp_path, "FROM b\nARG KIND=x\nCOPY req-${KIND}.txt /r\n", {"KIND": "y"})


@pytest.mark.parametrize("step", ["RUN apt-get install -y gcc", "USER nobody", "RUN pip install x",
                                  "ADD https://example.com/x /x"])
def test_stager_refuses_steps_it_cannot_reproduce(tmp_path: Path, step: str) -> None:
    with pytest.raises(KitError, match="cannot be staged without an engine"):
        run_stager(tmp_path, f"FROM b\n{step}\n")


# ---------------------------------------------------------------- the real staging (slim, x86_64)


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[image_spec.StagedImage, Path]]:
    """One real staging of the slim runtime (wheels from the package index, cached per module)."""
    home = tmp_path_factory.mktemp("kit-home")
    model = fake_model(home / "model")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KIT_HOME", str(home))
        yield staging.stage_task_root("slim", "x86_64", model), model


def test_staging_copies_what_the_dockerfile_copies(staged: tuple[image_spec.StagedImage, Path]) -> None:
    st, _ = staged
    root = Path(st.task_root or "")
    expected_app = sorted([p.name for p in LAMBDA_APP.glob("*.py")] + ["entrypoint.sh"])
    assert sorted(p.name for p in (root / "lambda_app").iterdir()) == expected_app  # COPY lambda_app/*.py ...sh
    assert sorted(p.name for p in (root / "model").iterdir()) == sorted(image_spec.MODEL_FILES["slim"])  # COPY model/
    wheels = sorted(p.name for p in (Path(st.context) / "wheelhouse").glob("*.whl"))
    dists = sorted(p.name.split("-")[0].lower() for p in root.glob("*.dist-info"))
    assert dists == sorted(w.split("-")[0].lower() for w in wheels)  # COPY --from=deps: every wheel, installed
    assert (root / "onnxruntime").is_dir() and (root / "numpy").is_dir() and not (root / "torch").exists()
    for absent in ("Dockerfile", ".dockerignore", "wheelhouse", "requirements-slim.txt", "tests", "helpers"):
        assert not (root / absent).exists() and not (root / "lambda_app" / absent).exists()
    assert st.env == {"MODEL_RUNTIME": "slim"} and st.cmd == ["lambda_app.app.handler"]
    assert st.entrypoint == ["/bin/sh", "/var/task/lambda_app/entrypoint.sh"]


def test_layer_tar_holds_exactly_the_task_root(staged: tuple[image_spec.StagedImage, Path]) -> None:
    st, _ = staged
    root = Path(st.task_root or "")
    with tarfile.open(st.tarball or "") as tar:
        names = {m.name for m in tar.getmembers() if m.isfile()}
        assert all(m.mtime == 0 and m.uid == 0 for m in tar.getmembers())
    assert names == {f"var/task/{p.relative_to(root).as_posix()}" for p in root.rglob("*") if p.is_file()}
    assert st.tar_gz_bytes == Path(st.tarball or "").stat().st_size < st.task_root_bytes
    assert st.layer_digest and st.layer_digest.startswith("sha256:") and st.diff_id != st.layer_digest


def test_restaging_unchanged_inputs_reuses_everything(staged: tuple[image_spec.StagedImage, Path],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    st, model = staged
    monkeypatch.setenv("KIT_HOME", str(Path(st.context).parents[2]))
    monkeypatch.setattr(staging, "run_pip", lambda *a, **k: pytest.fail("pip ran again"))
    mtime = Path(st.tarball or "").stat().st_mtime_ns
    again = staging.stage_task_root("slim", "x86_64", model)
    assert again == st and Path(st.tarball or "").stat().st_mtime_ns == mtime


def test_layer_is_reproducible(staged: tuple[image_spec.StagedImage, Path], tmp_path: Path) -> None:
    st, _ = staged
    assert layers.write_layer(Path(st.task_root or ""), tmp_path / "again.tar.gz") == (st.layer_digest, st.diff_id)


def test_inputs_key_changes_with_the_model(tmp_path: Path) -> None:
    model = fake_model(tmp_path / "m")
    wheelhouse = tmp_path / "wh"
    before = staging._inputs_key("torch", "x86_64", model, wheelhouse)
    assert staging._inputs_key("torch", "x86_64", model, wheelhouse) == before
    (model / "weights.pt").write_bytes(b"retrained")
    assert staging._inputs_key("torch", "x86_64", model, wheelhouse) != before
    assert staging._inputs_key("torch", "arm64", model, wheelhouse) != staging._inputs_key("torch", "x86_64", model, wheelhouse)


# ---------------------------------------------------------------- wheelhouse and errors


def test_missing_model_says_run_01(kit_home: Path) -> None:
    with pytest.raises(KitError, match="run notebooks/01_train.ipynb"):
        staging.stage_context("slim", model=kit_home / "nothing")


def test_incomplete_model_names_missing_files(kit_home: Path, tmp_path: Path) -> None:
    model = fake_model(tmp_path / "m")
    (model / "encoder.onnx").unlink()
    with pytest.raises(KitError, match="lacks encoder.onnx"):
        staging.stage_context("slim", model=model)


@pytest.mark.parametrize("runtime, arch, message", [("tf", "x86_64", "Unknown runtime"), ("slim", "i386", "Unknown arch")])
def test_bad_runtime_or_arch(kit_home: Path, runtime: str, arch: str, message: str) -> None:
    with pytest.raises(KitError, match=message):
        wheelhouse.download_wheelhouse(runtime, arch)


def test_wheelhouse_args_name_cpu_index_and_platform(kit_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []

    def fake_pip(args: list[str], what: str) -> None:
        calls.append(args)
        dest = Path(args[args.index("-d") + 1])
        dest.mkdir(parents=True)
        (dest / "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_aarch64.whl").write_bytes(b"w")

    monkeypatch.setattr(wheelhouse, "run_pip", fake_pip)
    first = wheelhouse.download_wheelhouse("torch", "arm64")
    assert wheelhouse.download_wheelhouse("torch", "arm64") == first and len(calls) == 1  # cached
    args = calls[0]
    assert args[args.index("--extra-index-url") + 1] == image_spec.TORCH_CPU_INDEX
    assert "--only-binary=:all:" in args and "--platform=manylinux_2_28_aarch64" in args
    here = sys.version_info  # host staging targets this Python (3.11 to 3.13), derived, never hard-coded
    assert args[args.index("--python-version") + 1] == f"{here.major}.{here.minor}"
    assert args[args.index("--abi") + 1] == f"cp{here.major}{here.minor}"


def test_wheelhouse_for_the_aws_base_targets_its_python(kit_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []

    def fake_pip(args: list[str], what: str) -> None:
        calls.append(args)
        Path(args[args.index("-d") + 1]).mkdir(parents=True)

    monkeypatch.setattr(wheelhouse, "run_pip", fake_pip)
    wheelhouse.download_wheelhouse("slim", "x86_64", image_spec.base_spec("public.ecr.aws/lambda/python:3.12"))
    wheelhouse.download_wheelhouse("slim", "x86_64")  # the host's Python: a separate cache entry
    (aws_args, host_args) = calls
    assert aws_args[aws_args.index("--python-version") + 1] == "3.12" and "--abi" in aws_args
    assert aws_args[aws_args.index("--abi") + 1] == "cp312" and "--platform=manylinux_2_34_x86_64" in aws_args
    assert host_args[host_args.index("--abi") + 1] == f"cp{sys.version_info.major}{sys.version_info.minor}"
    assert "--platform=manylinux_2_34_x86_64" not in host_args


def test_cuda_torch_is_refused(kit_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_pip(args: list[str], what: str) -> None:
        dest = Path(args[args.index("-d") + 1])
        dest.mkdir(parents=True)
        (dest / "nvidia_cublas_cu12-12.1-py3-none-manylinux1_x86_64.whl").write_bytes(b"w")

    monkeypatch.setattr(wheelhouse, "run_pip", fake_pip)
    with pytest.raises(KitError, match="CUDA torch"):
        wheelhouse.download_wheelhouse("torch")
    assert not list((kit_home / "wheels").glob("torch-*/.complete"))


def test_torch_on_amazon_linux_2_base_explains_glibc(kit_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_pip(args: list[str], what: str) -> None:
        raise KitError("no matching distribution")

    monkeypatch.setattr(wheelhouse, "run_pip", failing_pip)
    with pytest.raises(KitError, match="glibc 2.28 but this base has glibc 2.26"):
        wheelhouse.download_wheelhouse("torch", base=image_spec.BaseSpec("3.11", (2, 26)))


def test_pip_failure_is_one_sentence() -> None:
    with pytest.raises(KitError, match=r"Probe failed \(.*\); check the network"):
        wheelhouse.run_pip(["download", "--no-index", "-d", "/tmp/none", "no-such-package-ltk"], "Probe")


# ---------------------------------------------------------------- building: no engine, mocked engine


def test_no_engine_says_so_and_stages(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import helpers.core.engine

    sentinel = image_spec.StagedImage("slim", "x86_64", "v", "ctx", "k")
    monkeypatch.setattr(builder, "docker_client", lambda: None)
    monkeypatch.setattr(builder, "stage_task_root", lambda runtime, arch, model: sentinel)
    built = builder.build_image("slim")
    assert built.staged is sentinel and built.image_ref is None
    out = capsys.readouterr().out.strip()
    assert out.startswith("No container engine answers") and out.count(".") == 1


class FakeApi:
    def __init__(self, chunks: list[dict[str, Any]]):
        self.chunks, self.kwargs = chunks, {}

    def build(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        self.kwargs = kwargs
        return iter(self.chunks)


class FakeClient:
    def __init__(self, chunks: list[dict[str, Any]]):
        self.api = FakeApi(chunks)

    def version(self) -> dict[str, Any]:
        return {"Components": [{"Name": "Podman Engine"}]}


def test_engine_build_passes_platform_args_and_tag(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    import helpers.build.base_image

    seen: dict[str, Any] = {}

    def fake_stage_context(runtime: str, arch: str, model: Any, base: image_spec.BaseSpec) -> image_spec.StagedImage:
        seen["base"] = base
        return image_spec.StagedImage(runtime, arch, "v42", "/ctx", "k")

    monkeypatch.setattr(builder, "resolve_base_image", lambda client, arch="x86_64":
                        "public.ecr.aws/lambda/python:3.12")
    monkeypatch.setattr(builder, "stage_context", fake_stage_context)
    client = FakeClient([{"stream": "Step 1/13 : ARG BASE_IMAGE"}, {"stream": "Step 13/13 : CMD"},
                         {"stream": "Successfully built 123"}])
    built = builder.build_with_engine(client, "slim", "arm64")
    kw = client.api.kwargs
    assert built.image_ref == "ltk-translator:slim-v42" == kw["tag"]
    assert kw["platform"] == "linux/arm64" and kw["path"] == "/ctx"
    assert kw["buildargs"] == {"BASE_IMAGE": "public.ecr.aws/lambda/python:3.12", "RUNTIME": "slim"}
    assert seen["base"] == image_spec.BaseSpec("3.12", (2, 34))  # Amazon Linux 2023: cp312 wheels, glibc 2.34
    assert "container engine (podman) on base image public.ecr.aws/lambda/python:3.12" in capsys.readouterr().out


def test_engine_build_error_is_a_kit_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import helpers.build.base_image

    monkeypatch.setattr(builder, "resolve_base_image", lambda client, arch="x86_64": "localhost/base")
    monkeypatch.setattr(builder, "stage_context", lambda *a: image_spec.StagedImage("slim", "x86_64", "v", "/c", "k"))
    client = FakeClient([{"stream": "Step 1/13"}, {"error": "pip: no matching distribution\n"}])
    with pytest.raises(KitError, match="The image build failed: pip: no matching distribution"):
        builder.build_with_engine(client, "slim")


def test_measured_task_root_stages_after_an_engine_build(monkeypatch: pytest.MonkeyPatch) -> None:
    staged = image_spec.StagedImage("torch", "arm64", "v", "/ctx", "k", task_root="/root")
    calls: list[tuple[str, str, Any]] = []
    monkeypatch.setattr(builder, "stage_task_root", lambda rt, arch, model: calls.append((rt, arch, model)) or staged)
    assert builder.measured_task_root(image_spec.BuiltImage(staged=staged)) is staged and calls == []
    engine_built = image_spec.BuiltImage(staged=image_spec.StagedImage("torch", "arm64", "v", "/ctx", "k"), image_ref="r")
    assert builder.measured_task_root(engine_built, Path("/m")) is staged
    assert calls == [("torch", "arm64", Path("/m"))]


def test_building_both_runtimes_says_how_once(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(builder, "docker_client", lambda: None)
    monkeypatch.setattr(builder, "stage_task_root",
                        lambda runtime, arch, model: image_spec.StagedImage(runtime, arch, "v", "ctx", "k"))
    built = builder.build_images(["slim", "torch"])
    assert {rt: b.staged.runtime for rt, b in built.items()} == {"slim": "slim", "torch": "torch"}
    assert capsys.readouterr().out.count("No container engine answers") == 1
    monkeypatch.setattr(builder, "docker_client", lambda: FakeClient([]))
    monkeypatch.setattr(builder, "resolve_base_image", lambda client, arch="x86_64":
                        "public.ecr.aws/lambda/python:3.12")
    monkeypatch.setattr(builder, "stage_context",
                        lambda rt, arch, model, base: image_spec.StagedImage(rt, arch, "v", "/c", "k"))
    assert set(builder.build_images(["slim", "torch"])) == {"slim", "torch"}
    assert capsys.readouterr().out.count("Building with the container engine (podman)") == 1
