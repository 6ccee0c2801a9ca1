"""A tiny Lambda handler package for the local runtime tests (staged as an image's task root)."""
