"""Reading the API's error answers: which exception, which message, when to retry.

``error_from_response`` turns a status >= 400 into our ``errors.Registry*`` tree. The
``error_code`` of the JSON body wins over the HTTP status when it names a family (API
reference section 7); HTML pages and ``CODE: message`` text are summarised; ``Retry-After``
is read as seconds or an HTTP date. Pure: no I/O.
"""

from __future__ import annotations

import email.utils
import json
import time
from typing import Any

import httpx

from reconciler import errors
from reconciler.redaction import redact_text

TEMPORARY_STATUSES = frozenset({429, 503, 504})
# The API's deepest answer nests about ten levels (endpoint > config > served_entities >
# external_model > provider config); past this the answer is not the API's, and code that
# walks it recursively (diff, rendering) would hit Python's recursion limit.
MAX_NESTING = 64
_SNIPPET = 120
# error_code wins over the HTTP status when it names a family (API reference section 7).
_CODE_CLASSES: dict[str, type[errors.RegistryError]] = {
    "RESOURCE_DOES_NOT_EXIST": errors.RegistryNotFound,
    "RESOURCE_ALREADY_EXISTS": errors.RegistryConflict,
    "ALREADY_EXISTS": errors.RegistryConflict,
    "RESOURCE_CONFLICT": errors.RegistryConflict,
    "ABORTED": errors.RegistryConflict,
    "REQUEST_LIMIT_EXCEEDED": errors.RegistryTemporaryError,
    "RESOURCE_EXHAUSTED": errors.RegistryTemporaryError,
    "TEMPORARILY_UNAVAILABLE": errors.RegistryTemporaryError,
    "INVALID_PARAMETER_VALUE": errors.RegistryRejected,
    "INVALID_REQUEST": errors.RegistryRejected,
    "INVALID_STATE": errors.RegistryRejected,
    "BAD_REQUEST": errors.RegistryRejected,
    "UNAUTHENTICATED": errors.RegistryAuthError,
    "PERMISSION_DENIED": errors.RegistryAuthError,
}
_STATUS_CLASSES: dict[int, type[errors.RegistryError]] = {
    400: errors.RegistryRejected,
    401: errors.RegistryAuthError,
    403: errors.RegistryAuthError,
    404: errors.RegistryNotFound,
    409: errors.RegistryConflict,
}

def error_from_response(
    method: str, path: str, response: httpx.Response, content: bytes, hint: str = ""
) -> errors.RegistryError:
    status = response.status_code
    code, message = parse_error_body(content)
    cls = _CODE_CLASSES.get(code or "") or _STATUS_CLASSES.get(status)
    if status in TEMPORARY_STATUSES:
        cls = errors.RegistryTemporaryError
    if cls is None:
        cls = errors.RegistryPermanentError
    retry_after = _parse_retry_after(response.headers.get("retry-after"))
    text = f"{method} {path} -> {status}"
    if code:
        text += f" {code}"
    if message:
        text += f": {redact_text(message)}"
    if hint and issubclass(cls, errors.RegistryAuthError):
        text += f"; {hint}"
    return cls(
        text, method=method, path=path, status=status, error_code=code, retry_after=retry_after
    )


def parse_error_body(content: bytes) -> tuple[str | None, str]:
    """``(error_code, message)`` from a JSON error, ``CODE: message`` text, or an HTML page."""
    text = content.decode("utf-8", errors="replace").strip()
    if not text:
        return None, ""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        code = data.get("error_code")
        message = data.get("message", "")
        return (code if isinstance(code, str) else None), str(message)
    if text.startswith("<"):
        return None, f"non-JSON error page: {snippet(content)}"
    head, sep, rest = text.partition(":")
    if sep and head.isupper() and " " not in head:
        return head, rest.strip()[:_SNIPPET * 4]
    return None, text[: _SNIPPET * 4]


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds from ``Retry-After`` (integer seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def snippet(content: bytes) -> str:
    text = " ".join(content.decode("utf-8", errors="replace").split())
    return text[:_SNIPPET] + ("..." if len(text) > _SNIPPET else "")


def nested_deeper_than(data: Any, limit: int) -> bool:
    """Whether JSON-like ``data`` has containers more than ``limit`` levels deep (iterative:
    it must not itself recurse on the input it checks)."""
    stack: list[tuple[Any, int]] = [(data, 1)] if isinstance(data, dict | list) else []
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False
