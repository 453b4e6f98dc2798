"""Local stand-ins for the outside world: a Mava API server (demo, tests, benchmarks)."""
