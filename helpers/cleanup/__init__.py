"""Stage 4 (04_cleanup): ECR lifecycle rules (applied and previewed), and the sweep that deletes what the kit
created and proves nothing is left."""
from helpers.cleanup.lifecycle import apply_lifecycle_policy, evaluate_policy, lifecycle_policy, preview_lifecycle
from helpers.cleanup.sweep import delete_kit_resources, find_kit_resources, forget_local_state, remove_built_images

__all__ = ["apply_lifecycle_policy", "evaluate_policy", "lifecycle_policy", "preview_lifecycle",
           "delete_kit_resources", "find_kit_resources", "forget_local_state", "remove_built_images"]
