"""Lambda's concurrency for the local Lambda: instances (Lambda's execution environments) per function, scaled and
capped like Lambda.

A function gets one instance per concurrent invocation: a free warm one if there is one, else a new (cold)
one. It may run at most its reserved concurrency (PutFunctionConcurrency) at once; functions without a
reservation share the account's limit minus every reservation (KIT_LOCAL_ACCOUNT_CONCURRENCY, default 1,000:
Lambda's default quota; new accounts get less). Past a limit the invocation is throttled: Lambda's Invoke answers
429 TooManyRequestsException. Idle instances stay warm until the configuration changes or they idle too long.
Reservations are known from the functions invoked so far (a function never invoked reserves nothing here).
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from helpers.core.errors import KitError

if TYPE_CHECKING:
    from local_aws.awslambda.launchers import Instance

DEFAULT_ACCOUNT_CONCURRENCY = 1000  # Lambda quotas: "Concurrent executions: 1,000" (default, per Region)
RESERVED_LIMIT = "ReservedFunctionConcurrentInvocationLimitExceeded"
ACCOUNT_LIMIT = "ConcurrentInvocationLimitExceeded"


class Throttled(Exception):
    """Lambda refused the invocation for lack of concurrency (TooManyRequestsException, `reason` says which)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def account_concurrency() -> int:
    """KIT_LOCAL_ACCOUNT_CONCURRENCY: the emulated account's concurrent executions quota (default 1,000)."""
    value = os.environ.get("KIT_LOCAL_ACCOUNT_CONCURRENCY", str(DEFAULT_ACCOUNT_CONCURRENCY))
    if not value.isdigit() or int(value) < 1:
        raise KitError(f"KIT_LOCAL_ACCOUNT_CONCURRENCY={value!r} is not a positive whole number: set it like 10 "
                       "(a new account) or 1000 (Lambda's default quota), or unset it.")
    return int(value)


@dataclass(eq=False)
class InstanceSlot:
    """One instance of a function as the pool keeps it: its configuration key, log stream and (once launched)
    the running instance."""

    key: Hashable  # the configuration it runs (a FunctionSpec): another key needs another instance
    stream: str  # its CloudWatch log stream, as Lambda names one per instance
    instance: Instance | None = None
    last_used: float = field(default_factory=time.monotonic)


@dataclass
class _Function:
    key: Hashable | None = None  # the newest configuration invoked
    reserved: int | None = None
    idle: list[InstanceSlot] = field(default_factory=list)
    busy: set[InstanceSlot] = field(default_factory=set)


class InstancePool:
    """Every function's instances: which one an invocation gets, and whether it may run at all."""

    def __init__(self, account_limit: int = DEFAULT_ACCOUNT_CONCURRENCY) -> None:
        self.account_limit = account_limit
        self._fns: dict[str, _Function] = {}
        self._lock = threading.Lock()

    def acquire(self, arn: str, key: Hashable, reserved: int | None,
                new_stream: Callable[[], str]) -> tuple[InstanceSlot, list[Instance]]:
        """A slot for one invocation (a warm instance if one is free, else a new slot with no instance yet) and
        the outdated instances for the caller to stop; raises Throttled past the limits."""
        with self._lock:
            fn = self._fns.setdefault(arn, _Function())
            fn.reserved = reserved
            self._check(fn)
            retired: list[InstanceSlot] = []
            if fn.key != key:
                retired, fn.idle, fn.key = fn.idle, [], key
            slot = fn.idle.pop() if fn.idle else InstanceSlot(key, new_stream())  # the most recently used first
            fn.busy.add(slot)
        return slot, [e.instance for e in retired if e.instance is not None]

    def _check(self, fn: _Function) -> None:
        if fn.reserved is not None:
            if len(fn.busy) >= fn.reserved:
                raise Throttled(RESERVED_LIMIT)
            return
        reserved = sum(f.reserved for f in self._fns.values() if f.reserved is not None)
        unreserved_busy = sum(len(f.busy) for f in self._fns.values() if f.reserved is None)
        if unreserved_busy >= self.account_limit - reserved:
            raise Throttled(ACCOUNT_LIMIT)

    def release(self, arn: str, slot: InstanceSlot, keep: bool) -> Instance | None:
        """Return `slot` after its invocation: kept warm if `keep` and still current, else its instance to stop."""
        with self._lock:
            fn = self._fns[arn]
            fn.busy.discard(slot)
            slot.last_used = time.monotonic()
            if keep and slot.instance is not None and slot.key == fn.key:
                fn.idle.append(slot)
                return None
        return slot.instance

    def busy(self) -> bool:
        """True while any invocation runs."""
        with self._lock:
            return any(fn.busy for fn in self._fns.values())

    def counts(self, arn: str) -> tuple[int, int]:
        """(busy, idle) instances of one function."""
        with self._lock:
            fn = self._fns.get(arn) or _Function()
            return len(fn.busy), len(fn.idle)

    def idle_longer_than(self, seconds: float) -> list[Instance]:
        """Take out the instances idle for more than `seconds`; their instances, for the caller to stop."""
        cutoff, out = time.monotonic() - seconds, []
        with self._lock:
            for fn in self._fns.values():
                out += [e.instance for e in fn.idle if e.last_used < cutoff and e.instance is not None]
                fn.idle = [e for e in fn.idle if e.last_used >= cutoff]
        return out

    def drain(self) -> list[Instance]:
        """Take out every instance (shutdown): all instances, busy ones included; none is kept afterwards."""
        out = []
        with self._lock:
            for fn in self._fns.values():
                out += [e.instance for e in [*fn.idle, *fn.busy] if e.instance is not None]
                fn.idle, fn.key = [], None
        return out
