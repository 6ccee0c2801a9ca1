"""template.yaml (issue 15): what 03 creates, as a SAM template that validates, builds and runs offline.

Without an engine: the template agrees with helpers/deploy/settings.py (and fails to on any drift), samconfig.toml
agrees with the template, `sam validate --lint` passes with no credentials and no network (and rejects a broken
copy). With an engine (`eval "$(.ci/container-services start)"`): `sam build` of the slim function on the offline
base, then `sam local invoke` of the built image under SAM's own emulator with the HTTP API's event.
"""
from __future__ import annotations

import difflib
import json
import tomllib
from pathlib import Path
from typing import Any, Callable

import docker
import pytest

from helpers.build.base_image import AWS_BASE
from helpers.build.image_spec import DOCKERFILE, base_spec
from helpers.core.errors import KitError
from helpers.core.paths import REPO_ROOT
from helpers.deploy import sam_cli
from helpers.deploy.sam_template import TEMPLATE, default_context, drift, excerpt, load_template, resources
from helpers.deploy.settings import FUNCTION_MEMORY_MB, RESERVED_CONCURRENCY

BUILD_CACHE = REPO_ROOT / ".kit" / "test-cache" / "container"  # shared with test_container_path (large wheels)
NO_AWS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE")


def cut_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every HTTP(S) request beyond this machine goes to a dead proxy, so any network use fails (SAM talks to its
    emulator on localhost)."""
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "localhost,127.0.0.1")


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS credentials anywhere: no variables, no profile, no credentials or config file."""
    for name in NO_AWS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))


