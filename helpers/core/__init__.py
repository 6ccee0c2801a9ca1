"""Shared plumbing every stage uses: configuration, errors, paths, state, tables, statistics, progress, the
container engine and the host platform. Imports nothing from the stage packages or the emulator."""
from helpers.core.config import KitConfig, get_config
from helpers.core.errors import KitError
from helpers.core.paths import LAMBDA_APP, REPO_ROOT, kit_home, model_dir, shown_path
from helpers.core.progress import progress
from helpers.core.state import clear_state, load_state, save_state
from helpers.core.stats import latency_summary, percentile
from helpers.core.tables import markdown_table, text_table

__all__ = ["KitConfig", "get_config", "KitError", "LAMBDA_APP", "REPO_ROOT", "kit_home", "model_dir", "shown_path",
           "progress", "clear_state", "load_state", "save_state", "latency_summary", "percentile", "markdown_table",
           "text_table"]
