"""The plain terminal command behind a helper's step: `aws` CLI calls built from the same API parameters the helper
sends (so a test can compare them), `docker` and `curl` lines, rendered ready to paste.

The AWS CLI names each operation and parameter by the API's name in kebab case (`CreateFunction` ->
`create-function`, `ImageUri` -> `--image-uri`), takes a structure or a list of structures as JSON, a list of
strings as separate words, and a boolean as `--flag` / `--no-flag` ("Using the AWS CLI: specifying parameter
values", docs.aws.amazon.com/cli/latest/userguide/cli-usage-parameters.html).
"""
from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from botocore import xform_name

LINE = 110  # wrap a long command with `\` continuations past this width


@dataclass(frozen=True)
class Command:
    """One terminal command: `argv` (words), an optional comment above it, and for an `aws` call the service,
    operation and API parameters it sends; `capture` assigns what `--query` selects to a shell variable;
    `pipe` is a second command that reads this one's output."""

    argv: tuple[str, ...]
    comment: str = ""
    service: str = ""
    operation: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    capture: str = ""
    pipe: tuple[str, ...] = ()

    def shell(self) -> str:
        """The command as one paste-ready shell line (or a few, joined by `\\`), its comment above it."""
        words = [quote(w) for w in self.argv]
        if self.pipe:
            words += ["|", *(quote(w) for w in self.pipe)]
        text = _wrap(words)
        if self.capture:
            text = f"{self.capture}=$({text})"
        return f"# {self.comment}\n{text}" if self.comment else text


def quote(word: str) -> str:
    """Quote a word for the shell; a word holding `${VAR}` is double-quoted so the variable expands."""
    if "${" not in word:
        return shlex.quote(word)
    escaped = re.sub(r'(["\\`])', r"\\\1", word)
    escaped = re.sub(r"\$(?!\{)", r"\\$", escaped)  # a literal `$` (e.g. `$default`) stays literal
    return f'"{escaped}"'


def _wrap(words: list[str]) -> str:
    lines, current = [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > LINE and word.startswith("--"):
            lines.append(current)
            current = "  " + word
        else:
            current = f"{current} {word}" if current else word
    return " \\\n".join(lines + [current])


def _cli_value(name: str, value: Any) -> list[str]:
    option = "--" + xform_name(name, "-")
    if isinstance(value, bool):
        return [option if value else "--no-" + option[2:]]
    if isinstance(value, (dict, list)) and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return [option, json.dumps(value)]
    if isinstance(value, list):
        return [option, *value]
    return [option, str(value)]


def aws_command(service: str, operation: str, params: dict[str, Any], comment: str = "", capture: str = "",
                query: str = "") -> Command:
    """The `aws SERVICE OPERATION --param value ...` line that sends `params` (the API's parameter names) to
    `operation`; with `capture`, `VAR=$(aws ... --query QUERY --output text)`."""
    argv = ["aws", service, xform_name(operation, "-")]
    for name, value in params.items():
        argv += _cli_value(name, value)
    if query:
        argv += ["--query", query, "--output", "text"]
    return Command(tuple(argv), comment, service, operation, dict(params), capture)


def script(commands: list[Command]) -> str:
    """Commands as a script body, one blank line between them."""
    return "\n\n".join(c.shell() for c in commands) + "\n"


def show(commands: list[Command]) -> None:
    """Print the commands the way a terminal takes them (what a notebook shows beside a step)."""
    print(script(commands), end="")
