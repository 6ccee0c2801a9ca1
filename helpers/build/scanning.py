"""Vulnerability scanning of the pushed images, read from the registry's configuration and never changed by the kit.

ECR scans images according to the registry-level scanning configuration (`GetRegistryScanningConfiguration`: a scan
type, BASIC or ENHANCED, and rules of a scan frequency for repositories matching wildcard filters). Per-repository
scan-on-push (`PutImageScanningConfiguration`, `imageScanningConfiguration` on CreateRepository) is deprecated in its
favour ("The PutImageScanningConfiguration API is being deprecated, in favor of specifying the image scanning
configuration at the registry level": boto3 ECR reference, put_image_scanning_configuration). The registry
configuration applies to the learner's whole account, so the kit only reads it: when it scans the kit's repository
the findings are shown (DescribeImageScanFindings), otherwise one sentence says how to turn it on.
Rules: ECR API reference, RegistryScanningRule (BASIC supports SCAN_ON_PUSH; without a matching rule, MANUAL).
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

from helpers.core.config import KitConfig

TURN_ON = ("to scan on push, an account administrator turns it on for the whole account in the ECR console "
           "(Private registry, Settings, Scanning: a scan-on-push filter matching {repo}); the kit never changes it")


@dataclass(frozen=True)
class ScanSummary:
    """How the registry scans the kit's repository, and what the scan of one image found."""

    scan_type: str  # BASIC | ENHANCED
    frequency: str  # SCAN_ON_PUSH | CONTINUOUS_SCAN | MANUAL (for the kit's repository)
    status: str  # the image's scan status (COMPLETE, IN_PROGRESS, ...) or "not scanned"
    findings: dict[str, int] = field(default_factory=dict)  # severity -> count

    def sentence(self, repository: str) -> str:
        """One line for the notebook."""
        if self.frequency == "MANUAL":
            return f"{repository}: not scanned ({self.scan_type} scanning, no rule for this repository); " + \
                TURN_ON.format(repo=repository) + "."
        counts = ", ".join(f"{n} {s}" for s, n in sorted(self.findings.items())) or "no findings"
        return f"{repository}: {self.scan_type} scanning, {self.frequency}; last scan {self.status}: {counts}."


def repository_frequency(configuration: dict[str, Any], repository: str) -> str:
    """The scan frequency the registry's rules give `repository` (MANUAL when no rule's wildcard filter matches)."""
    for rule in configuration.get("rules", []):
        if any(f.get("filterType", "WILDCARD") == "WILDCARD" and fnmatch.fnmatchcase(repository, f["filter"])
               for f in rule.get("repositoryFilters", [])):
            return str(rule["scanFrequency"])
    return "MANUAL"


def scan_summary(cfg: KitConfig, repository: str, tag: str) -> ScanSummary:
    """Read the registry's scanning configuration and, when it scans `repository`, the findings for `tag`."""
    from helpers.aws import aws_errors, client

    ecr = client("ecr", cfg)
    with aws_errors():
        conf = ecr.get_registry_scanning_configuration()["scanningConfiguration"]
        scan_type, frequency = str(conf.get("scanType", "BASIC")), repository_frequency(conf, repository)
        if frequency == "MANUAL":
            return ScanSummary(scan_type, frequency, "not scanned")
        try:
            found = ecr.describe_image_scan_findings(repositoryName=repository, imageId={"imageTag": tag})
        except ecr.exceptions.ScanNotFoundException:
            return ScanSummary(scan_type, frequency, "not scanned yet")
    counts = found.get("imageScanFindings", {}).get("findingSeverityCounts", {})
    return ScanSummary(scan_type, frequency, str(found.get("imageScanStatus", {}).get("status", "?")), dict(counts))
