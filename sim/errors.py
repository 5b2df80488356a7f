"""User-facing errors: one line, naming the file, the key and what is allowed."""


class UserError(Exception):
    """A mistake in the user's input. The CLI prints it on one line and exits with status 2."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None):
        self.file = file
        self.key = key
        self.detail = message
        where = ": ".join(part for part in (file, key) if part)
        super().__init__(f"{where}: {message}" if where else message)


class ScenarioError(UserError):
    """A scenario file (or an override) is malformed, mistyped or out of range."""


def did_you_mean(value, options) -> str:
    """' (did you mean 'x'?)' for the closest of ``options``, or '' when none is close."""
    import difflib

    close = difflib.get_close_matches(str(value), [str(o) for o in options], n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
