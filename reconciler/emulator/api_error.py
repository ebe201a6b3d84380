"""The service's error answers: an HTTP status plus ``{"error_code", "message"}``.

Handlers raise ``ApiError``; the route layer turns it into the JSON body the Databricks
clients parse (the SDK maps ``error_code`` to its exception classes, e.g.
``RESOURCE_DOES_NOT_EXIST`` to ``NotFound``).
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error the emulated service answers with; never a bug in the emulator."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"error_code": self.error_code, "message": self.message}


def invalid(message: str) -> ApiError:
    """400 INVALID_PARAMETER_VALUE: a bad, missing or contradictory field."""
    return ApiError(400, "INVALID_PARAMETER_VALUE", message)


def malformed(message: str) -> ApiError:
    """400 MALFORMED_REQUEST: the body is not JSON, or not a JSON object."""
    return ApiError(400, "MALFORMED_REQUEST", message)


def not_found(name: str) -> ApiError:
    return ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"Endpoint with name '{name}' does not exist.")


def already_exists(name: str) -> ApiError:
    return ApiError(
        409, "RESOURCE_ALREADY_EXISTS", f"Endpoint with name '{name}' already exists."
    )


def update_in_progress(name: str) -> ApiError:
    return ApiError(
        409,
        "RESOURCE_CONFLICT",
        f"Endpoint '{name}' already has an update in progress; wait until it completes or "
        "fails before updating its config again.",
    )


def no_api(method: str, path: str) -> ApiError:
    """What the workspace answers for a path or method it has no API for."""
    return ApiError(404, "ENDPOINT_NOT_FOUND", f"No API found for '{method} {path}'")


# The error_code the service pairs with each status (the SDK maps both to its exceptions).
QUERY_ERROR_CODES = {
    400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
    409: "RESOURCE_CONFLICT", 429: "REQUEST_LIMIT_EXCEEDED", 499: "CANCELLED",
    500: "INTERNAL_ERROR", 501: "NOT_IMPLEMENTED", 503: "TEMPORARILY_UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def query_fault(status: int, served_entity: str, message: str | None) -> ApiError:
    """An injected query failure (``POST /_emulator/fail-queries``), as the service says it."""
    code = QUERY_ERROR_CODES.get(status) or ("INTERNAL_ERROR" if status >= 500 else "BAD_REQUEST")
    text = message or (f"The served entity '{served_entity}' failed to answer: the model "
                       f"provider returned HTTP {status} (injected query fault).")
    return ApiError(status, code, text)
