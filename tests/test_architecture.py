"""The layout's rules, checked on the source: imports point one way, no cycles, no oversized modules, unique names.

Layers, lowest first: `helpers.core` (plumbing) < `local_aws` (the emulator) < `helpers.aws` (clients for both
targets) < the stages in notebook order (train < build < deploy < sagemaker < cleanup) < tools (`helpers.run_notebooks`).
A module may import from its own layer or a lower one; `lambda_app` (what ships in the image) imports nothing
of `helpers`. Function-level (lazy) imports count too.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from helpers.core.paths import REPO_ROOT

LAYERS = ["helpers.core", "local_aws", "helpers.aws", "helpers.train", "helpers.build", "helpers.deploy",
          "helpers.sagemaker", "helpers.cleanup", "helpers.workshop", "helpers.run_notebooks"]
MAX_LINES = 300  # a longer module states why at its top ("Longer than 300 lines because ...")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports (absolute names; relative imports resolved), at any depth of the file."""
    mod = module_name(path)
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{a.name}" for a in node.names)  # `from pkg import module`
    return found


def sources(top: str) -> dict[str, Path]:
    return {module_name(p): p for p in sorted((REPO_ROOT / top).rglob("*.py"))}


HELPERS = sources("helpers") | sources("local_aws")  # every module placed in LAYERS


def internal_edges() -> dict[str, set[str]]:
    """module -> the helpers modules it imports (names that are not modules are dropped)."""
    return {m: {i for i in imports_of(p) if i in HELPERS and i != m} for m, p in HELPERS.items()}


def layer(module: str) -> int | None:
    return next((i for i, name in enumerate(LAYERS) if module == name or module.startswith(name + ".")), None)


def test_every_helpers_module_has_a_layer() -> None:
    missing = [m for m in HELPERS if m not in ("helpers", "local_aws") and layer(m) is None]
    assert not missing, f"modules outside every layer (add them to LAYERS in this test and ARCHITECTURE.md): {missing}"


def test_imports_point_down_the_layers() -> None:
    upward = [f"{m} -> {t}" for m, targets in internal_edges().items() for t in targets
              if m != "helpers" and t != "helpers" and layer(t) > layer(m)]  # type: ignore[operator]
    assert not upward, "imports that point up the layers:\n" + "\n".join(sorted(upward))


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle in `edges` (as a path that ends where it starts), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_no_import_cycles() -> None:
    # A package's __init__ re-exports its modules: importing `helpers.build.ecr` runs `helpers.build`, so the edge
    # from a module to its own package's __init__ is implied, not written; only written imports are checked.
    edges = {m: {t for t in ts if not m.startswith(t + ".")} for m, ts in internal_edges().items()}
    assert find_cycle(edges) is None, f"import cycle: {' -> '.join(find_cycle(edges) or [])}"


def test_cycle_finder_finds_a_planted_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_layer_check_catches_an_upward_import() -> None:
    assert layer("helpers.core.config") < layer("local_aws.stack.control") < layer("helpers.deploy.calls")  # type: ignore[operator]


FACE = "local_aws.face"  # the emulator's public face: all the stages and helpers.aws may import of local_aws


def reaches_inside_emulator(edges: dict[str, set[str]]) -> list[str]:
    """`module -> import` pairs where a module outside local_aws imports an emulator module other than its face."""
    return sorted(f"{m} -> {t}" for m, targets in edges.items() if layer(m) != layer("local_aws")
                  for t in targets if layer(t) == layer("local_aws") and t not in (FACE, "local_aws"))


def test_stages_reach_the_emulator_only_through_its_face() -> None:
    edges = {m: {i for i in imports_of(p) if i in HELPERS} for m, p in HELPERS.items()}
    edges |= {f"notebooks.{p.stem}": {i for i in notebook_imports(p) if i in HELPERS}
              for p in sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))}
    assert not reaches_inside_emulator(edges), "import local_aws.face instead:\n" + "\n".join(
        reaches_inside_emulator(edges))


def test_face_rule_catches_a_planted_violation() -> None:
    planted = {"helpers.deploy.calls": {"local_aws.stack.control", FACE}, "helpers.aws": {FACE},
               "local_aws.front.server": {"local_aws.stack.control"}}
    assert reaches_inside_emulator(planted) == ["helpers.deploy.calls -> local_aws.stack.control"]


NOTEBOOK_STAGE = {"00_facilitator": "helpers.workshop", "01_train": "helpers.train", "02_build_image": "helpers.build",
                  "03_deploy_lambda": "helpers.deploy", "03b_sagemaker_serverless": "helpers.sagemaker",
                  "04_cleanup": "helpers.cleanup"}


def later_stage_imports(notebook: str, imported: set[str]) -> list[str]:
    """What `notebook` imports from a layer above its own stage's (02 may use core, aws, train, build; not deploy)."""
    own = layer(NOTEBOOK_STAGE[notebook])
    return sorted(i for i in imported if (lay := layer(i)) is not None and lay > own)  # type: ignore[operator]


def test_notebooks_import_nothing_of_a_later_stage() -> None:
    found = {p.stem: later_stage_imports(p.stem, notebook_imports(p))
             for p in sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))}
    assert set(found) == set(NOTEBOOK_STAGE), "give each notebook its stage in NOTEBOOK_STAGE"
    assert not any(found.values()), {k: v for k, v in found.items() if v}


def test_later_stage_rule_catches_a_planted_violation() -> None:
    assert later_stage_imports("02_build_image", {"helpers.deploy.plan", "helpers.build", "helpers.aws"}) == [
        "helpers.deploy.plan"]


def notebook_imports(path: Path) -> set[str]:
    """What a notebook's code cells import (as imports_of reads a module)."""
    import nbformat

    found: set[str] = set()
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def test_lambda_app_imports_nothing_of_helpers() -> None:
    bad = [f"{m} -> {i}" for m, p in sources("lambda_app").items() for i in imports_of(p)
           if i == "helpers" or i.startswith("helpers.")]
    assert not bad, bad


@pytest.mark.parametrize("top", ["helpers", "local_aws", "lambda_app", "benchmarks"])
def test_no_module_is_over_300_lines_without_a_reason(top: str) -> None:
    long = [f"{p.relative_to(REPO_ROOT)} ({n} lines)" for p in (REPO_ROOT / top).rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES
            and f"Longer than {MAX_LINES} lines because" not in p.read_text()[:2000]]
    assert not long, "split these, or say why at their top: " + ", ".join(long)


MAX_FUNCTION_LINES = 50


@pytest.mark.parametrize("top", ["helpers", "local_aws", "lambda_app", "benchmarks"])
def test_no_function_is_over_50_lines(top: str) -> None:
    long = [f"{p.relative_to(REPO_ROOT)}:{n.lineno} {n.name} ({n.end_lineno - n.lineno + 1} lines)"
            for p in sorted((REPO_ROOT / top).rglob("*.py")) for n in ast.walk(ast.parse(p.read_text()))
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            and (n.end_lineno or n.lineno) - n.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, "split these: " + ", ".join(long)


def test_module_names_are_unique() -> None:
    names: dict[str, list[str]] = {}
    for top in ("helpers", "local_aws", "lambda_app", "benchmarks"):
        for p in (REPO_ROOT / top).rglob("*.py"):
            if p.name != "__init__.py":
                names.setdefault(p.stem, []).append(str(p.relative_to(REPO_ROOT)))
    dupes = {k: v for k, v in names.items() if len(v) > 1}
    assert not dupes, dupes
