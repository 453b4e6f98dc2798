"""Running it for real: structured, redacted logs; Prometheus metrics; health checks."""

from mava_bridge.observability.logs import configure_logging as configure_logging
from mava_bridge.observability.logs import log_action as log_action
from mava_bridge.observability.logs import redact as redact
from mava_bridge.observability.logs import register_secret as register_secret
from mava_bridge.observability.metrics import Metrics as Metrics
