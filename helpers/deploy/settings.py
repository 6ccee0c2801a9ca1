"""What the deployment is made of, in one place: names, sizes, limits and routes (03 and template.yaml share them).

Sized from measurements (03_deploy_lambda): peak memory 74 MB (slim) / 312 MB (torch), warm calls take
milliseconds, a torch cold start seconds (CPU share grows with memory, and init must finish within 10 s);
the seed's 5000 MB / 300 s only raised the price of every second.
"""
from __future__ import annotations

from helpers.core.changes import LOG_RETENTION_DAYS  # noqa: F401 - 7 days; defined where 03 and 03b share it
from helpers.core.config import KitConfig
from helpers.core.aws_facts.image_manifests import IMAGE_LIMIT_BYTES as LAMBDA_IMAGE_LIMIT_BYTES  # noqa: F401 - Lambda's limit

FUNCTION_MEMORY_MB = {"slim": 512, "torch": 1024}
TIMEOUT_S = 30  # an HTTP API waits at most 30 s for its integration, so a longer timeout only bills stuck calls
RESERVED_CONCURRENCY = 5  # at most 5 copies run at once: a runaway client cannot run up the bill
THROTTLING = {"ThrottlingBurstLimit": 10, "ThrottlingRateLimit": 5.0}
CORS = {"AllowOrigins": ["*"], "AllowMethods": ["GET", "POST", "OPTIONS"],
        "AllowHeaders": ["content-type"], "MaxAge": 300}
# GET /: the demo page (lambda_app/demo_page.py); GET /vocabulary: the French words the model knows
ROUTES = ("POST /translate", "GET /health", "GET /", "GET /vocabulary")
STAGE = "$default"
INTEGRATION_TIMEOUT_MS = 29_000
ROLE_RETRY_S = 120  # IAM is eventually consistent: a new role can take a few seconds to be assumable
HEALTH_WAIT_S = 30  # after a deploy, GET /health must answer 200 within this (new API + cold start)


def role_name(cfg: KitConfig) -> str:
    """The execution role's name, e.g. `ltk-translator-role`."""
    return cfg.name("translator-role")


def function_name(cfg: KitConfig, runtime: str | None = None) -> str:
    """One function per runtime, e.g. `ltk-translator-slim`."""
    return cfg.name(f"translator-{runtime or cfg.runtime}")


def function_log_group(function: str) -> str:
    """The log group Lambda writes a function's logs to, e.g. `/aws/lambda/ltk-translator-slim`."""
    return f"/aws/lambda/{function}"


def api_name(cfg: KitConfig) -> str:
    """The HTTP API's name, e.g. `ltk-translator-api`."""
    return cfg.name("translator-api")
