"""The offline `local` target: moto for the AWS control plane, AWS's Runtime Interface Emulator for
Lambda invocations, and a local HTTP API endpoint, all in one background process (see stack/control.py)."""
