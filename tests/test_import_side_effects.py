"""Importing the library changes nothing global in the host process (a notebook, a service)."""

from __future__ import annotations

import subprocess
import sys

# sniffio may be installed here; the library's fix applies when it is not, so hide it.
PROBE = """
import importlib.util, sys
_find = importlib.util.find_spec
importlib.util.find_spec = lambda name, *a: None if name == "sniffio" else _find(name, *a)
missing_before = {k for k, v in sys.modules.items() if v is None}
import reconciler.api, reconciler.registry, reconciler.applying.executor
assert {k for k, v in sys.modules.items() if v is None} == missing_before, "None entries added"
print("ok")
"""


def test_importing_the_library_marks_no_module_missing() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
