"""The build context, and the image's task root staged without an engine by running the Dockerfile's own steps.

One source of truth: the build context (Dockerfile, .dockerignore, wheelhouse/, lambda_app/, model/) is staged in
`kit_home()/build/<runtime>-<arch>-<python abi>/context`; without an engine the task root is produced by
*interpreting that same Dockerfile* (its ARG / FROM / ENV / COPY / `RUN pip install` / ENTRYPOINT / CMD steps) on
the host, into `.../fs/<stage>/...`. The local target then runs exactly those contents.
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import shlex
import shutil
from dataclasses import asdict
from pathlib import Path

from docker.utils.build import PatternMatcher

from helpers.build.dockerfile import expand, ignore_rules, is_ignored, parse_dockerfile
from helpers.build.image_spec import (BASE_ENV, DOCKERFILE, DOCKERIGNORE, HOST_BASE, MODEL_FILES, TASK_ROOT,
                                      BaseSpec, StagedImage, check_runtime_arch, model_version)
from helpers.build.layers import dir_bytes, write_layer
from helpers.build.wheelhouse import download_wheelhouse, platform_args, run_pip
from helpers.core.errors import KitError
from helpers.core.paths import LAMBDA_APP, kit_home
from helpers.core.paths import model_dir as default_model_dir
from helpers.core.progress import progress


READABLE = 0o444  # Lambda runs the image as a non-root user: every file must be readable by others (a+r) ...
SEARCHABLE = 0o111  # ... and every directory (and executable) enterable by them (a+X)


def _link_or_copy(src: str, dst: str) -> None:
    """Hard-link `src` when it is already readable by everyone; otherwise copy it and make the copy a+r (the
    source keeps its mode: a link would share it)."""
    if os.stat(src).st_mode & READABLE == READABLE:
        try:
            os.link(src, dst)
            return
        except OSError:
            pass
    shutil.copy2(src, dst)
    os.chmod(dst, os.stat(dst).st_mode | READABLE)


def not_world_readable(root: Path) -> list[str]:
    """Paths under `root` a non-root user could not read (files without a+r, directories without a+rx)."""
    bad = []
    for p in [root, *sorted(root.rglob("*"))]:
        if p.is_symlink():
            continue
        need = READABLE | SEARCHABLE if p.is_dir() else READABLE
        if p.stat().st_mode & need != need:
            bad.append(p.relative_to(root).as_posix() or ".")
    return bad


def make_world_readable(root: Path) -> None:
    """chmod a+rX under `root` (as `COPY --chmod` would); shared hard links are replaced by copies first."""
    for p in [root, *sorted(root.rglob("*"))]:
        if p.is_symlink():
            continue
        mode = p.stat().st_mode
        add = READABLE | SEARCHABLE if p.is_dir() or mode & 0o100 else READABLE
        if mode & add == add:
            continue
        if p.is_file() and p.stat().st_nlink > 1:  # do not change the mode of the file it is linked to
            tmp = p.with_name(p.name + ".kit-copy")
            shutil.copy2(p, tmp)
            tmp.replace(p)
        os.chmod(p, mode | add)


def _copy_tree(src: Path, dst: Path, ignore: PatternMatcher | None = None, rel: str = "") -> None:
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


def _inputs_key(runtime: str, arch: str, model: Path, wheelhouse: Path) -> str:
    h = hashlib.sha256(f"{runtime}|{arch}|{wheelhouse.name}".encode())
    rules = ignore_rules(DOCKERIGNORE.read_text())
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
    check_runtime_arch(runtime, arch)
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
    context.mkdir(parents=True)
    shutil.copy2(DOCKERFILE, context / "Dockerfile")
    shutil.copy2(DOCKERIGNORE, context / ".dockerignore")
    _copy_tree(wheelhouse, context / "wheelhouse", ignore_rules(".complete"))
    _copy_tree(LAMBDA_APP, context / "lambda_app", ignore_rules(DOCKERIGNORE.read_text()), "lambda_app")
    (context / "model").mkdir()
    for name in MODEL_FILES[runtime]:
        shutil.copy2(model / name, context / "model" / name)
    make_world_readable(context)  # the engine COPYs files with their modes: Lambda's user must read them
    meta.write_text(json.dumps(asdict(staged), indent=2))
    return staged


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
        self.entrypoint: list[str] = []

    def host(self, path: str, root: Path | None = None) -> Path:
        """Where an absolute in-image path of a stage lives on the host."""
        return (root or self.root) / path.lstrip("/")  # type: ignore[operator]

    def run(self, steps: list[tuple[str, str]]) -> None:
        for instruction, args in progress(steps, desc="staging (Dockerfile steps)", unit="step"):
            handler = getattr(self, f"do_{instruction.lower()}", None)
            if handler is None or (self.root is None and instruction not in ("ARG", "FROM")):
                raise KitError(f"The Dockerfile step `{instruction} {args}` cannot be staged without an engine: "
                               "keep lambda_app/Dockerfile to ARG/FROM/ENV/COPY/RUN pip install/ENTRYPOINT/CMD.")
            handler(args)

    def do_arg(self, args: str) -> None:
        name, _, default = args.partition("=")
        value = self.build_args.get(name, expand(default, self.vars()))
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
        self.cmd, self.entrypoint = [], []  # a new stage starts from the base's (the base sets the Lambda ones)

    def do_env(self, args: str) -> None:
        for pair in shlex.split(args):
            k, _, v = pair.partition("=")
            self.env[k] = expand(v, self.vars())

    def do_cmd(self, args: str) -> None:
        self.cmd = json.loads(args)

    def do_entrypoint(self, args: str) -> None:
        self.entrypoint = json.loads(args)  # exec form only, like CMD

    def do_copy(self, args: str) -> None:
        words = [expand(w, self.vars()) for w in args.split()]
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
        words = shlex.split(expand(args, self.vars()))
        if words[:2] != ["pip", "install"] or "--target" not in words:
            raise KitError(f"The Dockerfile step `RUN {args}` cannot be staged without an engine: "
                           "only `RUN pip install ... --target DIR` is supported.")
        words = [str(self.host(w)) if w.startswith("/") else w for w in words[1:]]
        run_pip([*words, *platform_args(self.arch, self.base)], "Installing the wheelhouse into the task root")


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
    make_world_readable(task_root)  # pip honours this machine's umask (077 makes 0600 files Lambda cannot read)
    unreadable = not_world_readable(task_root)
    if unreadable:
        raise KitError(f"{len(unreadable)} path(s) of the task root are not readable by Lambda's non-root user "
                       f"(e.g. {unreadable[0]}): make them a+rX, then re-run.")
    staged.layer_digest, staged.diff_id = write_layer(task_root, tarball)
    staged.task_root, staged.tarball = str(task_root), str(tarball)
    staged.env = {k: v for k, v in stager.env.items() if k not in BASE_ENV}
    staged.cmd, staged.entrypoint = stager.cmd, stager.entrypoint
    staged.task_root_bytes, staged.tar_gz_bytes = dir_bytes(task_root), tarball.stat().st_size
    (context.parent / "stage.json").write_text(json.dumps(asdict(staged), indent=2))
    return staged
