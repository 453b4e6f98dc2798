"""Errors of our own rules (not Mava's), each with a sentence for the user."""


class ServiceError(Exception):
    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message
