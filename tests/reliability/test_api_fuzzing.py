"""API fuzzing of the emulator from its own OpenAPI description, with schemathesis.

Every operation in ``GET /_emulator/openapi.json`` gets generated requests (valid and
invalid bodies, paths and query strings) against the app in-process, over a SQLite file.
Checks: never a 5xx, and every answer's content type and (for documented statuses) body
match the description. A documented 400 for a body that fits the schema but breaks a
cross-field rule is a correct answer, not a failure. Afterwards the store must not be
corrupted: ``PRAGMA integrity_check`` is ``ok`` and every stored endpoint still GETs and
parses as an endpoint.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)
from support.emulator_server import EmulatorServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    work = tmp_path_factory.mktemp("fuzz")
    with EmulatorServer.start(db_path=work / "fuzz.db", log_path=work / "server.log") as server:
        yield server


EXAMPLES_PER_OPERATION = 25
TRIED: dict[str, int] = {}


def test_no_operation_answers_a_server_error(fuzzed_server: EmulatorServer) -> None:
    """Each documented operation, bounded examples (schemathesis's pytest plugin does not load
    under this pytest, so operations are driven with hypothesis directly)."""
    schema = schemathesis.openapi.from_url(fuzzed_server.url + "/_emulator/openapi.json")
    headers = {"Authorization": f"Bearer {fuzzed_server.token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10, "the description lists the API"
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case: schemathesis.Case) -> None:
            TRIED[case.operation.label] = TRIED.get(case.operation.label, 0) + 1
            response = case.call(headers=headers)
            case.validate_response(
                response, checks=[not_a_server_error, content_type_conformance,
                                  response_schema_conformance])

        fuzz()
    print("schemathesis requests per operation:", TRIED, "total", sum(TRIED.values()))


def test_the_store_is_intact_after_fuzzing(fuzzed_server: EmulatorServer) -> None:
    # Runs after the fuzzing above (file order): whatever was written must read back.
    assert fuzzed_server.db_path is not None
    with sqlite3.connect(Path(fuzzed_server.db_path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    headers = {"Authorization": f"Bearer {fuzzed_server.token}"}
    with httpx.Client(base_url=fuzzed_server.url, headers=headers, timeout=30) as client:
        listed = client.get("/api/2.0/serving-endpoints")
        assert listed.status_code == 200
        endpoints = listed.json().get("endpoints", [])
        for item in endpoints:
            name = item["name"]
            got = client.get(f"/api/2.0/serving-endpoints/{quote(name, safe='')}")
            assert got.status_code == 200, (name, got.text)
            body = got.json()
            assert body["name"] == name and isinstance(body.get("state", {}), dict)
            json.dumps(body)
