"""Importing the library changes nothing global in the host process (a notebook, a service)."""

from __future__ import annotations

import subprocess
import sys

# sniffio may be installed here; the library's fix applies when it is not, so hide it. The
# outside libraries are imported first: what they do on import is theirs (deepdiff adds a
# warnings filter), the check is about this library's own modules.
PROBE = """
import importlib.util, logging, os, signal, sys, threading, warnings
import click, deepdiff, httpx, jsonschema, pydantic, yaml
_find = importlib.util.find_spec
importlib.util.find_spec = lambda name, *a: None if name == "sniffio" else _find(name, *a)
missing_before = {k for k, v in sys.modules.items() if v is None}
handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
environ = dict(os.environ)
streams = (sys.stdout, sys.stderr, sys.stdin)
root = (list(logging.getLogger().handlers), logging.getLogger().level)
filters = list(warnings.filters)
threads = threading.active_count()
hook = sys.excepthook
import reconciler.api, reconciler.registry, reconciler.applying.executor, reconciler.cli.main
from reconciler import redaction
assert {k for k, v in sys.modules.items() if v is None} == missing_before, "None entries added"
assert {s: signal.getsignal(s) for s in handlers} == handlers, "signal handlers changed"
assert dict(os.environ) == environ, "environment changed"
assert (sys.stdout, sys.stderr, sys.stdin) == streams, "standard streams replaced"
assert (list(logging.getLogger().handlers), logging.getLogger().level) == root, "root logger"
assert not logging.getLogger("reconciler").handlers, "library logger got a handler"
assert list(warnings.filters) == filters, "warning filters changed"
assert threading.active_count() == threads, "a thread was started"
assert sys.excepthook is hook, "excepthook replaced"
assert redaction.SECRETS.values() == () and redaction.current_run() is None, "secrets"
print("ok")
"""


def test_importing_the_library_changes_nothing_global() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
