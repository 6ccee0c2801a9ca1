"""Build the Lambda image from lambda_app/Dockerfile, or stage its task root when no engine answers.

One source of truth: the build context is staged here (Dockerfile, .dockerignore, wheelhouse/,
lambda_app/, model/), and without an engine the task root is produced by *interpreting that same
Dockerfile* (its ARG / FROM / ENV / COPY / `RUN pip install` / CMD steps) on the host, into
`kit_home()/build/<runtime>-<arch>-<python abi>/fs/<stage>/...`. The local target then runs exactly those contents.

The wheelhouse is downloaded once per runtime, architecture and base (its Python and glibc, see
`base_spec`) with `pip download` (binary manylinux wheels only); torch comes from the PyTorch CPU index
(TORCH_CPU_INDEX) so nobody downloads a multi-GB CUDA build. AWS's python:3.12 base (Amazon Linux 2023)
is the default: its python:3.11 base is Amazon Linux 2 (glibc 2.26), older than torch 2.13's
manylinux_2_28 wheels. Host staging and the offline Debian base use Python 3.11 (the kit's own).
"""
from __future__ import annotations

import glob
import gzip
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from tqdm import tqdm

from .errors import KitError
from .paths import LAMBDA_APP, kit_home
from .paths import model_dir as default_model_dir

RUNTIMES = ("torch", "slim")
PLATFORMS = {"x86_64": "linux/amd64", "arm64": "linux/arm64"}
MACHINE = {"x86_64": "x86_64", "arm64": "aarch64"}
DOCKERFILE = LAMBDA_APP / "Dockerfile"
DOCKERIGNORE = LAMBDA_APP / ".dockerignore"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
BASE_ENV = {"LAMBDA_TASK_ROOT": "/var/task", "LAMBDA_RUNTIME_DIR": "/var/runtime"}  # the base image's ENV
TASK_ROOT = BASE_ENV["LAMBDA_TASK_ROOT"]
MODEL_FILES = {
    "torch": ("vocab.json", "model_card.json", "weights.pt"),
    "slim": ("vocab.json", "model_card.json", "encoder.onnx", "decoder.onnx"),
}
IMAGE_NAME = "ltk-translator"  # local engine repository for built images
MODEL_LABEL = "ltk.model-version"  # every image the kit builds carries it (04_cleanup finds them by it)


@dataclass(frozen=True)
class BaseSpec:
    """What a base image can load: its CPython version and its glibc (for pip's --platform tags)."""

    python: str = "3.11"
    glibc: tuple[int, int] = (2, 28)

    @property
    def abi(self) -> str:
        return "cp" + self.python.replace(".", "")


HOST_BASE = BaseSpec()  # host staging and the offline Debian base (Python 3.11, glibc 2.36)
AWS_BASES = {  # AWS's Lambda Python bases: python:3.11 is Amazon Linux 2, python:3.12 Amazon Linux 2023
    "public.ecr.aws/lambda/python:3.11": BaseSpec("3.11", (2, 26)),
    "public.ecr.aws/lambda/python:3.12": BaseSpec("3.12", (2, 34)),
}


@dataclass
class StagedImage:
    """A build context and (without an engine) the task root made from it, with sizes and digests."""

    runtime: str
    arch: str
    version: str  # the model version (model_card.json)
    context: str
    key: str  # hash of every input; equal keys mean the staged result is reused
    env: dict[str, str] = field(default_factory=dict)  # the final stage's ENV
    cmd: list[str] = field(default_factory=list)
    task_root: str | None = None
    tarball: str | None = None  # gzip'd tar of the task root (what ECR stores as the added layer)
    layer_digest: str | None = None  # sha256 of the tarball
    diff_id: str | None = None  # sha256 of the uncompressed tar
    task_root_bytes: int = 0
    tar_gz_bytes: int = 0

    @property
    def tag(self) -> str:
        """The image tag, e.g. `slim-3f2a9c1b`."""
        return f"{self.runtime}-{self.version}"


@dataclass
class BuiltImage:
    """What `build_image` produced: the staged inputs and, with an engine, the local image ref."""

    staged: StagedImage
    image_ref: str | None = None  # e.g. `ltk-translator:slim-3f2a9c1b` in the local engine

    @property
    def tag(self) -> str:
        return self.staged.tag


