"""The sam CLI on template.yaml: `sam validate --lint`, and `sam build` + `sam local invoke` of one function.

Runs the `sam` installed with the kit (aws-sam-cli) with telemetry off; none of these commands needs AWS
credentials or the network (build and local invoke need a container engine). template.yaml points `sam build`
at the contexts helpers.build.staging stages in `.kit/` for AWS's python:3.12 base; for another base (the offline
twin) or another KIT_HOME, `template_for` writes a copy in which only those paths and BASE_IMAGE differ.

    python -m helpers.deploy.sam_cli stage [--base IMAGE]   # stage the contexts, print the `sam build` to run
    python -m helpers.deploy.sam_cli validate               # sam validate --lint
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from helpers.build.base_image import AWS_BASE
from helpers.build.image_spec import RUNTIMES, base_spec
from helpers.build.staging import stage_context
from helpers.core.errors import KitError
from helpers.core.paths import REPO_ROOT, kit_home
from helpers.deploy.sam_template import ARCH, TEMPLATE, default_context, function_id, load_template

TIMEOUT_S = {"validate": 300, "build": 1800, "local": 600}  # a first torch build copies about 1 GB


def sam_executable() -> str:
    """The `sam` next to this Python (the kit's .venv), else the one on PATH."""
    here = Path(sys.executable).with_name("sam")
    found = str(here) if here.exists() else shutil.which("sam")
    if not found:
        raise KitError("The sam CLI is missing: run `bash kit setup` (it installs aws-sam-cli into .venv).")
    return found


def run_sam(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    """`sam ARGS` in `cwd` with telemetry off; its output captured (a KitError if it hangs past its timeout).

    `sam local invoke` looks for credentials to hand the function; with none configured botocore would then ask the
    EC2 instance metadata service (a network call that fails or times out here): these commands need none.
    """
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_EC2_METADATA_DISABLED": "true"}
    try:
        return subprocess.run([sam_executable(), *args], cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=TIMEOUT_S.get(args[0], 300))
    except subprocess.TimeoutExpired:
        raise KitError(f"`sam {' '.join(args[:2])}` did not finish within {TIMEOUT_S.get(args[0], 300)} s: "
                       "check the container engine (`.ci/container-services status`), then re-run.") from None


def _tail(proc: subprocess.CompletedProcess[str], lines: int = 15) -> str:
    return "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-lines:])


def validate(template: Path = TEMPLATE) -> str:
    """`sam validate --lint` (SAM's translator, then cfn-lint; offline): its verdict, or a KitError with the findings."""
    proc = run_sam("validate", "--lint", "--template", str(template), cwd=Path(template).parent)
    out = (proc.stdout + proc.stderr).strip().replace(f"{Path(template).parent}/", "")
    if proc.returncode != 0:
        raise KitError(f"sam validate --lint rejects {Path(template).name}: {out}")
    return out


def stage_contexts(base_image: str = AWS_BASE, runtimes: tuple[str, ...] = RUNTIMES,
                   model: Path | None = None) -> dict[str, Path]:
    """The build context of each runtime for `base_image` (wheels for its Python), staged in kit_home()/build."""
    return {rt: Path(stage_context(rt, ARCH, model, base_spec(base_image)).context) for rt in runtimes}


def template_for(contexts: dict[str, Path], base_image: str, out_dir: Path) -> Path:
    """template.yaml itself when it already points at `contexts` and `base_image`, else a copy in `out_dir` that
    differs only in those Metadata lines (DockerContext, BASE_IMAGE), for `sam build --template`."""
    text = TEMPLATE.read_text()
    if base_image == AWS_BASE and all(p.resolve() == (REPO_ROOT / default_context(rt)).resolve()
                                      for rt, p in contexts.items()):
        return TEMPLATE
    for rt, path in contexts.items():
        text = text.replace(f"DockerContext: {default_context(rt)}\n", f"DockerContext: {path.resolve()}\n")
    text = text.replace(f"BASE_IMAGE: {AWS_BASE}\n", f"BASE_IMAGE: {base_image}\n")
    out_dir.mkdir(parents=True, exist_ok=True)
    copy = out_dir / TEMPLATE.name
    copy.write_text(text)
    got = {rt: load_template(copy)["Resources"][function_id(rt)]["Metadata"] for rt in contexts}
    if any(m["DockerContext"] != str(contexts[rt].resolve()) or m["DockerBuildArgs"]["BASE_IMAGE"] != base_image
           for rt, m in got.items()):
        raise KitError(f"Could not point {TEMPLATE.name}'s Metadata at the staged contexts: keep its DockerContext "
                       "and BASE_IMAGE lines as helpers/deploy/sam_template.py expects them.")
    return copy


def sam_build(template: Path, runtime: str, build_dir: Path) -> Path:
    """`sam build` of the runtime's function (the container engine builds lambda_app/Dockerfile); the built template."""
    proc = run_sam("build", function_id(runtime), "--template", str(template), "--build-dir", str(build_dir),
                   cwd=build_dir.parent)
    if proc.returncode != 0:
        raise KitError(f"sam build {function_id(runtime)} failed: {_tail(proc)}")
    return build_dir / "template.yaml"


def image_refs(runtime: str) -> list[str]:
    """The images `sam build` and `sam local invoke` leave in the engine for a runtime (to remove afterwards)."""
    repo = function_id(runtime).lower()
    return [f"{repo}:{runtime}", f"{repo}:rapid-{ARCH}"]


def http_event(method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """The payload-2.0 event the HTTP API sends the function for `method path` (the kit's own event builder)."""
    from helpers.core.aws_facts.http_api_event import build_event

    data = json.dumps(body).encode() if body is not None else b""
    return build_event(api={"ApiId": "local"}, route_key=f"{method} {path}", stage="$default", method=method,
                       raw_path=path, raw_query="", headers=[("content-type", "application/json")], body=data,
                       source_ip="127.0.0.1", path_params={})


def local_invoke(built_template: Path, runtime: str, event: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """`sam local invoke` of the built function with `event`, under SAM's own emulator: (its answer, its log)."""
    event_file = built_template.parent / f"event-{runtime}.json"
    event_file.write_text(json.dumps(event))
    proc = run_sam("local", "invoke", function_id(runtime), "--template", str(built_template),
                   "--event", str(event_file), "--skip-pull-image", cwd=built_template.parent)
    try:
        answer = json.loads(proc.stdout)
    except ValueError:
        raise KitError(f"sam local invoke {function_id(runtime)} gave no JSON answer: {_tail(proc)}") from None
    return answer, proc.stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.deploy.sam_cli", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    stage = sub.add_parser("stage", help="stage the build contexts template.yaml needs; print the sam build command")
    stage.add_argument("--base", default=AWS_BASE, help=f"the base image to build on (default {AWS_BASE})")
    sub.add_parser("validate", help="sam validate --lint template.yaml")
    args = parser.parse_args(argv)
    try:
        if args.command == "validate":
            print(validate())
            return 0
        contexts = stage_contexts(args.base)
        template = template_for(contexts, args.base, kit_home() / "sam")
    except KitError as err:
        print(err, file=sys.stderr)
        return 1
    for rt, path in contexts.items():
        print(f"{rt}: {path}")
    build = "sam build" if template == TEMPLATE else f"sam build --template {template}"
    print("next:", build, "&& sam deploy --guided" if args.base == AWS_BASE else
          "&& sam local invoke FUNCTION --skip-pull-image --event EVENT.json (this base is for local runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
