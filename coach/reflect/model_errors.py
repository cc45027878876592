"""A model call that failed, in the seller's terms: a short reason to show, and whether (and
after how long) it is worth trying again.

Only the exception's type and its response's status and headers are read, never its message,
which can echo request details.
"""

from __future__ import annotations

# A server's Retry-After is honoured up to this; past it the seller gets the scripted question
# rather than a wait ("Retry-After: 50" was once waited out in full).
RETRY_AFTER_CAP_S = 2.0

_TIMEOUTS = {"APITimeoutError", "TimeoutError", "ReadTimeout", "TimeoutException"}
_TRANSIENT_STATUS = (408, 409, 429, 500, 502, 503)


def _names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def retry_wait(exc: BaseException) -> float | None:
    """Seconds to wait before asking again, or None when the failure is not worth another try:
    a timeout never is (the seller has waited enough); a rate limit, a server error or a lost
    connection is, after the server's Retry-After (capped)."""
    names = _names(exc)
    if names & _TIMEOUTS:
        return None
    status = getattr(exc, "status_code", None)
    if "APIConnectionError" not in names and status not in _TRANSIENT_STATUS:
        return None
    return min(retry_after(exc), RETRY_AFTER_CAP_S)


def retry_after(exc: BaseException) -> float:
    """The server's Retry-After in seconds (0.5 when it gives none or gives a date)."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    try:
        return max(0.0, float(headers.get("retry-after", 0.5)))
    except (TypeError, ValueError):
        return 0.5


def describe_error(exc: BaseException) -> str:
    """A short reason for the seller, from the exception's type (never its message, which can
    echo request details)."""
    names = _names(exc)
    if "RateLimitError" in names:
        return "the model server is rate-limiting requests"
    if names & _TIMEOUTS:
        return "it timed out"
    if names & {"APIConnectionError", "ConnectionError", "ConnectError"}:
        return "the model server could not be reached"
    if "APIStatusError" in names:
        status = getattr(exc, "status_code", None)
        return f"the model server returned an error (HTTP {status})"
    if names & {"JSONDecodeError", "APIResponseValidationError", "ValidationError", "ValueError"}:
        return "its reply could not be read"
    return f"it failed with {type(exc).__name__}"