def progress(iterable: Any = None, **kwargs: Any) -> tqdm:
    """A tqdm bar that redraws at most every 2 s (keeps notebook outputs small)."""
    return tqdm(iterable, mininterval=2.0, **kwargs)


# ---------------------------------------------------------------- Dockerfile and .dockerignore


def parse_dockerfile(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and `\\` continuations joined."""
    steps: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        word, _, rest = full.partition(" ")
        steps.append((word.upper(), rest.strip()))
    return steps


def _expand(s: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: env.get(m.group(1) or m.group(2), ""), s)


def ignore_patterns(text: str) -> list[tuple[bool, re.Pattern[str]]]:
    """Compiled .dockerignore rules as (is_exception, regex); the last matching rule wins."""
    rules = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pat = line.lstrip("!").strip("/")
        rx = re.escape(pat).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*")
        rx = rx.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        rules.append((negate, re.compile(f"^{rx}(/.*)?$")))
    return rules


def is_ignored(rel_path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Whether a context-relative posix path is excluded by the .dockerignore rules."""
    ignored = False
    for negate, rx in rules:
        if rx.match(rel_path):
            ignored = not negate
    return ignored


# ---------------------------------------------------------------- wheelhouse


def wheel_platforms(arch: str, glibc: tuple[int, int] = HOST_BASE.glibc) -> list[str]:
    """pip `--platform` tags a base with this glibc can load, newest first."""
    m = MACHINE[arch]
    return [f"manylinux_2_{minor}_{m}" for minor in range(glibc[1], 16, -1)] + [f"manylinux2014_{m}"]


def base_spec(base_image: str) -> BaseSpec:
    """The Python and glibc of a base image (AWS's by tag; any other base is taken as the kit's HOST_BASE)."""
    return AWS_BASES.get(base_image.split("@")[0], HOST_BASE)


def _check_runtime_arch(runtime: str, arch: str) -> None:
    if runtime not in RUNTIMES:
        raise KitError(f"Unknown runtime {runtime!r}: use 'torch' or 'slim'.")
    if arch not in PLATFORMS:
        raise KitError(f"Unknown architecture {arch!r}: use 'x86_64' or 'arm64'.")


def _pip(args: list[str], what: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "-q"], check=False,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith("WARNING")]
        detail = lines[-1] if lines else f"exit code {proc.returncode}"
        raise KitError(f"{what} failed ({detail}); check the network/pip index and re-run.")


def download_wheelhouse(runtime: str, arch: str = "x86_64", base: BaseSpec = HOST_BASE) -> Path:
    """The runtime's dependency wheels for a Lambda base (its CPython, manylinux, binary only), cached."""
    _check_runtime_arch(runtime, arch)
    req = LAMBDA_APP / f"requirements-{runtime}.txt"
    glibc = base.glibc
    platforms = wheel_platforms(arch, glibc)
    key = hashlib.sha256("\n".join([req.read_text(), base.python, *platforms]).encode()).hexdigest()[:12]
    dest = kit_home() / "wheels" / f"{runtime}-{arch}-{key}"
    if (dest / ".complete").exists():
        return dest
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    args = ["download", "--only-binary=:all:", "--python-version", base.python, "--implementation", "cp",
            "--abi", base.abi, *(f"--platform={p}" for p in platforms), "--timeout", "15", "--retries", "1",
            "-d", str(tmp), "-r", str(req)]
    if runtime == "torch":
        args += ["--extra-index-url", TORCH_CPU_INDEX]
    try:
        _pip(args, f"Downloading the {runtime} wheels for {arch} (glibc {glibc[0]}.{glibc[1]})")
    except KitError as e:
        if runtime == "torch" and glibc < (2, 28):
            raise KitError(
                f"torch 2.13 wheels need glibc 2.28 but this base has glibc {glibc[0]}.{glibc[1]} (AWS's "
                "python:3.11 base is Amazon Linux 2): use its python:3.12 base, or runtime='slim'."
            ) from e
        raise
    cuda = [p.name for p in tmp.glob("nvidia*")]
    if cuda:
        shutil.rmtree(tmp)
        raise KitError(f"pip picked a CUDA torch ({cuda[0]}...): make sure {TORCH_CPU_INDEX} is reachable.")
    (tmp / ".complete").write_text(json.dumps(sorted(p.name for p in tmp.glob("*.whl"))))
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return dest


