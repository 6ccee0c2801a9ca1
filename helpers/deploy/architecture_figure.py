"""What 03 created, drawn from what AWS says exists: the HTTP API (GetApis, GetRoutes, GetIntegrations, GetStages), the
functions (GetFunction: memory, architecture, role, image), the role (GetRole), the log groups (DescribeLogGroups)
and the images in ECR (DescribeImages). Nothing is taken from the kit's settings, so the picture shows the account
(or the emulator) as it is: browser -> HTTP API -> Lambda functions -> image in ECR, with the role and log groups.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from matplotlib.figure import Figure

from helpers import aws
from helpers.core.config import KitConfig
from helpers.core.figures import finish, new_figure
from helpers.deploy.settings import STAGE, api_name, function_log_group


@dataclass
class Described:
    """The deployment as the describe/list calls return it."""

    api: str  # "name (id)"
    routes: list[str]
    throttle: str
    integrated: str  # the function the API's integration calls
    functions: dict[str, str] = field(default_factory=dict)  # name -> "512 MB, x86_64"
    images: dict[str, str] = field(default_factory=dict)  # function -> "repo:tag\n  @ sha256:abc..."
    roles: set[str] = field(default_factory=set)
    log_groups: dict[str, str] = field(default_factory=dict)  # name -> "7-day retention"


def describe_deployment(cfg: KitConfig, functions: list[str]) -> Described:
    """Describe the kit's HTTP API and the named functions with their role, image and log group."""
    gw, lam, logs = aws.client("apigatewayv2", cfg), aws.client("lambda", cfg), aws.client("logs", cfg)
    with aws.aws_errors():
        api = next(a for a in aws.pages(gw.get_apis, "Items") if a["Name"] == api_name(cfg))
        routes = sorted(r["RouteKey"] for r in aws.pages(gw.get_routes, "Items", ApiId=api["ApiId"]))
        target = next(i["IntegrationUri"] for i in aws.pages(gw.get_integrations, "Items", ApiId=api["ApiId"]))
        stage = next(s for s in aws.pages(gw.get_stages, "Items", ApiId=api["ApiId"]) if s["StageName"] == STAGE)
        limits = stage.get("DefaultRouteSettings", {})
        out = Described(api=f"{api['Name']} ({api['ApiId']})", routes=routes, integrated=target.rsplit(":", 1)[1],
                        throttle=f"{STAGE}: burst {limits.get('ThrottlingBurstLimit')}, "
                                 f"{limits.get('ThrottlingRateLimit'):g}/s")
        for name in functions:
            got = lam.get_function(FunctionName=name)
            conf, code = got["Configuration"], got["Code"]
            out.functions[name] = f"{conf['MemorySize']} MB, {conf.get('Architectures', ['x86_64'])[0]}"
            resolved = code.get("ResolvedImageUri", "")
            digest = f"\n  @ {resolved.split('@')[1][:19]}..." if "@" in resolved else ""
            out.images[name] = code.get("ImageUri", "").split("/", 1)[-1] + digest
            out.roles.add(conf["Role"].rsplit("/", 1)[1])
            group = function_log_group(name)
            found = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
            days = next((g.get("retentionInDays") for g in found if g["logGroupName"] == group), None)
            out.log_groups[group] = f"{days}-day retention" if days else "kept forever"
    return out


def _box(ax, x: float, y: float, title: str, lines: list[str], color: str) -> None:
    ax.text(x, y, "\n".join([title, *lines]), ha="center", va="center", fontsize=8, family="monospace",
            bbox={"boxstyle": "round,pad=0.5", "facecolor": color, "edgecolor": "#555555"})


def _arrow(ax, start: tuple[float, float], end: tuple[float, float], label: str = "") -> None:
    ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "->", "color": "#333333", "lw": 1.2})
    if label:
        vertical = start[0] == end[0]
        x, y = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
        ax.text(x + (0.008 if vertical else 0), y + (0 if vertical else 0.03), label,
                ha="left" if vertical else "center", va="center", fontsize=7, color="#333333")


def draw_architecture(d: Described) -> Figure:
    """Browser -> HTTP API -> functions -> images in ECR, the role above the functions, the log groups below."""
    fig, ax = new_figure(12, 5.2)
    ax.set(xlim=(0, 1), ylim=(0, 1))
    ax.axis("off")
    _box(ax, 0.06, 0.55, "browser / curl", ["HTTPS request"], "#ffffff")
    _box(ax, 0.25, 0.55, "HTTP API", [d.api, *d.routes, d.throttle], "#fde3c8")
    _box(ax, 0.53, 0.55, "Lambda functions", [f"{n}{' <- API' if n == d.integrated else ''}: {s}"
                                              for n, s in d.functions.items()], "#ffd7a8")
    _box(ax, 0.87, 0.55, "images in ECR", list(dict.fromkeys(d.images.values())), "#d6e9f8")
    _box(ax, 0.53, 0.88, "IAM execution role", sorted(d.roles), "#e4f3d8")
    _box(ax, 0.53, 0.16, "CloudWatch log groups", [f"{g} ({r})" for g, r in d.log_groups.items()], "#eeeeee")
    _arrow(ax, (0.115, 0.55), (0.16, 0.55), "request")
    _arrow(ax, (0.345, 0.55), (0.385, 0.55), "payload 2.0")
    _arrow(ax, (0.675, 0.55), (0.755, 0.55), "runs")
    _arrow(ax, (0.53, 0.81), (0.53, 0.66), "runs as")
    _arrow(ax, (0.53, 0.45), (0.53, 0.25), "logs, REPORT")
    ax.set_title("What 03 created, as the AWS APIs describe it", fontsize=10)
    return finish(fig)
