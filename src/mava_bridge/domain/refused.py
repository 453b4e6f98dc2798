"""The one way a door says no: the Slack door, its body parser and the webhook door."""


class Refused(Exception):
    """A request not acted on, answered with `status` (400, 401, 404, 408, 413, 415)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
