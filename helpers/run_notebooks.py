"""The kit's main job: run the notebooks in order (`bash kit run`), as a learner would.

Executed copies go to `.kit/runs/`, so the committed notebooks (and their outputs) stay as they are.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from helpers.core.paths import REPO_ROOT, kit_home
from helpers.core.state import load_state
from helpers.core.tables import text_table

NOTEBOOKS = ["01_train", "02_build_image", "03_deploy_lambda", "03b_sagemaker_serverless", "04_cleanup"]


def run_notebook(name: str, out_dir: Path, timeout_s: int = 1800) -> float:
    """Execute one notebook in a fresh kernel (cwd = notebooks/) and save the executed copy; returns seconds."""
    src = REPO_ROOT / "notebooks" / f"{name}.ipynb"
    nb = nbformat.read(src, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=timeout_s, kernel_name="python3",
                            resources={"metadata": {"path": str(src.parent)}})
    # The kernel's own log (start-up chatter, crashes) goes to a file beside the executed copy.
    with open(kit_home() / "runs" / f"{name}.kernel.log", "w") as kernel_log:
        try:
            client.execute(stdout=kernel_log, stderr=kernel_log)
        finally:
            nbformat.write(nb, out_dir / f"{name}.ipynb")
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    """Run all notebooks; print where each executed copy is and the translation the API returned.

    `--inplace NAME...` (for maintainers) re-executes the named notebooks into notebooks/ itself, to refresh the
    committed outputs that nbval compares against.
    """
    if argv[:1] in (["-h"], ["--help"]) or (argv and argv[0] != "--inplace"):
        print("usage: python -m helpers.run_notebooks [--inplace NAME...]\n\n" + (main.__doc__ or "")
              + f"\nExecuted copies go to {kit_home() / 'runs'} (set KIT_HOME to run elsewhere).")
        return 0 if argv[:1] in (["-h"], ["--help"]) else 2
    inplace = argv[:1] == ["--inplace"]
    names = argv[1:] if inplace else NOTEBOOKS
    os.environ.setdefault("KIT_PROGRESS", "off")  # the kernels inherit it: executed copies keep no progress bars
    (kit_home() / "runs").mkdir(parents=True, exist_ok=True)
    out_dir = REPO_ROOT / "notebooks" if inplace else kit_home() / "runs"
    demo = comparison = None
    for name in names:
        print(f"[kit] running notebooks/{name}.ipynb ...", flush=True)
        try:
            seconds = run_notebook(name, out_dir)
        except CellExecutionError as exc:
            print(f"[kit] {name} failed; the executed copy is {out_dir / (name + '.ipynb')}.\n{exc}",
                  file=sys.stderr)
            return 1
        print(f"[kit] {name} done in {seconds:.0f} s -> {out_dir / (name + '.ipynb')}", flush=True)
        if name == "03_deploy_lambda":
            demo = load_state().get("demo")
        if name == "03b_sagemaker_serverless":
            comparison = load_state().get("serverless_comparison")
    if inplace:
        return 0
    if demo:
        print(f"[kit] POST {demo['url']} {demo['request']}")
        print(f"[kit] the deployed API answered: {demo['response']}")
    if comparison:  # 03b: the same image on Lambda and on SageMaker Serverless, measured and priced
        print("[kit] Lambda vs SageMaker Serverless (03b):")
        print(*(text_table([dict(row) for row in comparison[part]]) for part in ("timings", "bills")), sep="\n")
    print("[kit] all notebooks ran; 04_cleanup removed every resource the kit created.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
