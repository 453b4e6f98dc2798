"""Local stand-ins for the outside world (Mava API server, Slack stub) for demo and tests."""
