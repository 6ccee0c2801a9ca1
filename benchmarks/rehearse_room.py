"""The workshop rehearsal at room size: N simulated attendees on one local stack (helpers.workshop.rehearse).

    .venv/bin/python -m benchmarks.rehearse_room --attendees 30 [--calls 5]

Each attendee has an IAM user, a key and a prefix; all push, deploy and call their API at the same time (a thread
each), with the attendee policy enforced by the stack; then the facilitator's table, the sweep and the proof that
nothing is left. Reported, never asserted: wall time (and its phases), peak memory of this process and of the
stack's process tree (sampled every 0.2 s), control-plane requests (every boto3 call, counted by botocore's
`before-call` event) and API requests by outcome; errors are everything but 200 and 429 (the throttle working, as
documented). Runs under its own KIT_HOME and stops its stack afterwards. Writes rehearsal.json and rehearsal.md next
to the benchmark's results.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import botocore.session
import psutil

from benchmarks.http_path import own_stack
from helpers.core.paths import REPO_ROOT
from helpers.core.tables import markdown_table, text_table

RESULTS = REPO_ROOT / "benchmarks" / "results"


class PeakMemory:
    """The peak RSS (MiB) of this process and of a process tree, sampled in a thread."""

    def __init__(self, root_pid: int, interval: float = 0.2) -> None:
        self.root, self.interval, self.peak_self, self.peak_stack = root_pid, interval, 0.0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _tree_rss(self) -> float:
        try:
            root = psutil.Process(self.root)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            return 0.0
        total = 0
        for p in procs:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        return total / 2**20

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(self.interval):
            self.peak_self = max(self.peak_self, me.memory_info().rss / 2**20)
            self.peak_stack = max(self.peak_stack, self._tree_rss())

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()


def count_control_plane() -> Counter[str]:
    """Every boto3 call made from now on, by service (botocore `before-call` on each new client)."""
    seen: Counter[str] = Counter()
    create = botocore.session.Session.create_client

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        made = create(self, *args, **kwargs)
        made.meta.events.register("before-call", lambda model, **_: seen.update([model.service_model.service_name]))
        return made

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
    import helpers.aws

    helpers.aws._client.cache_clear()
    return seen


def run(attendees: int, calls: int) -> dict[str, Any]:
    from helpers.core.config import get_config
    from helpers.workshop import rehearse

    control = count_control_plane()
    with tempfile.TemporaryDirectory() as home, own_stack(Path(home)) as stack:
        with PeakMemory(stack.pid) as memory:
            done = rehearse(get_config(target="local"), attendees, calls=calls, budget_usd=10.0 * attendees)
    statuses = Counter({"200": sum(d.ok for d in done.days), "429": sum(d.throttled for d in done.days)})
    return {"attendees": attendees, "calls_per_attendee": calls, "wall_s": round(done.seconds, 1),
            "deploy_s_max": round(max(d.deploy_s for d in done.days), 1),
            "deploy_s_median": round(sorted(d.deploy_s for d in done.days)[len(done.days) // 2], 1),
            "peak_rss_mib_benchmark": round(memory.peak_self), "peak_rss_mib_stack": round(memory.peak_stack),
            "control_plane_requests": sum(control.values()), "by_service": dict(control.most_common()),
            "api_requests": dict(statuses), "errors": done.errors, "left": done.left,
            "table_first_rows": done.table[:3], "cpus": psutil.cpu_count()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attendees", type=int, default=30)
    parser.add_argument("--calls", type=int, default=5, help="translations each attendee sends after deploying")
    args = parser.parse_args(argv)
    result = run(args.attendees, args.calls)
    rows = [{"measure": k, "value": json.dumps(v) if isinstance(v, (dict, list)) else v} for k, v in result.items()
            if k != "table_first_rows"]
    print(text_table(rows))
    print(text_table(result["table_first_rows"]))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "rehearsal.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "rehearsal.md").write_text("# Workshop rehearsal (benchmarks.rehearse_room)\n\n" + markdown_table(rows)
                                          + "\n\nThe facilitator's table (first rows):\n\n"
                                          + markdown_table(result["table_first_rows"]) + "\n")
    return 1 if result["errors"] or any(result["left"].values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
