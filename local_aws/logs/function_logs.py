"""A function's log records into the emulated CloudWatch Logs, as Lambda writes them: /aws/lambda/NAME, one
stream per execution environment, written in the background (in order, a burst batched per stream) so an
invocation never waits for them."""
from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from itertools import groupby
from typing import Any

BATCH_SECONDS = 0.1


class FunctionLogs:
    """Appends invocation logs to /aws/lambda/NAME; `flush()` waits until every record so far is written."""

    def __init__(self, logs_client: Callable[[str], Any]) -> None:
        """`logs_client(region)` gives a CloudWatch Logs client."""
        self._logs_client = logs_client
        self._streams: set[tuple[str, str, str]] = set()  # log streams known to exist
        self._queue: queue.Queue[tuple[str, str, str, str, int]] = queue.Queue()
        threading.Thread(target=self._writer, daemon=True).start()

    def put(self, region: str, function_name: str, stream: str, log: str) -> None:
        """Queue one invocation's records (START ... REPORT) for the function's log group."""
        self._queue.put((region, function_name, stream, log, int(time.time() * 1000)))

    def flush(self) -> None:
        """Wait until every queued record is in the emulated CloudWatch Logs."""
        self._queue.join()

    def _writer(self) -> None:
        while True:
            batch = [self._queue.get()]
            time.sleep(BATCH_SECONDS)  # let a burst of invocations share one PutLogEvents per stream
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            for (region, name, stream), items in groupby(batch, key=lambda item: item[:3]):
                events = [{"timestamp": ts, "message": line} for *_, log, ts in items
                          for line in log.rstrip("\n").split("\n")]
                try:
                    self.write(region, name, stream, events)
                except Exception as e:  # noqa: BLE001 - a lost record must not stop the writer
                    print(f"could not write the logs of {name}: {e!r}", flush=True)
            for _ in batch:
                self._queue.task_done()

    def write(self, region: str, function_name: str, stream: str, events: list[dict[str, Any]]) -> None:
        """Append log events to /aws/lambda/NAME now, creating the group and stream when missing (or deleted)."""
        logs = self._logs_client(region)
        group = f"/aws/lambda/{function_name}"
        key = (region, group, stream)
        if key in self._streams:
            try:
                logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
                return
            except logs.exceptions.ResourceNotFoundException:  # deleted meanwhile (e.g. by 04_cleanup)
                self._streams.discard(key)
        append_log_events(logs, group, stream, events)
        self._streams.add(key)


def append_log_events(logs: Any, group: str, stream: str, events: list[dict[str, Any]]) -> None:
    """PutLogEvents into `group`/`stream`, creating the group and the stream first when they do not exist."""
    for create in (lambda: logs.create_log_group(logGroupName=group),
                   lambda: logs.create_log_stream(logGroupName=group, logStreamName=stream)):
        try:
            create()
        except logs.exceptions.ResourceAlreadyExistsException:
            pass
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
