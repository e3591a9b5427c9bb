"""The one error family. The command layer turns any of these into one red line."""


class FlashcardsError(Exception):
    """Base of every error a user can act on; the message says what and where."""


class DeckError(FlashcardsError):
    """A deck file is malformed: the message names file, line and field."""


class StoreError(FlashcardsError):
    """Progress cannot be read or written."""


class StoreUnavailable(StoreError):
    """The store could not be reached (network, credentials, server down)."""


class ConflictError(StoreError):
    """A card changed under us (another process or device answered it)."""

    def __init__(self, message: str, current: object = None) -> None:
        super().__init__(message)
        self.current = current


class UsageError(FlashcardsError):
    """Bad option values, unknown deck names and similar."""
