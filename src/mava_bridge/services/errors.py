"""Errors of our own rules (not Mava's), each with a sentence for the user."""


class ServiceError(Exception):
    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class Unchanged(Exception):
    """The write would change nothing in Mava (the ticket already is so): nothing is
    sent, and the sentence says how the ticket is."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message
