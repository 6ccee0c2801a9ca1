"""The plain commands behind 02's steps: `docker build` as builder.py asks the engine, the ECR repository as ecr.py
creates it, and the login, tag and push of an engine push (tests/test_cli_commands.py compares them).

The login is ECR's documented one: `aws ecr get-login-password --region REGION | docker login --username AWS
--password-stdin ACCOUNT.dkr.ecr.REGION.amazonaws.com` ("Pushing a Docker image to an Amazon ECR private
repository", docs.aws.amazon.com/AmazonECR/latest/userguide/docker-push-ecr-image.html); the password is ECR's
authorization token, "valid for 12 hours" (`aws ecr get-login-password`,
docs.aws.amazon.com/cli/latest/reference/ecr/get-login-password.html).
"""
from __future__ import annotations

import json

from helpers.build.base_image import AWS_BASE
from helpers.build.ecr import REPOSITORY, PushedImage
from helpers.build.image_spec import IMAGE_NAME, MODEL_LABEL, PLATFORMS, BuiltImage
from helpers.build.registry import lambda_pull_statement
from helpers.core.config import KitConfig
from helpers.core.paths import shown_path
from helpers.core.shell_commands import Command, aws_command

ECR_HOST = "{account}.dkr.ecr.{region}.amazonaws.com"


def build_command(runtime: str, arch: str, version: str, base_image: str, context: str) -> Command:
    """`docker build` for one runtime: the arguments builder.build_with_engine gives the engine."""
    argv = ("docker", "build", "--platform", PLATFORMS[arch], "--build-arg", f"BASE_IMAGE={base_image}",
            "--build-arg", f"RUNTIME={runtime}", "--label", f"{MODEL_LABEL}={version}",
            "--tag", f"{IMAGE_NAME}:{runtime}-{version}", "--file", f"{context}/Dockerfile", context)
    return Command(argv, f"build the {runtime} image for {arch} from the staged build context")


def repository_commands(cfg: KitConfig, account: str) -> list[Command]:
    """Create the repository (tagged; scanning follows the registry's configuration) and let Lambda pull from it for the kit's functions only."""
    name = cfg.name(REPOSITORY)
    arn = f"arn:aws:ecr:{cfg.region}:{account}:repository/{name}"
    policy = {"Version": "2012-10-17", "Statement": [lambda_pull_statement(cfg, arn)]}
    return [
        aws_command("ecr", "CreateRepository", {
            "repositoryName": name, "imageTagMutability": "MUTABLE",
            "tags": [{"Key": k, "Value": v} for k, v in sorted(cfg.tags.items())]},
            "the image repository (scanned as the registry's scanning configuration says)"),
        aws_command("ecr", "SetRepositoryPolicy", {"repositoryName": name, "policyText": json.dumps(policy)},
                    "Lambda may pull its images, for the kit's functions only"),
    ]


def push_commands(region: str, image_uri: str, runtime: str, version: str) -> list[Command]:
    """Log docker in to the registry of `image_uri` (REPO:TAG), tag the local image with it, push it."""
    host = image_uri.split("/", 1)[0]
    login = Command(("aws", "ecr", "get-login-password", "--region", region),
                    "log docker in to the registry (the password is valid 12 hours)",
                    pipe=("docker", "login", "--username", "AWS", "--password-stdin", host))
    local = f"{IMAGE_NAME}:{runtime}-{version}"
    return [login,
            Command(("docker", "tag", local, image_uri), "name the built image after the repository"),
            Command(("docker", "push", image_uri), "upload its layers and manifest")]


def image_uri(cfg: KitConfig, account: str, runtime: str, version: str) -> str:
    """The URI of a pushed image, `ACCOUNT.dkr.ecr.REGION.amazonaws.com/PREFIX-translator:RUNTIME-VERSION`."""
    return f"{ECR_HOST.format(account=account, region=cfg.region)}/{cfg.name(REPOSITORY)}:{runtime}-{version}"


def for_built(built: dict[str, BuiltImage]) -> list[Command]:
    """`docker build` for each built runtime, on AWS's base (what a terminal with network access builds on)."""
    return [build_command(rt, b.staged.arch, b.staged.version, AWS_BASE, _shell_path(b.staged.context))
            for rt, b in built.items()]


def _shell_path(path: str) -> str:
    """The path as 02 shows it (no home folder), with `$KIT_HOME` written so the shell expands it."""
    return shown_path(path).replace("$KIT_HOME", "${KIT_HOME}")


def for_push(cfg: KitConfig, pushed: dict[str, PushedImage]) -> list[Command]:
    """The repository, one login, and the tag and push of each pushed image."""
    first = next(iter(pushed.values()))
    account = first.uri.split(".", 1)[0]
    out = repository_commands(cfg, account) + push_commands(cfg.region, first.uri, first.runtime, _version(first))
    for p in list(pushed.values())[1:]:
        out += push_commands(cfg.region, p.uri, p.runtime, _version(p))[1:]  # logged in already
    return out


def _version(pushed: PushedImage) -> str:
    return pushed.uri.rsplit(":", 1)[1].split("-", 1)[1]
