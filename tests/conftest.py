"""Shared test fixtures, and how the suite runs under pytest-xdist (``.ci/run``: ``-n``)."""

import os

import pytest
from hypothesis import settings

XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")

# Every xdist worker is a process of its own: Hypothesis's example database is off there, so
# no two workers write one directory and a run does not depend on which worker drew a test
# before. A plain ``pytest`` keeps it.
if XDIST_WORKER:
    settings.register_profile("xdist-worker", database=None)
    settings.load_profile("xdist-worker")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist, the slow and e2e tests (seconds to a minute each), and so with
    ``--dist loadfile`` their files, are handed out first and the many quick ones fill in
    after them, so no worker is left with a long test at the end while the others idle. The
    order is the same on every worker, as xdist requires; a plain ``pytest`` keeps the
    files' order."""
    if not XDIST_WORKER:
        return
    items.sort(key=lambda item: 0 if item.get_closest_marker("slow")
               or item.get_closest_marker("e2e") else 1)
