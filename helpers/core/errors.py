"""One exception type whose message is a single sentence telling the user what to do."""
from __future__ import annotations


class KitError(RuntimeError):
    """A problem the user can fix; the message says how. Raised instead of deep tracebacks."""
