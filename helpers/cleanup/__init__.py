"""Stage 4 (04_cleanup): ECR lifecycle rules that keep the live API (applied, previewed, and on `local` run by the
emulator's clock), and the sweep that deletes what the kit created and proves nothing is left."""
from helpers.cleanup.lifecycle import (LocalClock, advance_local_clock, apply_lifecycle_policy, lifecycle_policy,
                                       live_images, preview_lifecycle, seed_lifecycle_policy, verdict_rows)
from helpers.cleanup.sweep import (delete_kit_resources, find_kit_resources, forget_local_state, kit_processes_left,
                                   prove_nothing_left, remove_built_images)
from helpers.core.aws_facts.ecr_lifecycle import Verdict, evaluate_policy

__all__ = ["LocalClock", "advance_local_clock", "apply_lifecycle_policy", "lifecycle_policy", "live_images",
           "preview_lifecycle", "seed_lifecycle_policy", "verdict_rows", "delete_kit_resources", "find_kit_resources",
           "forget_local_state", "kit_processes_left", "prove_nothing_left", "remove_built_images", "Verdict", "evaluate_policy"]
