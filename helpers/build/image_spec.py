"""What the translator image is: its runtimes, platforms, task root, model files, labels, and the bases it builds on.

AWS's python:3.12 base (Amazon Linux 2023) is the default: its python:3.11 base is Amazon Linux 2 (glibc 2.26),
older than torch 2.13's manylinux_2_28 wheels. Host staging uses the kit's own Python (3.11 to 3.13), the offline
Debian base its Python 3.11; every ABI tag is derived from these versions.
"""
from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from helpers.core.errors import KitError
from helpers.core.paths import LAMBDA_APP

RUNTIMES = ("torch", "slim")  # the model runtime an image serves: PyTorch, or ONNX Runtime + numpy
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

    python: str = f"{sys.version_info.major}.{sys.version_info.minor}"
    glibc: tuple[int, int] = (2, 28)

    @property
    def abi(self) -> str:
        return "cp" + self.python.replace(".", "")


HOST_BASE = BaseSpec()  # host staging: this Python (sys.version_info), glibc 2.28 wheels
OFFLINE_BASE = "localhost/ltk-lambda-base:py3.11"  # base_image.py builds it from Debian bookworm
KNOWN_BASES = {  # AWS's Lambda Python bases (python:3.11 is Amazon Linux 2, python:3.12+ Amazon Linux 2023), the twin
    "public.ecr.aws/lambda/python:3.11": BaseSpec("3.11", (2, 26)),
    "public.ecr.aws/lambda/python:3.12": BaseSpec("3.12", (2, 34)),
    "public.ecr.aws/lambda/python:3.13": BaseSpec("3.13", (2, 34)),
    OFFLINE_BASE: BaseSpec("3.11", (2, 28)),  # bookworm: Python 3.11, glibc 2.36 (2.28 wheels, as host staging takes)
}


def base_spec(base_image: str) -> BaseSpec:
    """The Python and glibc of a base image (by tag; any other base is taken as the kit's HOST_BASE)."""
    name = base_image.split("@")[0]
    return KNOWN_BASES.get(name) or (KNOWN_BASES[OFFLINE_BASE] if name.startswith(OFFLINE_BASE) else HOST_BASE)


def default_architecture(engine_arch: str | None, host_arch: str) -> str:
    """The image's (and so the function's) architecture: KIT_ARCH when set ("x86_64" | "arm64"), else the engine's
    native one when an engine answers (an Apple Silicon laptop builds arm64 natively; Lambda on arm64 is also ~20%
    cheaper per GB-s), else this machine's (staged task roots run natively on the host)."""
    asked = os.environ.get("KIT_ARCH", "").strip()
    if asked and asked not in PLATFORMS:
        raise KitError(f"KIT_ARCH={asked!r} is not a Lambda architecture: use 'x86_64' or 'arm64', or unset it.")
    return asked or engine_arch or host_arch


def check_runtime_arch(runtime: str, arch: str) -> None:
    """A KitError unless `runtime` is torch/slim and `arch` x86_64/arm64."""
    if runtime not in RUNTIMES:
        raise KitError(f"Unknown runtime {runtime!r}: use 'torch' or 'slim'.")
    if arch not in PLATFORMS:
        raise KitError(f"Unknown architecture {arch!r}: use 'x86_64' or 'arm64'.")


def model_version(model: Path) -> str:
    """The model's version from model_card.json, or a KitError saying to export the model first."""
    card = model / "model_card.json"
    if not card.exists():
        raise KitError(f"No model at {model}: run notebooks/01_train.ipynb (or export a model there) first.")
    return str(json.loads(card.read_text())["version"])


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
    entrypoint: list[str] = field(default_factory=list)  # the final stage's ENTRYPOINT (exec form)
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
