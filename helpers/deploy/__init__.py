"""Stage 3 (03_deploy_lambda): the execution role, the functions, the HTTP API, calls and measurements, REPORT
records, costs and figures. `deploy(cfg)` runs every step; 03 runs them one cell at a time."""
from helpers.deploy.deployment import Deployment, deploy, pushed_images, where_it_runs
from helpers.deploy.function import Function, ensure_function, ensure_log_group, image_architecture, wait_until_ready
from helpers.deploy.http_api import (HttpApi, api_base_url, ensure_api, ensure_http_api, ensure_integration,
                                     ensure_invoke_permission, ensure_routes, ensure_stage)
from helpers.deploy.role import BASIC_EXECUTION_POLICY, LOG_POLICY_NAME, LAMBDA_TRUST_POLICY, ensure_role, log_policy
from helpers.deploy.settings import (CORS, HEALTH_WAIT_S, INTEGRATION_TIMEOUT_MS, LOG_RETENTION_DAYS,
                                     FUNCTION_MEMORY_MB, RESERVED_CONCURRENCY, ROUTES, STAGE, THROTTLING, TIMEOUT_S,
                                     api_name, function_name, function_log_group, role_name)

__all__ = ["Deployment", "deploy", "pushed_images", "where_it_runs", "Function", "ensure_function", "ensure_log_group",
           "image_architecture", "wait_until_ready", "HttpApi", "api_base_url", "ensure_api", "ensure_http_api",
           "ensure_integration", "ensure_invoke_permission", "ensure_routes", "ensure_stage", "BASIC_EXECUTION_POLICY",
           "LOG_POLICY_NAME", "LAMBDA_TRUST_POLICY", "ensure_role", "log_policy", "CORS", "HEALTH_WAIT_S",
           "INTEGRATION_TIMEOUT_MS", "LOG_RETENTION_DAYS", "FUNCTION_MEMORY_MB", "RESERVED_CONCURRENCY", "ROUTES",
           "STAGE", "THROTTLING", "TIMEOUT_S", "api_name", "function_name", "function_log_group", "role_name"]
