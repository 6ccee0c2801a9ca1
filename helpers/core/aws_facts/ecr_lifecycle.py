"""ECR lifecycle policies as ECR validates and applies them; moto only stores them.

The semantics (ECR User Guide, "How lifecycle policies work" and "Lifecycle policy properties"):
- rules are evaluated from the lowest `rulePriority`; an image that matches the tagging requirements of a rule
  cannot be expired by a rule with a lower priority (a higher number), whether or not that rule expires it;
- `tagStatus`: `tagged` (with `tagPatternList` or `tagPrefixList`: the image must match *all* of them),
  `untagged` (no list), or `any`, which only the rule with the highest `rulePriority` may use;
- `imageCountMoreThan` N keeps the N most recently pushed matching images and expires the rest;
  `sinceImagePushed` N (days) expires matching images pushed more than N days ago;
- ECR applies a policy by itself, within 24 hours of an image meeting it. The emulator applies it when its
  clock is advanced (local_aws.ecr.lifecycle_clock), so a notebook can show which images expire; 04 previews it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class Verdict:
    """What a lifecycle policy does to one image: expires it or not, and which rule decided."""

    tags: tuple[str, ...]
    digest: str
    pushed_at: datetime
    size_mb: float
    expires: bool
    rule: int | None  # priority of the rule whose tag selection claimed the image (None: no rule matched)
    reason: str


def _pattern(p: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if ch == "*" else re.escape(ch) for ch in p) + r"\Z")


def tag_selected(selection: dict[str, Any], tags: list[str]) -> bool:
    """Whether an image with these tags meets a rule's tagging requirements."""
    status = selection.get("tagStatus")
    if status == "any":
        return True
    if status == "untagged":
        return not tags
    if not tags:
        return False
    patterns = [_pattern(p) for p in selection.get("tagPatternList", [])]
    prefixes = selection.get("tagPrefixList", [])
    return (all(any(p.match(t) for t in tags) for p in patterns)
            and all(any(t.startswith(pre) for t in tags) for pre in prefixes))


def validate_policy(policy: dict[str, Any]) -> list[str]:
    """What ECR would refuse in this policy (empty when it is valid)."""
    problems, rules = [], policy.get("rules") or []
    if not rules:
        return ["a lifecycle policy needs at least one rule"]
    priorities = [r.get("rulePriority") for r in rules]
    if len(set(priorities)) != len(priorities):
        problems.append("every rule needs its own rulePriority")
    anys = [r for r in rules if r.get("selection", {}).get("tagStatus") == "any"]
    if len(anys) > 1 or (anys and anys[0].get("rulePriority") != max(p or 0 for p in priorities)):
        problems.append("a rule with tagStatus 'any' must be the only one and have the highest rulePriority")
    for r in rules:
        sel = r.get("selection", {})
        lists = [*sel.get("tagPatternList", []), *sel.get("tagPrefixList", [])]
        if sel.get("tagStatus") == "tagged" and not lists:
            problems.append(f"rule {r.get('rulePriority')}: tagStatus 'tagged' needs a tagPatternList or tagPrefixList")
        if sel.get("tagStatus") in ("untagged", "any") and lists:
            problems.append(f"rule {r.get('rulePriority')}: tag lists are only allowed with tagStatus 'tagged'")
        if sel.get("tagPatternList") and sel.get("tagPrefixList"):
            problems.append(f"rule {r.get('rulePriority')}: use tagPatternList or tagPrefixList, not both")
        if any(p.count("*") > 4 for p in sel.get("tagPatternList", [])):
            problems.append(f"rule {r.get('rulePriority')}: at most four wildcards (*) per tag pattern")
        if sel.get("countType") == "sinceImagePushed" and sel.get("countUnit") != "days":
            problems.append(f"rule {r.get('rulePriority')}: sinceImagePushed counts in countUnit 'days'")
        if not isinstance(sel.get("countNumber"), int) or sel["countNumber"] < 1:
            problems.append(f"rule {r.get('rulePriority')}: countNumber must be a whole number of at least 1")
    return problems


def evaluate_policy(policy: dict[str, Any], images: list[dict[str, Any]], now: datetime) -> list[Verdict]:
    """Apply ECR's lifecycle semantics to `images` (describe_images details) as of `now`; oldest image first."""
    decided: dict[str, tuple[int, bool, str]] = {}
    for rule in sorted(policy["rules"], key=lambda r: r["rulePriority"]):
        sel, prio = rule["selection"], rule["rulePriority"]
        matched = [i for i in images if i["imageDigest"] not in decided and tag_selected(sel, i.get("imageTags", []))]
        matched.sort(key=lambda i: i["imagePushedAt"], reverse=True)  # newest first
        what = " ".join(sel.get("tagPatternList") or sel.get("tagPrefixList") or [sel["tagStatus"]])
        for n, image in enumerate(matched):
            if sel["countType"] == "imageCountMoreThan":
                expires = n >= sel["countNumber"]
                why = f"{'beyond' if expires else 'among'} the newest {sel['countNumber']} {what} images"
            else:
                expires = now - image["imagePushedAt"] > timedelta(days=sel["countNumber"])
                why = f"{what}, pushed {'more' if expires else 'less'} than {sel['countNumber']} day(s) ago"
            decided[image["imageDigest"]] = (prio, expires, why)
    verdicts = []
    for i in sorted(images, key=lambda i: i["imagePushedAt"]):
        prio, expires, why = decided.get(i["imageDigest"], (None, False, "no rule selects it"))
        verdicts.append(Verdict(tuple(i.get("imageTags", [])), i["imageDigest"], i["imagePushedAt"],
                                round(i.get("imageSizeInBytes", 0) / 1e6, 1), expires, prio,
                                f"{'expires' if expires else 'kept'}: {why}"))
    return verdicts
