"""The kit's benchmark: image size, cold start, memory and warm latency per runtime vs the seed's design."""
