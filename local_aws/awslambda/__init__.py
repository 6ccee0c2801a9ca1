"""AWS Lambda: Invoke semantics, function states, execution environments (host process or container)."""
