"""Running it for real: structured, redacted logs; Prometheus metrics; health checks."""
