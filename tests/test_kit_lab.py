"""`bash kit lab`: one command sets up the environment with JupyterLab and serves the notebooks with the kit's kernel.

The test starts it headless, lists the four notebooks through the Jupyter server's REST API, opens 01 as a session
(a kernel the server starts), runs 01's first cells in that kernel, shuts the server down and checks that no process
of it is left. The first run installs the `lab` extra into this environment (through the kit's own setup).
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

from helpers.core.paths import REPO_ROOT
from local_aws.stack.ports import free_port

NOTEBOOKS = ["01_train.ipynb", "02_build_image.ipynb", "03_deploy_lambda.ipynb", "04_cleanup.ipynb"]
FIRST_CELLS = 3
START_TIMEOUT_S = 600  # the first run installs JupyterLab


def _group(pgid: int) -> list[psutil.Process]:
    """Live processes of a process group (the kit's session), zombies excluded."""
    found = []
    for p in psutil.process_iter():
        try:
            if os.getpgid(p.pid) == pgid and p.status() != psutil.STATUS_ZOMBIE:
                found.append(p)
        except (ProcessLookupError, psutil.Error):
            continue
    return found


@pytest.fixture
def lab(tmp_path: Path):
    """(base URL, token, runtime dir, the kit process) of a headless `bash kit lab`; stopped after the test."""
    port, token = free_port(), secrets.token_hex(16)
    runtime_dir = tmp_path / "jupyter-runtime"
    env = {**os.environ, "KIT_VENV": sys.prefix, "KIT_HOME": str(tmp_path / "kit-home"),
           "JUPYTER_RUNTIME_DIR": str(runtime_dir), "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    log = (tmp_path / "lab.log").open("w")
    proc = subprocess.Popen(["bash", str(REPO_ROOT / "kit"), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
                             f"--IdentityProvider.token={token}"], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if requests.get(f"{base}/api/status", params={"token": token}, timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.5)
        else:
            pytest.fail(f"`bash kit lab` did not answer: {(tmp_path / 'lab.log').read_text()[-2000:]}")
        yield base, token, runtime_dir, proc
    finally:  # whatever the test left: the server's tree (kernels run in sessions of their own) and its group
        try:
            leftovers = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
        except psutil.Error:
            leftovers = []
        for p in leftovers + _group(proc.pid):
            try:
                p.kill()
            except psutil.Error:
                pass
        proc.wait(30)
        log.close()


def test_kit_lab_serves_the_notebooks_and_runs_01_in_its_kernel(lab):
    from jupyter_client import BlockingKernelClient

    base, token, runtime_dir, proc = lab
    auth = {"Authorization": f"token {token}"}
    listing = requests.get(f"{base}/api/contents", headers=auth, timeout=30).json()
    listed = sorted(c["name"] for c in listing["content"] if c["type"] == "notebook")
    assert listed == sorted(p.name for p in (REPO_ROOT / "notebooks").glob("*.ipynb")) and set(NOTEBOOKS) <= set(listed)
    session = requests.post(f"{base}/api/sessions", headers=auth, timeout=60, json={
        "path": "01_train.ipynb", "type": "notebook", "name": "01_train.ipynb", "kernel": {"name": "python3"}}).json()
    kernel_id = session["kernel"]["id"]
    kernel = BlockingKernelClient(connection_file=str(runtime_dir / f"kernel-{kernel_id}.json"))
    kernel.load_connection_file()
    kernel.start_channels()
    kernel.wait_for_ready(timeout=120)
    outputs: list[dict] = []
    reply = kernel.execute_interactive("import os, sys; print(sys.prefix, '|', os.getcwd())", timeout=60,
                                       output_hook=outputs.append)
    assert reply["content"]["status"] == "ok"
    printed = "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")
    assert printed.split(" | ")[0] == sys.prefix  # the kit's environment is the kernel
    assert Path(printed.split(" | ")[1].strip()) == REPO_ROOT / "notebooks"
    cells = [c for c in json.loads((REPO_ROOT / "notebooks" / "01_train.ipynb").read_text())["cells"]
             if c["cell_type"] == "code"][:FIRST_CELLS]
    for cell in cells:
        reply = kernel.execute_interactive("".join(cell["source"]), timeout=300, output_hook=lambda msg: None)
        assert reply["content"]["status"] == "ok", reply["content"]
    kernel.stop_channels()
    family = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    assert any("ipykernel" in " ".join(p.cmdline()) for p in family)  # the server started the kernel
    assert requests.post(f"{base}/api/shutdown", headers=auth, timeout=30).status_code in (200, 202, 204)
    assert proc.wait(60) == 0
    psutil.wait_procs(family, timeout=30)
    assert [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE] == []
    assert _group(proc.pid) == []
