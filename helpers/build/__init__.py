"""Stage 2 (02_build_image): the image's spec, its build context and staged task root, the engine build, the
offline base, the ECR repository and push, and the size report."""
from helpers.build.builder import build_image, build_images, measured_task_root
from helpers.build.ecr import REPOSITORY, PushedImage, ensure_repository, list_images, push_image
from helpers.build.image_spec import (DOCKERFILE, MODEL_FILES, RUNTIMES, BuiltImage, StagedImage,
                                      model_version)
from helpers.build.registry import ECR_FREE_TIER_NOTE, StoredSizes, ensure_lambda_pull_policy, stored_sizes
from helpers.build.scanning import ScanSummary, scan_summary
from helpers.build.sizes import ECR_FREE_TIER_BYTES, plot_sizes, size_rows
from helpers.build.staging import stage_task_root

__all__ = ["build_image", "build_images", "measured_task_root", "REPOSITORY", "PushedImage", "ensure_repository", "list_images",
           "push_image", "DOCKERFILE", "MODEL_FILES", "RUNTIMES", "BuiltImage", "StagedImage", "model_version",
           "ECR_FREE_TIER_NOTE", "StoredSizes", "ensure_lambda_pull_policy", "stored_sizes", "ECR_FREE_TIER_BYTES",
           "plot_sizes", "size_rows", "stage_task_root", "ScanSummary", "scan_summary"]
