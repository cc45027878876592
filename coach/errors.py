"""The one base class for problems a user can fix.

Every module raises its own subclass with one sentence that says what went wrong and what to do;
the CLI and the app catch `CoachError` alone, so they never import a module just to name its
exception (the CLI answers in under a second partly because of that).
"""

from __future__ import annotations


class CoachError(Exception):
    """A problem the user can fix; its message is one sentence. CLI exit code 2."""

    exit_code = 2


class ServiceError(CoachError):
    """A service (a Chroma server, the transcript database) cannot be used. CLI exit code 1."""

    exit_code = 1
