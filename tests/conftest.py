"""Shared test fixtures."""

import os

from hypothesis import settings

# Under pytest-xdist (``.ci/run`` runs ``pytest -n``) every worker is a process of its own:
# Hypothesis's example database is off there, so no two workers write one directory and a
# run does not depend on which worker drew a test before. A plain ``pytest`` keeps it.
if os.environ.get("PYTEST_XDIST_WORKER"):
    settings.register_profile("xdist-worker", database=None)
    settings.load_profile("xdist-worker")
