"""The one exception tree of serving-reconciler.

Every error the library raises on purpose derives from ``ReconcilerError``; the CLI catches
only that root, prints its message and maps it to exit code 1 (``--debug`` adds the
traceback). Third-party errors (httpx, yaml, pydantic) are translated at the module that
imports the library and chained with ``raise ... from``.

    ReconcilerError
    ├── ManifestError            manifests or project file are invalid (.issues, each located)
    ├── ProjectError             reconciler.yaml missing/unusable, unknown target
    ├── RegistryError            a call to the serving-endpoints API failed
    │   ├── RegistryTemporaryError   429, 503, 504, connection errors: retried
    │   └── RegistryPermanentError   other statuses: not retried
    │       ├── RegistryNotFound         404
    │       ├── RegistryConflict         409 (already exists, update in progress)
    │       ├── RegistryRejected         400 (the server refused the body)
    │       └── RegistryAuthError        401, 403
    │   RegistryProtocolError (a RegistryPermanentError) malformed or unexpected response body
    ├── PlanError                a plan cannot be made or read
    │   └── StalePlanError           the live state moved since the plan was made
    ├── ApplyError               at least one action failed (.report)
    └── ConfirmationRequired     apply needs a terminal to ask, or --auto-approve
"""

from __future__ import annotations

from typing import Any


class ReconcilerError(Exception):
    """Root of every error serving-reconciler raises on purpose."""

    exit_code: int = 1


class ManifestError(ReconcilerError):
    """Manifests or the project file did not load or validate.

    ``issues`` holds the located problems (``reconciler.model.diagnostics.Issue``); the message
    is a short summary so that a bare ``str(err)`` is still useful.
    """

    def __init__(self, message: str, issues: tuple[Any, ...] = ()) -> None:
        super().__init__(message)
        self.issues = issues


class ProjectError(ReconcilerError):
    """The project file is missing, unreadable, or names an unknown target."""


class RegistryError(ReconcilerError):
    """A call to the serving-endpoints API failed.

    The message always names the method, path, status and the server's error code and
    message, and never the token.
    """

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        path: str = "",
        status: int | None = None,
        error_code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.status = status
        self.error_code = error_code
        self.retry_after = retry_after
        # How many times the call was tried before this error stuck (set by the retry loop);
        # a create that failed with "already exists" after a retry may have succeeded.
        self.attempts = 1


class RegistryTemporaryError(RegistryError):
    """429, 503, 504 or a connection problem: worth retrying."""

    retryable = True


class RegistryPermanentError(RegistryError):
    """Any other failure: retrying the same call will not help."""


class RegistryNotFound(RegistryPermanentError):
    """404: the endpoint does not exist."""


class RegistryConflict(RegistryPermanentError):
    """409: the endpoint already exists, or an update is already in progress."""


class RegistryRejected(RegistryPermanentError):
    """400: the server refused the request body."""


class RegistryAuthError(RegistryPermanentError):
    """401 or 403: the token is missing, wrong, or lacks permission."""


class RegistryProtocolError(RegistryPermanentError):
    """The server answered something that is not the API's JSON (HTML, truncated, wrong types)."""


class PlanError(ReconcilerError):
    """A plan could not be made, read, or applied as given."""


class StalePlanError(PlanError):
    """The live state changed since the plan was made; the user must re-run ``plan``."""


class ApplyError(ReconcilerError):
    """At least one action failed; ``report`` says what was done, what failed and why."""

    def __init__(self, message: str, report: Any = None) -> None:
        super().__init__(message)
        self.report = report


class ConfirmationRequired(ReconcilerError):
    """``apply`` would have to ask, but there is no terminal and no ``--auto-approve``."""
