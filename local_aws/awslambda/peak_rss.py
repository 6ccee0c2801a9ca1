"""Max Memory Used, as Lambda measures it: an instance's peak resident memory during an invocation, and the
memory limit enforced (past it the instance is killed: Runtime.OutOfMemory)."""
from __future__ import annotations

import threading
import time

from local_aws.awslambda.launchers import Instance


class PeakRss:
    """Samples an instance's RSS while it works (start() to finish(), and every `interval` in between); past
    `limit_bytes` (if given) it kills the instance, as Lambda does. One shared thread samples every running call."""

    _running: set["PeakRss"] = set()
    _wake = threading.Condition()
    _thread: threading.Thread | None = None

    def __init__(self, inst: Instance, limit_bytes: int | None = None, interval: float = 0.01) -> None:
        self.inst, self.limit, self.interval = inst, limit_bytes, interval
        self.peak = 0
        self.out_of_memory = False

    def sample(self) -> None:
        """Take one sample now (and kill the instance if it is over its limit)."""
        if self.out_of_memory:
            return
        self.peak = max(self.peak, self.inst.rss_bytes())
        if self.limit is not None and self.peak > self.limit:
            self.out_of_memory = True
            self.inst.stop()

    def start(self) -> None:
        """Sample now, then keep sampling until finish()."""
        self.sample()
        with PeakRss._wake:
            PeakRss._running.add(self)
            if PeakRss._thread is None:
                PeakRss._thread = threading.Thread(target=PeakRss._sampler, daemon=True)
                PeakRss._thread.start()
            PeakRss._wake.notify()

    def finish(self) -> int:
        """Stop sampling (after a last sample); the peak RSS in bytes."""
        with PeakRss._wake:
            PeakRss._running.discard(self)
        self.sample()
        return self.peak

    @staticmethod
    def _sampler() -> None:
        while True:
            with PeakRss._wake:
                while not PeakRss._running:
                    PeakRss._wake.wait()
                running = list(PeakRss._running)
            for sampler in running:
                sampler.sample()
            time.sleep(min(s.interval for s in running))
