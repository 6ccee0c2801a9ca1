"""AWS Lambda: Invoke semantics, function states, instances, i.e. execution environments (host process or container)."""
