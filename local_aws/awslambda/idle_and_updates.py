"""Two of Lambda's function states that moto never reaches: `Inactive` after weeks idle, and a failed update.

Lambda Developer Guide, "Lambda function states":
- "Inactive – A function becomes inactive when it has been idle long enough for Lambda to reclaim the external
  resources that were configured for it. When you try to invoke a function that is inactive, the invocation fails
  and Lambda sets the function to pending state until the function resources are recreated." Here a function is idle
  after INACTIVE_AFTER_DAYS without an invocation or update, on the emulator's clock (the one 04 advances); an
  invocation then fails with ResourceConflictException and starts the restore (`Pending`, StateReasonCode
  `Restoring`), after which Lambda needs the image again (a deleted one fails the function: `ImageDeleted`).
- "Failed – The function update failed. Lambda aborted the update and the function's previous code and
  configuration remain available" (`LastUpdateStatus`, while `State` stays `Active`). Here an image update fails when
  the image it names leaves ECR before Lambda has fetched it (LastUpdateStatusReasonCode `ImageDeleted`); the
  function keeps its previous image (moto's record is put back), and the next update is the fix.
"""
from __future__ import annotations

from typing import Any

INACTIVE_AFTER_DAYS = 14.0  # AWS says "idle long enough" (weeks in practice); a workshop rehearsed a week early
IDLE_S = INACTIVE_AFTER_DAYS * 86400
INACTIVE = {"State": "Inactive", "StateReasonCode": "Idle", "LastUpdateStatus": "Successful",
            "StateReason": "The function is inactive because it has been idle for a long period."}
RESTORING = {"State": "Pending", "StateReasonCode": "Restoring", "LastUpdateStatus": "Successful",
             "StateReason": "The function is being restored."}


def is_idle(last_used: float, now: float) -> bool:
    """Whether a function last invoked or updated at `last_used` is Inactive at `now` (emulator seconds)."""
    return bool(last_used) and now - last_used > IDLE_S


def failed_update_view(reason: tuple[str, str]) -> dict[str, Any]:
    """The configuration fields of an Active function whose last update failed."""
    return {"State": "Active", "LastUpdateStatus": "Failed", "LastUpdateStatusReasonCode": reason[0],
            "LastUpdateStatusReason": reason[1]}


def image_update_failure(digest: str) -> tuple[str, str]:
    """(LastUpdateStatusReasonCode, LastUpdateStatusReason) of an update whose image left ECR meanwhile."""
    return "ImageDeleted", f"The image {digest} was deleted before Lambda could fetch it: the update was aborted."


def restore_moto_image(account: str, region: str, name: str, image_uri: str, digest: str) -> None:
    """Put the function's previous image back into moto's record (Lambda keeps the previous code)."""
    from moto.awslambda.models import lambda_backends

    fn = lambda_backends[account][region].get_function(name)
    fn.code["ImageUri"] = image_uri
    fn.code_sha_256 = digest.removeprefix("sha256:")
