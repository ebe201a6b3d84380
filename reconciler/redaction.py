"""Masking of secret values on every output path (DESIGN.md section 7).

Two mechanisms, because a secret can reach an output in two ways:

* by field name: any value of a ``*_plaintext`` field is masked wherever a data structure is
  rendered or serialised (``redact_data``), whatever the value is;
* by value: every plaintext secret a run has seen (a literal in a manifest, a value
  resolved from ``${env.NAME}`` at apply time, the workspace token) is registered, and
  ``redact_text`` replaces it in any string: log records (``RedactingFilter``), error
  messages, reports.

The registry is scoped to a run, not to the process: ``secret_run()`` binds a
``SecretRegistry`` to the current context (a ``ContextVar``, so the asyncio tasks of the run
share it), and everything registered or masked inside the block uses it. A secret resolved
deep inside ``apply`` is still masked in a log line written by the HTTP client or an error
printed by the CLI, neither of which is handed the value, and two runs in one process (two
library calls, two ``reconciler`` invocations in a test) do not see each other's values. The
CLI opens one run per invocation (``cli/main.py``); the api layer binds the run of the
project it works on (``Project.secrets``). ``SECRETS`` is what is registered outside any
run (a library user calling ``register_secret`` directly): masked in every run. Importing
this module registers nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import json
import logging
import re
import sys
import threading
from collections.abc import Iterator, Mapping
from typing import Any, TextIO
from urllib.parse import quote, quote_plus

MASK = "(sensitive)"
PLAINTEXT_SUFFIX = "_plaintext"
# Shorter values are not registered: masking "a" or "ok" everywhere would garble output and
# such values cannot be real credentials.
MIN_SECRET_LENGTH = 6


class SecretRegistry:
    """The plaintext values seen in this process, masked wherever text is written."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: tuple[str, ...] = ()

    def add(self, value: str) -> None:
        forms = [f for f in encoded_forms(value) if len(f) >= MIN_SECRET_LENGTH]
        with self._lock:
            new = [f for f in forms if f not in self._values]
            if new:
                # Longest first, so a secret that contains another is masked whole.
                self._values = tuple(sorted({*self._values, *new}, key=len, reverse=True))

    def values(self) -> tuple[str, ...]:
        return self._values

    def clear(self) -> None:
        with self._lock:
            self._values = ()


# Values registered outside any run; masked in every run too (normally empty).
SECRETS = SecretRegistry()
_RUN: contextvars.ContextVar[SecretRegistry | None] = contextvars.ContextVar(
    "reconciler_secrets", default=None)


def current_run() -> SecretRegistry | None:
    """The registry of the run this code is part of, or None outside any run."""
    return _RUN.get()


@contextlib.contextmanager
def secret_run(registry: SecretRegistry | None = None) -> Iterator[SecretRegistry]:
    """Bind a run's secret registry to the current context for the block.

    ``registry``: the run's (a project's ``secrets``); without it the active run is kept (a
    nested call is part of the same run), else a new one starts. An exception leaving the
    block has its text masked, so an error handed to a library user shows no secret of the
    run either.
    """
    chosen = registry or _RUN.get() or SecretRegistry()
    token = _RUN.set(chosen)
    try:
        yield chosen
    except Exception as exc:
        exc.args = tuple(redact_text(a) if isinstance(a, str) else a for a in exc.args)
        raise
    finally:
        _RUN.reset(token)


def encoded_forms(value: str) -> set[str]:
    """The forms a secret can take on its way to an output: as read, stripped (a token
    file's newline), JSON-escaped once or twice (a server echoing the request body in its
    error message, then our JSON output), with or without ``\\uXXXX`` escapes, and
    URL-encoded (a query string or a link). A key holding ``"``, ``\\`` or a newline
    differs in each."""
    forms = {value, value.strip()}
    for _ in range(2):
        for form in list(forms):
            forms.add(json.dumps(form, ensure_ascii=False)[1:-1])
            forms.add(json.dumps(form, ensure_ascii=True)[1:-1])
    for form in (value, value.strip()):
        forms.update({quote(form, safe=""), quote(form), quote_plus(form)})
    return forms


