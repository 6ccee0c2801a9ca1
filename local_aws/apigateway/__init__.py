"""API Gateway HTTP APIs: the endpoint, payload-2.0 events, throttling."""
