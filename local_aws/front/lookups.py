"""Control-plane lookups of the local stack (APIs, routes, integrations, stages, policies, function settings),
cached until the control plane changes: the front endpoint calls `changed()` around every request that may
modify state, so a request served after a change always sees it, and the hot path makes no API calls."""
from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
MAX_ENTRIES = 10_000
_READS = ("Describe", "List", "Get", "BatchGet", "Filter")  # JSON-protocol operations that only read
_UNCACHED_SERVICES = {"logs"}  # nothing cached depends on them (function logs are written on every invoke)


def may_change_state(method: str, service: str | None, target: str | None) -> bool:
    """Whether a request to the emulated control plane may change what is cached (conservative: when unsure, yes).

    REST services (Lambda, API Gateway) read with GET; JSON-protocol ones (ECR) POST everything and name the
    operation in X-Amz-Target; query-protocol ones (IAM, STS) POST everything and count as changes.
    """
    if method in ("GET", "HEAD", "OPTIONS") or service in _UNCACHED_SERVICES:
        return False
    if target:
        return not target.rsplit(".", 1)[-1].startswith(_READS)
    return True


class Lookups:
    """A memo of control-plane lookups, emptied by `changed()`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version = 0
        self._entries: dict[Hashable, Any] = {}

    @property
    def version(self) -> int:
        """Counts the changes so far."""
        return self._version

    def changed(self) -> None:
        """The control plane changed (or may have): forget everything."""
        with self._lock:
            self._version += 1
            self._entries.clear()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value for `key`, else `compute()` (cached unless the control plane changed meanwhile;
        an exception is not cached)."""
        with self._lock:
            version = self._version
            if key in self._entries:
                return self._entries[key]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            if self._version == version:
                if len(self._entries) >= MAX_ENTRIES:  # e.g. a scanner trying API ids: stay bounded
                    self._entries.clear()
                self._entries[key] = value
        return value