# ---------------------------------------------------------------- build context


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _copy_tree(src: Path, dst: Path, ignore: list[tuple[bool, re.Pattern[str]]] | None = None,
               rel: str = "") -> None:
    """Copy (hard-linking when possible) `src` into `dst`, skipping context paths `ignore` excludes."""
    dst.mkdir(parents=True, exist_ok=True)
    for child in sorted(src.iterdir()):
        child_rel = f"{rel}/{child.name}" if rel else child.name
        if ignore and is_ignored(child_rel, ignore):
            continue
        if child.is_dir():
            _copy_tree(child, dst / child.name, ignore, child_rel)
        else:
            target = dst / child.name
            target.unlink(missing_ok=True)
            _link_or_copy(str(child), str(target))


def model_version(model: Path) -> str:
    """The model's version from model_card.json, or a KitError saying to export the model first."""
    card = model / "model_card.json"
    if not card.exists():
        raise KitError(f"No model at {model}: run notebooks/01_train.ipynb (or export a model there) first.")
    return str(json.loads(card.read_text())["version"])


def _inputs_key(runtime: str, arch: str, model: Path, wheelhouse: Path) -> str:
    h = hashlib.sha256(f"{runtime}|{arch}|{wheelhouse.name}".encode())
    rules = ignore_patterns(DOCKERIGNORE.read_text())
    files = [DOCKERFILE, DOCKERIGNORE] + [
        p for p in sorted(LAMBDA_APP.rglob("*"))
        if p.is_file() and not is_ignored(f"lambda_app/{p.relative_to(LAMBDA_APP).as_posix()}", rules)]
    files += [model / name for name in MODEL_FILES[runtime]]
    for p in files:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def stage_context(runtime: str, arch: str = "x86_64", model: Path | None = None,
                  base: BaseSpec = HOST_BASE) -> StagedImage:
    """The build context `kit_home()/build/<runtime>-<arch>-<abi>/context` (reused when its inputs are unchanged)."""
    _check_runtime_arch(runtime, arch)
    model = Path(model or default_model_dir())
    version = model_version(model)
    missing = [n for n in MODEL_FILES[runtime] if not (model / n).exists()]
    if missing:
        raise KitError(f"The model at {model} lacks {', '.join(missing)}: re-run the export in 01_train.")
    wheelhouse = download_wheelhouse(runtime, arch, base)
    key = _inputs_key(runtime, arch, model, wheelhouse)
    build = kit_home() / "build" / f"{runtime}-{arch}-{base.abi}"  # one folder per base: no cache evicts another
    context = build / "context"
    staged = StagedImage(runtime=runtime, arch=arch, version=version, context=str(context), key=key)
    meta = build / "stage.json"
    if meta.exists() and context.exists():
        old = json.loads(meta.read_text())
        if old.get("key") == key:
            return StagedImage(**old)
    shutil.rmtree(build, ignore_errors=True)
    rules = ignore_patterns(DOCKERIGNORE.read_text())
    context.mkdir(parents=True)
    shutil.copy2(DOCKERFILE, context / "Dockerfile")
    shutil.copy2(DOCKERIGNORE, context / ".dockerignore")
    _copy_tree(wheelhouse, context / "wheelhouse", ignore_patterns(".complete"))
    _copy_tree(LAMBDA_APP, context / "lambda_app", rules, "lambda_app")
    (context / "model").mkdir()
    for name in MODEL_FILES[runtime]:
        shutil.copy2(model / name, context / "model" / name)
    meta.write_text(json.dumps(asdict(staged), indent=2))
    return staged


# ---------------------------------------------------------------- staging without an engine


