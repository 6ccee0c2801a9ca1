"""Stage 3b (03b_sagemaker_serverless): the same image on SageMaker Serverless Inference, deployed with the sagemaker
SDK (v3 core resources), called, measured and priced next to the Lambda function. `deploy_serverless(cfg)` runs
every step; 03b runs them one cell at a time."""
from helpers.sagemaker.compare_plots import plot_comparison, timing_rows
from helpers.sagemaker.endpoint import (ServerlessEndpoint, deploy_endpoint, ensure_endpoint, ensure_endpoint_config,
                                       ensure_model, wait_for_endpoint)
from helpers.sagemaker.execution_role import SAGEMAKER_TRUST_POLICY, ensure_execution_role, role_policy
from helpers.sagemaker.invocations import Timing, endpoint_metrics, invoke, measure_endpoint, measure_function
from helpers.sagemaker.sdk import prepare_sdk, sdk_args, sdk_config_path
from helpers.sagemaker.serverless import deploy_serverless, force_endpoint_cold_start, where_it_serves
from helpers.sagemaker.serverless_cost import cost_rows, price_rows
from helpers.sagemaker.serverless_settings import (MAX_CONCURRENCY, ENDPOINT_MEMORY_MB, endpoint_name,
                                                   execution_role_name)

__all__ = ["plot_comparison", "timing_rows", "ServerlessEndpoint", "deploy_endpoint", "ensure_endpoint",
           "ensure_endpoint_config", "ensure_model", "wait_for_endpoint", "SAGEMAKER_TRUST_POLICY",
           "ensure_execution_role", "role_policy", "Timing", "endpoint_metrics", "invoke", "measure_endpoint",
           "measure_function", "prepare_sdk", "sdk_args", "sdk_config_path", "deploy_serverless",
           "force_endpoint_cold_start", "where_it_serves", "cost_rows", "price_rows", "MAX_CONCURRENCY",
           "ENDPOINT_MEMORY_MB", "endpoint_name", "execution_role_name"]
