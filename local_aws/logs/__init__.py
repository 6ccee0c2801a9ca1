"""CloudWatch Logs: log records into the emulated log groups."""
