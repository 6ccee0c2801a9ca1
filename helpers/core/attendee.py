"""Who is running the kit, in resource names: the prefix from the caller's identity (a workshop's shared account).

On `aws` the prefix comes from the STS caller identity (`GetCallerIdentity`, which needs no permission): the IAM user
name, or an assumed role's session name (SSO: usually the e-mail address), made name-safe. Two callers never get
the same prefix silently: IAM user names are unique regardless of case, so lowercasing a name made of letters,
digits and '-' is one-to-one; any other change (characters replaced, the name cut to 20) appends a hash of the
original name. `KIT_PREFIX` overrides it; then the `kit-attendee` tag on what already exists catches a clash
(`owner_clash`).
"""
from __future__ import annotations

import hashlib
import re

PREFIX_RE = re.compile(r"[a-z][a-z0-9-]{1,19}")
MAX_PREFIX = 20
ATTENDEE_TAG = "kit-attendee"


def identity_name(arn: str) -> str:
    """The caller's name in an STS caller-identity ARN: the user name, the role session name, or `root`."""
    resource = arn.split(":", 5)[-1]
    if resource == "root":
        return "root"
    kind, _, rest = resource.partition("/")
    if kind == "assumed-role":  # assumed-role/ROLE/SESSION
        return rest.split("/", 1)[-1]
    return rest.rsplit("/", 1)[-1]  # user/PATH/NAME, federated-user/NAME


def name_safe(name: str) -> str:
    """A prefix for this identity name: 2-20 lowercase letters, digits or '-', starting with a letter; distinct
    names give distinct prefixes (a lossy change appends 6 hex digits of the original name's SHA-256)."""
    safe = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", name.lower())).strip("-")
    if not safe[:1].isalpha():
        safe = f"u-{safe}".rstrip("-")
    lossless = safe == name.lower() and PREFIX_RE.fullmatch(safe) is not None
    if lossless:
        return safe
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{safe[:MAX_PREFIX - 7].rstrip('-')}-{digest}"


def owner_clash(tags: dict[str, str], prefix: str, attendee: str | None) -> str | None:
    """One sentence when a resource named with `prefix` belongs to another attendee (its `kit-attendee` tag), else
    None (also for resources without the tag: made before attendees were tagged)."""
    owner = tags.get(ATTENDEE_TAG)
    if attendee is None or owner is None or owner == attendee:
        return None
    return (f"The prefix {prefix!r} is already used by {owner!r} (you are {attendee!r}): unset KIT_PREFIX (the prefix "
            "then comes from your identity) or choose another, then re-run.")