@pytest.fixture
def offline(no_credentials: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS credentials and no network."""
    cut_network(monkeypatch)


# ---------------------------------------------------------------- one source of truth


def test_template_describes_what_03_creates() -> None:
    assert drift() == []


def _function(tpl: dict[str, Any], runtime: str) -> dict[str, Any]:
    return tpl["Resources"][f"Translator{runtime.capitalize()}"]


MUTATIONS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "memory": (lambda t: _function(t, "slim")["Properties"].update(MemorySize=5000), "TranslatorSlim.MemorySize"),
    "timeout": (lambda t: t["Globals"]["Function"].update(Timeout=300), "TranslatorTorch.Timeout"),
    "architecture": (lambda t: t["Globals"]["Function"].update(Architectures=["arm64"]), "Slim.Architectures"),
    "route": (lambda t: t["Resources"].pop("DemoPageRoute"), "routes:"),
    "cors": (lambda t: t["Resources"]["TranslatorApi"]["Properties"]["CorsConfiguration"].update(MaxAge=0),
             "TranslatorApi.CorsConfiguration"),
    "throttling": (lambda t: t["Resources"]["DefaultStage"]["Properties"]["DefaultRouteSettings"].update(
        ThrottlingRateLimit=50.0), "DefaultStage.DefaultRouteSettings"),
    "retention": (lambda t: t["Resources"]["TranslatorSlimLogs"]["Properties"].update(RetentionInDays=30),
                  "TranslatorSlimLogs.RetentionInDays"),
    "policy": (lambda t: t["Resources"]["TranslatorRole"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"][0].update(Resource="*"), "TranslatorRole.Policies"),
    "base image": (lambda t: _function(t, "torch")["Metadata"]["DockerBuildArgs"].update(BASE_IMAGE="python:3.8"),
                   "TranslatorTorch.Metadata"),
    "concurrency": (lambda t: t["Parameters"]["ReservedConcurrency"].update(Default=100),
                    "Parameters.ReservedConcurrency"),
    "prefix": (lambda t: t["Parameters"]["Prefix"].update(Default="ltk-sam"), "Parameters.Prefix"),
    "log group first": (lambda t: _function(t, "slim").pop("DependsOn"), "TranslatorSlim.DependsOn"),
    "extra resource": (lambda t: t["Resources"].update(Extra={"Type": "AWS::S3::Bucket"}), "resource kinds"),
}


@pytest.mark.parametrize("change", sorted(MUTATIONS))
def test_drift_names_each_difference(change: str) -> None:
    tpl = load_template()
    mutate, expected = MUTATIONS[change]
    mutate(tpl)
    found = drift(tpl)
    assert any(expected in line for line in found), found


def test_default_context_is_where_staging_puts_it(untrained_model_dir: Path, kit_home: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """template.yaml's DockerContext is the context helpers.build.staging stages for AWS's base, with its Dockerfile."""
    from helpers.build import staging

    wheels = kit_home / "fake-wheels"
    wheels.mkdir()
    (wheels / "placeholder.whl").write_text("")
    monkeypatch.setattr(staging, "download_wheelhouse", lambda *a, **k: wheels)  # the path, not the wheels
    context = Path(staging.stage_context("slim", "x86_64", untrained_model_dir, base_spec(AWS_BASE)).context)
    assert context.relative_to(kit_home) == Path(default_context("slim")).relative_to(".kit")
    meta = load_template()["Resources"]["TranslatorSlim"]["Metadata"]
    assert (context / meta["Dockerfile"]).read_text() == DOCKERFILE.read_text()


def test_excerpt_shows_one_resource() -> None:
    slim = excerpt("TranslatorSlim")
    assert slim.startswith("  TranslatorSlim:\n    Type: AWS::Serverless::Function")
    assert f"MemorySize: {FUNCTION_MEMORY_MB['slim']}" in slim and "Torch" not in slim and not slim.endswith("\n")


def test_names_stay_apart_from_the_notebooks_and_samconfig_agrees() -> None:
    tpl = load_template()
    prefix = tpl["Parameters"]["Prefix"]["Default"]
    named = [r["name"] for r in resources(tpl) if r["name"].startswith(("/", prefix))]
    assert len(named) == 6 and not [n for n in named if n.startswith(("ltk-", "/aws/lambda/ltk-"))]
    config = tomllib.loads((REPO_ROOT / "samconfig.toml").read_text())["default"]
    overrides = dict(pair.split("=", 1) for pair in config["deploy"]["parameters"]["parameter_overrides"].split())
    assert {k: v.strip('"') for k, v in overrides.items()} == {
        "Prefix": prefix, "Runtime": tpl["Parameters"]["Runtime"]["Default"],
        "ReservedConcurrency": str(RESERVED_CONCURRENCY)}
    assert config["global"]["parameters"]["stack_name"] == prefix
    assert config["deploy"]["parameters"]["capabilities"] == "CAPABILITY_NAMED_IAM"  # the role has a name


# ---------------------------------------------------------------- sam validate --lint (offline)


@pytest.mark.usefixtures("offline")
def test_sam_validate_lint_passes_offline_without_credentials() -> None:
    assert sam_cli.validate() == "template.yaml is a valid SAM Template"


@pytest.mark.usefixtures("offline")
def test_sam_validate_lint_rejects_a_broken_template(tmp_path: Path) -> None:
    broken = tmp_path / "template.yaml"
    broken.write_text(TEMPLATE.read_text().replace("RetentionInDays: 7", "RetentionInDays: 8"))
    with pytest.raises(KitError, match=r"rejects template.yaml: .*E3030.*8 is not one of"):
        sam_cli.validate(broken)


# ---------------------------------------------------------------- sam build + sam local invoke (engine)


@pytest.mark.container
@pytest.mark.usefixtures("no_credentials")
def test_sam_build_and_local_invoke_translate_the_seed(request: pytest.FixtureRequest, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from helpers.build.base_image import resolve_base_image
    from helpers.core.engine import docker_client
    from helpers.train.corpus import SEED_SENTENCE

    engine = docker_client()
    if engine is None:
        pytest.skip('no container engine answers: run `eval "$(.ci/container-services start)"` (podman + registry)')
    model = request.getfixturevalue("trained_model_dir")  # after the engine check: training takes a minute
    base = resolve_base_image(engine)  # AWS's base cannot be pulled offline: the kit's offline twin
    monkeypatch.setenv("KIT_HOME", str(BUILD_CACHE))
    contexts = sam_cli.stage_contexts(base, ("slim",), model=model)  # wheels: from the package index
    cut_network(monkeypatch)  # from here on, nothing may leave this machine
    variant = sam_cli.template_for(contexts, base, tmp_path / "sam")
    changed = [line for line in difflib.ndiff(TEMPLATE.read_text().splitlines(), variant.read_text().splitlines())
               if line[:2] in ("- ", "+ ")]
    assert changed and all(line.split(":")[0].strip("-+ ") in ("DockerContext", "BASE_IMAGE") for line in changed)
    refs = sam_cli.image_refs("slim")
    try:
        built = sam_cli.sam_build(variant, "slim", tmp_path / "sam" / "build")
        event = sam_cli.http_event("POST", "/translate", {"sentence": SEED_SENTENCE[0]})
        answer, log = sam_cli.local_invoke(built, "slim", event)
        left = [c.name for c in engine.containers.list(all=True)
                if {t.removeprefix("docker.io/library/") for t in c.image.tags} & set(refs)]
    finally:
        for ref in refs:
            try:
                engine.images.remove(ref, force=True)
            except docker.errors.NotFound:  # not built (the build failed): nothing to remove
                pass
    assert answer["statusCode"] == 200, answer
    assert json.loads(answer["body"])["en"] == SEED_SENTENCE[1]
    assert "REPORT RequestId" in log
    assert left == []  # SAM removed its emulator container