class _Stager:
    """Runs a Dockerfile's steps on the host: each stage is a directory standing for its filesystem."""

    def __init__(self, context: Path, fs: Path, build_args: dict[str, str], arch: str, base: BaseSpec):
        self.context, self.fs, self.build_args, self.arch, self.base = context, fs, build_args, arch, base
        self.global_args: dict[str, str] = {}
        self.args: dict[str, str] = {}  # the current stage's ARGs (not part of the image's ENV)
        self.stages: dict[str, Path] = {}
        self.root: Path | None = None
        self.env: dict[str, str] = {}
        self.cmd: list[str] = []

    def host(self, path: str, root: Path | None = None) -> Path:
        """Where an absolute in-image path of a stage lives on the host."""
        return (root or self.root) / path.lstrip("/")  # type: ignore[operator]

    def run(self, steps: list[tuple[str, str]]) -> None:
        for instruction, args in progress(steps, desc="staging (Dockerfile steps)", unit="step"):
            handler = getattr(self, f"do_{instruction.lower()}", None)
            if handler is None or (self.root is None and instruction not in ("ARG", "FROM")):
                raise KitError(f"The Dockerfile step `{instruction} {args}` cannot be staged without an "
                               "engine: keep lambda_app/Dockerfile to ARG/FROM/ENV/COPY/RUN pip install/CMD.")
            handler(args)

    def do_arg(self, args: str) -> None:
        name, _, default = args.partition("=")
        value = self.build_args.get(name, _expand(default, self.vars()))
        (self.args if self.root is not None else self.global_args)[name] = value

    def vars(self) -> dict[str, str]:
        """What `${NAME}` can refer to in the current stage."""
        return {**self.global_args, **self.args, **self.env}

    def do_from(self, args: str) -> None:
        words = args.split()
        name = words[2] if len(words) == 3 and words[1].upper() == "AS" else f"stage{len(self.stages)}"
        self.root = self.fs / name
        self.root.mkdir(parents=True, exist_ok=True)
        self.stages[name] = self.root
        self.env, self.args = dict(BASE_ENV), {}

    def do_env(self, args: str) -> None:
        for pair in shlex.split(args):
            k, _, v = pair.partition("=")
            self.env[k] = _expand(v, self.vars())

    def do_cmd(self, args: str) -> None:
        self.cmd = json.loads(args)

    def do_copy(self, args: str) -> None:
        words = [_expand(w, self.vars()) for w in args.split()]
        src_root = self.context
        if words[0].startswith("--from="):
            src_root = self.stages[words.pop(0).split("=", 1)[1]]
        *sources, dest = words
        for src in sources:
            matches = sorted(glob.glob(str(src_root / src.lstrip("/"))))
            if not matches:
                raise KitError(f"COPY {src} matched nothing in the build context: re-run stage_context().")
            for m in map(Path, matches):
                target = self.host(dest)
                if m.is_dir():
                    _copy_tree(m, target)
                else:
                    if dest.endswith("/") or len(matches) > 1:
                        target = target / m.name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.unlink(missing_ok=True)
                    _link_or_copy(str(m), str(target))

    def do_run(self, args: str) -> None:
        words = shlex.split(_expand(args, self.vars()))
        if words[:2] != ["pip", "install"] or "--target" not in words:
            raise KitError(f"The Dockerfile step `RUN {args}` cannot be staged without an engine: "
                           "only `RUN pip install ... --target DIR` is supported.")
        words = [str(self.host(w)) if w.startswith("/") else w for w in words[1:]]
        platform = ["--only-binary=:all:", "--python-version", self.base.python, "--implementation", "cp",
                    "--abi", self.base.abi, *(f"--platform={p}" for p in wheel_platforms(self.arch, self.base.glibc))]
        _pip([*words, *platform], "Installing the wheelhouse into the task root")


class _HashingWriter:
    """A write-only file that hashes what passes through it on the way to `out`."""

    def __init__(self, out: BinaryIO):
        self.out, self.sha, self.size = out, hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.out.write(data)