def register_secret(value: str) -> None:
    """Remember a plaintext secret so that no output of this run shows it (outside any run:
    of this process)."""
    (_RUN.get() or SECRETS).add(value)


def is_plaintext_field(name: str) -> bool:
    # ``plaintext`` alone: a Unity AI Gateway ProviderSecret (model/unity.py).
    return name.endswith(PLAINTEXT_SUFFIX) or name == "plaintext"


_ENV_REF = re.compile(r"(?<!\$)\$\{env\.([A-Za-z_][A-Za-z0-9_]*)\}")


def register_plaintext_values(obj: Any, env: Mapping[str, str]) -> None:
    """Register every ``*_plaintext`` value in JSON-like ``obj`` as a secret of the run, as
    soon as a manifest is loaded (api/validating.py): a literal (``plaintext_secrets:
    allow``) as it is, a ``${env.NAME}`` reference as the variable's value. From then on no
    output of the run can show them, whichever path it takes (a validation message, a log
    line, an error)."""
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            if isinstance(key, str) and is_plaintext_field(key) and isinstance(value, str):
                names = _ENV_REF.findall(value)
                if not names:
                    register_secret(value)
                for name in names:
                    if name in env:
                        register_secret(env[name])
            else:
                register_plaintext_values(value, env)
    elif isinstance(obj, list | tuple):
        for item in obj:
            register_plaintext_values(item, env)


def _masked_values() -> tuple[str, ...]:
    run = _RUN.get()
    if run is None:
        return SECRETS.values()
    outside = SECRETS.values()
    if not outside:
        return run.values()
    return tuple(sorted({*run.values(), *outside}, key=len, reverse=True))


def redact_text(text: str) -> str:
    """``text`` with every secret registered in this run (or outside any run) masked."""
    for value in _masked_values():
        if value in text:
            text = text.replace(value, MASK)
    return text


def redact_data(obj: Any) -> Any:
    """A copy of JSON-like data with ``*_plaintext`` values and registered secrets masked.

    A ``${env.NAME}`` reference in a plaintext field is not a secret and stays readable, so a
    reviewer can see where the key comes from.
    """
    if isinstance(obj, Mapping):
        out: dict[Any, Any] = {}
        for key, value in obj.items():
            if isinstance(key, str) and is_plaintext_field(key) and value is not None:
                out[key] = value if _is_env_reference(value) else MASK
            else:
                out[key] = redact_data(value)
        return out
    if isinstance(obj, list | tuple):
        return [redact_data(v) for v in obj]
    if isinstance(obj, str):
        return redact_text(obj)
    return obj


def _is_env_reference(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("${env.") and value.endswith("}")


class RedactingFilter(logging.Filter):
    """A logging filter that masks registered secrets in the formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact_text(message)
        if masked != message or record.args:
            record.msg = masked
            record.args = None
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Attach ``RedactingFilter`` to every handler of ``logger`` (default: the root logger).

    Filters on handlers (not on loggers) see records from every child logger as well.
    """
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


class RedactingStream(io.TextIOBase):
    """A text stream that masks registered secrets in everything written through it.

    The CLI writes stdout and stderr through it, so any output a command produces (results,
    progress, log records, error messages, including those of commands added later) is
    masked at one boundary, whatever the renderers already did. One ``write`` call is masked
    as a whole; click and logging write each message in one call.
    """

    def __init__(self, inner: TextIO) -> None:
        super().__init__()
        self._inner = inner

    def write(self, text: str | bytes) -> int:
        if isinstance(text, bytes | bytearray):
            # click.echo(bytes) (shell completion scripts) falls back to write() on a text
            # stream without a binary buffer: decode, so it is masked like the rest.
            text = bytes(text).decode(self.encoding or "utf-8", "replace")
        self._inner.write(redact_text(text))
        return len(text)

    def flush(self) -> None:
        self._inner.flush()

    def isatty(self) -> bool:
        return self._inner.isatty()

    def fileno(self) -> int:
        return self._inner.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._inner.encoding

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return self._inner.errors


@contextlib.contextmanager
def redacted_stdio() -> Iterator[None]:
    """``sys.stdout`` and ``sys.stderr`` masked (``RedactingStream``) inside the block."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = RedactingStream(out), RedactingStream(err)
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        sys.stdout, sys.stderr = out, err
