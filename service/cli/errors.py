"""Errors a command reports as one line on stderr (exit status 2), never as a traceback."""


class CliError(Exception):
    """A failure the operator can act on; the message says what and where (file:line)."""
