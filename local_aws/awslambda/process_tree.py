"""An execution environment's processes as this machine sees them: alive or not, and their resident memory.

Finding a process's descendants scans every process on the machine (milliseconds), so they are looked up again at
most every RESCAN_S; between scans, the known ones are read (microseconds). No container engine call is made.
"""
from __future__ import annotations

import time

import psutil

RESCAN_S = 0.5  # how often a new process in the tree (the runtime, started on the first invocation) is looked for


class ProcessTree:
    """A root process and its descendants."""

    def __init__(self, root: psutil.Process, include_root: bool) -> None:
        self.root, self._include_root = root, include_root
        self._kids: list[psutil.Process] = []
        self._kids_at = 0.0

    def alive(self) -> bool:
        """The root still runs (a zombie does not)."""
        try:
            return self.root.is_running() and self.root.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    def rss_bytes(self) -> int:
        """Resident memory of the tree (of the root's descendants only, unless include_root)."""
        try:
            if not self._kids or time.monotonic() - self._kids_at > RESCAN_S:
                self._kids, self._kids_at = self.root.children(recursive=True), time.monotonic()
            family = [self.root, *self._kids] if self._include_root else self._kids
            return sum(p.memory_info().rss for p in family)
        except psutil.Error:  # one exited: look again next time
            self._kids = []
            return 0
