"""The kit's benchmark (python -m benchmarks.run) and load test (python -m benchmarks.load): the runtimes against
the seed's design, from image size and cold start to latency through the local HTTP API."""
