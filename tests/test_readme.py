"""The README is the learner's way in: short (under 2,000 words), the learner's commands on its first screen, and no
number in it that nothing backs. Every number is either written inside a marker that names its source,
`<!--n:KEY-->VALUE<!--/n-->`, and equals what that source says now (the benchmark's JSON, a committed notebook's
output or its own timing records, the reference's platform table), or is part of a name (a notebook, a Python or
Windows version). When the notebooks are re-executed or the benchmark re-run, this test names each number to update.
"""
from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable

import nbformat
import pytest

from helpers.core.paths import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()
REFERENCE = (REPO_ROOT / "docs" / "REFERENCE.md").read_text()
MARKER = re.compile(r"<!--n:([^>]+?)-->(.*?)<!--/n-->")
NUMBER = re.compile(r"(?<![\w.$-])\d[\d.,]*(?![\w])")
NAMES = ("Python 3.11, 3.12 or 3.13", "Python 3.11–3.13", "Windows 10/11", "python:3.12")  # versions, not numbers
FIRST_SCREEN_LINES = 30


def notebook_seconds(name: str) -> float:
    """Seconds the committed notebook's cells ran, from the execution records nbclient keeps in its metadata."""
    def at(stamp: str) -> datetime.datetime:
        return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))

    nb = nbformat.read(REPO_ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    records = [c.metadata["execution"] for c in nb.cells if c.cell_type == "code" and c.metadata.get("execution")]
    assert records, f"{name} has no execution records: execute it (nbclient, `bash kit run`) before committing"
    return sum((at(r["iopub.status.idle"]) - at(r["iopub.execute_input"])).total_seconds() for r in records)


def duration(seconds: float) -> str:
    """How the README writes a duration: seconds under a minute and a half, else whole minutes."""
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def notebook_output(name: str, pattern: str) -> str:
    """Group 1 of `pattern` in the committed notebook's text outputs."""
    nb = nbformat.read(REPO_ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    found = re.search(pattern, text)
    assert found, f"no {pattern!r} in {name}'s outputs"
    return found.group(1)


def reference_table(row_start: str) -> str:
    """The download size (GB) in the reference's platform table row that starts with `row_start`."""
    row = next(line for line in REFERENCE.splitlines() if line.startswith(f"| {row_start}"))
    return re.search(r"≈ ([\d.]+) GB /", row).group(1)  # type: ignore[union-attr]


def benchmark(key: str) -> str:
    runtime, metric = key.split(".")
    report = json.loads((REPO_ROOT / "benchmarks" / "results" / "latest.json").read_text())
    return str(report["metrics"][runtime][metric])


SOURCES: dict[str, Callable[[str], str]] = {
    "time": lambda name: duration(notebook_seconds(name)),
    "bench": benchmark,
    "tutorial_usd": lambda _: notebook_output("03_deploy_lambda", r"a tutorial's month \(1,000 requests\): (\$[\d.]+)"),
    "worst_usd": lambda _: notebook_output("03_deploy_lambda", r"\ntotal\s+[\d.]+\s+([\d.]+)"),
    "dev_count": lambda _: notebook_output("01_train", r"dev set: (\d+) hand-written sentences"),
    "dev_exact": lambda _: notebook_output("01_train", r"dev set: \d+ hand-written sentences, exact match ([\d.]+)%"),
    "dev_chrf": lambda _: notebook_output("01_train", r"dev set: .*?chrF ([\d.]+)"),
    "test_exact": lambda _: notebook_output("01_train", r"test split: .*?exact match ([\d.]+)%"),
    "heldout_count": lambda _: notebook_output("01_train", r"held-out set: (\d+) hand-written sentences"),
    "heldout_exact": lambda _: notebook_output("01_train", r"held-out set: \d+ hand-written sentences, exact match ([\d.]+)%"),
    "heldout_chrf": lambda _: notebook_output("01_train", r"held-out set: .*?chrF ([\d.]+)"),
    "download_min": lambda _: reference_table("macOS"),
    "download_linux": lambda _: reference_table("Linux x86_64 / arm64, no GPU"),
    "download_max": lambda _: reference_table("Linux x86_64 with an NVIDIA GPU"),
}


def resolve(key: str) -> str:
    kind, _, arg = key.partition(":")
    return SOURCES[kind](arg)


def test_the_readme_is_under_2000_words() -> None:
    words = len(MARKER.sub(r"\2", README).split())
    assert words < 2000, f"README.md has {words} words: move detail to docs/REFERENCE.md"


def test_the_first_screen_is_the_learners_path() -> None:
    first = "\n".join(README.splitlines()[:FIRST_SCREEN_LINES])
    for needed in ("bash kit setup", "bash kit lab", "01_train", "02_build_image", "03_deploy_lambda", "04_cleanup"):
        assert needed in first, f"the README's first screen lacks {needed!r}"
    for internal in ("moto", "RIE", "nbval", "CI"):
        assert not re.search(rf"\b{internal}\b", first), f"the first screen talks about {internal}: move it down"


@pytest.mark.parametrize("key, shown", MARKER.findall(README))
def test_each_marked_number_is_what_its_source_says(key: str, shown: str) -> None:
    assert shown == resolve(key), f"README says {shown!r} for {key}, its source now says {resolve(key)!r}: update it"


def test_every_number_in_the_readme_is_marked() -> None:
    text = MARKER.sub("", README)
    for name in NAMES:
        text = text.replace(name, "")
    text = re.sub(r"`[^`]*`|\([^)]*\.(?:png|md|json|sh)\)", "", text)  # code and link targets are names
    text = re.sub(r"\b0[1-4]b?\b", "", text)  # notebooks: 01 ... 04, 03b
    unmarked = NUMBER.findall(text)
    assert unmarked == [], f"{unmarked}: numbers in the README without a source marker (<!--n:KEY-->VALUE<!--/n-->)"


def test_the_checks_can_fail() -> None:
    assert duration(102.7) == "2 min" and duration(4.6) == "5 s"
    assert NUMBER.findall("about 16 dollars, 0.5 GB, x86_64, 01_train, WSL2") == ["16", "0.5"]
    assert MARKER.findall("a <!--n:time:04_cleanup-->7 s<!--/n--> run") == [("time:04_cleanup", "7 s")]


@pytest.mark.parametrize("page", ["README.md", "docs/REFERENCE.md", "docs/GLOSSARY.md"])
def test_relative_links_point_at_files_that_exist(page: str) -> None:
    path = REPO_ROOT / page
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text())
    missing = [t for t in targets if "://" not in t and not (path.parent / t).exists()]
    assert missing == [], f"{page} links to files that do not exist: {missing}"
