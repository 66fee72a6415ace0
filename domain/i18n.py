"""The gettext marker for strings translated later (message ids of errors, labels)."""


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here."""
    return message
