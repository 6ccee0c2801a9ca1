"""A minimal translator stand-in for flow tests: GET /health answers 200, anything else echoes."""