def _reset(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "root", "root"
    return info


def write_layer(task_root: Path, tarball: Path) -> tuple[str, str]:
    """Write the task root as a reproducible gzip'd tar layer (`var/task/...`); (digest, diff_id)."""
    files = sorted(p for p in task_root.rglob("*"))
    total = sum(p.stat().st_size for p in files if p.is_file())
    prefix = TASK_ROOT.lstrip("/")
    with open(tarball, "wb") as raw, progress(total=total, unit="B", unit_scale=True, desc="layer tar.gz") as bar:
        gz_hash = _HashingWriter(raw)
        with gzip.GzipFile(fileobj=gz_hash, mode="wb", mtime=0, compresslevel=6) as gz:  # type: ignore[call-overload]
            diff = _HashingWriter(gz)  # type: ignore[arg-type]
            with tarfile.open(fileobj=diff, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
                for p in files:
                    tar.add(p, arcname=f"{prefix}/{p.relative_to(task_root).as_posix()}", recursive=False,
                            filter=_reset)
                    if p.is_file():
                        bar.update(p.stat().st_size)
    return f"sha256:{gz_hash.sha.hexdigest()}", f"sha256:{diff.sha.hexdigest()}"


def dir_bytes(path: Path) -> int:
    """Bytes of the regular files under `path`."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def stage_task_root(runtime: str, arch: str = "x86_64", model: Path | None = None) -> StagedImage:
    """Stage the image's task root by running lambda_app/Dockerfile's steps on the host (cached by inputs)."""
    staged = stage_context(runtime, arch, model)
    if staged.tarball and Path(staged.tarball).exists() and staged.task_root and Path(staged.task_root).exists():
        return staged
    context = Path(staged.context)
    fs = context.parent / "fs"
    shutil.rmtree(fs, ignore_errors=True)
    stager = _Stager(context, fs, {"RUNTIME": runtime}, arch, HOST_BASE)
    stager.run(parse_dockerfile(DOCKERFILE.read_text()))
    task_root = stager.host(TASK_ROOT)
    tarball = context.parent / "layer.tar.gz"
    staged.layer_digest, staged.diff_id = write_layer(task_root, tarball)
    staged.task_root, staged.tarball = str(task_root), str(tarball)
    staged.env = {k: v for k, v in stager.env.items() if k not in BASE_ENV}
    staged.cmd = stager.cmd
    staged.task_root_bytes, staged.tar_gz_bytes = dir_bytes(task_root), tarball.stat().st_size
    (context.parent / "stage.json").write_text(json.dumps(asdict(staged), indent=2))
    return staged


# ---------------------------------------------------------------- building with an engine


def build_with_engine(client: Any, runtime: str, arch: str = "x86_64", model: Path | None = None) -> BuiltImage:
    """Build the image with the Docker SDK (classic builder) for `arch`, streaming the log into a progress bar."""
    from .engine import engine_name
    from .offline_base import resolve_base_image

    base = resolve_base_image(client)
    print(f"Building with the container engine ({engine_name(client)}) on base image {base}.")
    staged = stage_context(runtime, arch, model, base_spec(base))
    ref = f"{IMAGE_NAME}:{staged.tag}"
    steps = len(parse_dockerfile(DOCKERFILE.read_text()))
    stream = client.api.build(path=staged.context, dockerfile="Dockerfile", tag=ref, rm=True, forcerm=True,
                              buildargs={"BASE_IMAGE": base, "RUNTIME": runtime}, platform=PLATFORMS[arch],
                              decode=True, labels={MODEL_LABEL: staged.version})
    with progress(total=steps, desc=f"docker build {ref}", unit="step") as bar:
        for chunk in stream:
            if "error" in chunk:
                raise KitError(f"The image build failed: {chunk['error'].strip()} (fix it and re-run).")
            line = chunk.get("stream", "").strip()
            step = re.match(r"(?:Step|STEP) (\d+)/(\d+)", line)
            if step:
                bar.total = int(step.group(2))
                bar.n = int(step.group(1)) - 1
                bar.set_postfix_str(line[:60])
                bar.refresh()
        bar.n = bar.total
    return BuiltImage(staged=staged, image_ref=ref)


def build_image(runtime: str, arch: str = "x86_64", model: Path | None = None) -> BuiltImage:
    """Build with the container engine when one answers; otherwise say so and stage the task root."""
    from .engine import docker_client

    client = docker_client()
    if client is not None:
        return build_with_engine(client, runtime, arch, model)
    print("No container engine answers (Docker/podman): staging the image's task root from the "
          "Dockerfile instead; the local target runs it as is.")
    return BuiltImage(staged=stage_task_root(runtime, arch, model))


def measured_task_root(built: BuiltImage, model: Path | None = None) -> StagedImage:
    """The staged task root behind `built`, with its sizes; staged now (same Dockerfile steps, cached) after an
    engine build, so both paths report the same measurements."""
    if built.staged.task_root:
        return built.staged
    return stage_task_root(built.staged.runtime, built.staged.arch, model)
