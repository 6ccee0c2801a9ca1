"""Reading lambda_app/Dockerfile and .dockerignore: steps (dockerfile-parse), `${VAR}` expansion, ignore rules
(the Docker SDK's own matcher, so staging skips exactly what `docker build` skips)."""
from __future__ import annotations

import io
import re

from docker.utils.build import PatternMatcher
from dockerfile_parse import DockerfileParser


def parse_dockerfile(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and `\\` continuations joined."""
    parser = DockerfileParser(fileobj=io.BytesIO(text.encode()))
    return [(s["instruction"].upper(), s["value"].strip()) for s in parser.structure if s["instruction"] != "COMMENT"]


def expand(s: str, env: dict[str, str]) -> str:
    """`${NAME}` and `$NAME` replaced from `env` (unknown names become empty, as in a Dockerfile)."""
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: env.get(m.group(1) or m.group(2), ""), s)


def ignore_rules(text: str) -> PatternMatcher:
    """The .dockerignore rules of `text` (comments and blank lines skipped), as Docker applies them."""
    return PatternMatcher([ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")])


def is_ignored(rel_path: str, rules: PatternMatcher) -> bool:
    """Whether a context-relative posix path is excluded by the .dockerignore rules."""
    return bool(rules.matches(rel_path))
