"""The offline rehearsal: a room of simulated attendees on one local stack, each with their own IAM user, key and
prefix, deploying at the same time and calling their APIs; then the facilitator's table and sweep.

Each attendee runs the kit's own steps with their own config (push, role, function, HTTP API, calls: the helpers
02 and 03 use, without the state file a laptop keeps), so the stack enforces the attendee policy on every call. The
function is a stand-in (standin/rehearsal_app.py: the translator's HTTP contract, no model), so a room deploys
before 01 has trained anything. 429s from an API's throttle are counted apart: they are the throttle working.
"""
from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from helpers.build.ecr import push_image
from helpers.build.image_spec import BuiltImage, StagedImage
from helpers.build.layers import dir_bytes, write_layer
from helpers.core.changes import Changes
from helpers.core.config import KitConfig
from helpers.core.platform import host_arch
from helpers.deploy.calls import call_api, wait_until_healthy
from helpers.deploy.function import ensure_function
from helpers.deploy.http_api import api_base_url, ensure_http_api
from helpers.deploy.role import ensure_role
from helpers.workshop.attendees import attendee_config, create_attendee, ensure_boundary

STANDIN = Path(__file__).parent / "standin"


@dataclass
class AttendeeDay:
    """What one simulated attendee did: their API, how long the deploy took, their calls by outcome."""

    prefix: str
    url: str = ""
    deploy_s: float = 0.0
    ok: int = 0
    throttled: int = 0
    errors: list[str] = field(default_factory=list)


def standin_image(work: Path) -> BuiltImage:
    """The stand-in function as a one-layer staged image (pushed like 02 pushes without an engine)."""
    tarball = work / "rehearsal-layer.tar.gz"
    digest, diff_id = write_layer(STANDIN, tarball)
    return BuiltImage(staged=StagedImage(
        runtime="slim", arch=host_arch(), version="rehearsal", context=str(work), key="rehearsal",
        env={"MODEL_RUNTIME": "slim"}, cmd=["rehearsal_app.handler"], task_root=str(STANDIN), tarball=str(tarball),
        layer_digest=digest, diff_id=diff_id, task_root_bytes=dir_bytes(STANDIN),
        tar_gz_bytes=tarball.stat().st_size))


def attendee_day(cfg: KitConfig, image: BuiltImage, calls: int) -> AttendeeDay:
    """One attendee's 02 and 03 with their own credentials, then `calls` translations through their API."""
    day, t0 = AttendeeDay(cfg.prefix), time.monotonic()
    try:
        pushed, changes = push_image(cfg, image), Changes()
        function = ensure_function(cfg, "slim", pushed.uri, ensure_role(cfg, changes), changes)
        day.url = api_base_url(cfg, ensure_http_api(cfg, function, changes))
        wait_until_healthy(day.url)
        day.deploy_s = time.monotonic() - t0
        for n in range(calls):
            status = call_api(day.url, "POST", "/translate", {"sentence": f"Bonjour {n}."}).status
            day.ok += status == 200
            day.throttled += status == 429
            if status not in (200, 429):
                day.errors.append(f"POST /translate answered {status}")
    except Exception as err:  # one attendee's failure is a finding of the rehearsal, not its end
        day.errors.append(f"{type(err).__name__}: {err}")
    return day


def simulate_attendees(cfg: KitConfig, names: list[str], calls: int = 5) -> list[AttendeeDay]:
    """Create an IAM user per name and run their day, all at once (one thread per attendee)."""
    boundary = ensure_boundary(cfg)
    configs = [attendee_config(cfg, create_attendee(cfg, name), boundary) for name in names]
    with tempfile.TemporaryDirectory() as work:
        image = standin_image(Path(work))
        with ThreadPoolExecutor(max_workers=len(configs)) as pool:
            return list(pool.map(lambda c: attendee_day(c, image, calls), configs))


def day_rows(days: list[AttendeeDay]) -> list[dict[str, object]]:
    return [{"prefix": d.prefix, "deploy s": round(d.deploy_s, 1), "200": d.ok, "429": d.throttled,
             "errors": "; ".join(d.errors)[:400] or "-"} for d in days]


@dataclass
class Rehearsal:
    """A whole rehearsed day: the attendees' days, the facilitator's table, what the sweep left (all 0)."""

    seconds: float
    days: list[AttendeeDay]
    table: list[dict[str, object]]
    left: dict[str, int]

    @property
    def requests(self) -> int:
        return sum(d.ok + d.throttled + len(d.errors) for d in self.days)

    @property
    def errors(self) -> list[str]:
        return [f"{d.prefix}: {e}" for d in self.days for e in d.errors]


def attendee_names(n: int) -> list[str]:
    return [f"ws-{i:02d}" for i in range(1, n + 1)]


def rehearse(cfg: KitConfig, attendees: int, calls: int = 5, budget_usd: float = 50.0,
             email: str = "facilitator@example.com") -> Rehearsal:
    """Before (budget), during (N attendees at once, the table), after (sweep, proof): the facilitator's day."""
    from helpers.workshop.budget import ensure_budget
    from helpers.workshop.room import room_table
    from helpers.workshop.room_sweep import prove_room_empty, sweep_room

    t0, names = time.monotonic(), attendee_names(attendees)
    ensure_budget(cfg, budget_usd, email)
    days = simulate_attendees(cfg, names, calls)
    table = room_table(cfg, names, budget_usd)
    sweep_room(cfg, confirm=True)
    return Rehearsal(time.monotonic() - t0, days, table, prove_room_empty(cfg))
