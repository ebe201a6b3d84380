"""Rules about an endpoint's own smoke query (``smoke_test``, never sent to the management
API): its request fits the endpoint's task, and its expected keys are well-formed paths.

The task fields mirror what a query to such an endpoint is refused for (400), so a smoke
request that passes here is not failed by its own shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.model.endpoint import ServingEndpoint
from reconciler.validation.rules import Finding, Rule, ValidationContext

# Per task: the field a request must carry, and the fields of the other tasks it must not.
TASK_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "llm/v1/chat": ("messages", ("prompt", "input")),
    "llm/v1/completions": ("prompt", ("messages", "input")),
    "llm/v1/embeddings": ("input", ("messages", "prompt", "max_tokens")),
}
EXPECT_PATH = re.compile(r"^[^.\s]+(\.[^.\s]+)*$")


def _task(ep: ServingEndpoint) -> str | None:
    models = ep.external_models()
    return models[0].task if models else None


def _check_smoke_test(ep: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    smoke = ep.smoke_test
    if smoke is None:
        return
    if not smoke.request:
        yield ("smoke_test", "request"), "smoke_test.request is empty: give the query's body"
    task = _task(ep)
    if task in TASK_FIELDS and smoke.request:
        needed, foreign = TASK_FIELDS[task]
        if needed not in smoke.request:
            yield (("smoke_test", "request"),
                   f"a {task} endpoint's smoke request needs '{needed}'")
        for field in foreign:
            if field in smoke.request:
                yield (("smoke_test", "request", field),
                       f"'{field}' is not a field for an endpoint with task {task}")
    for index, path in enumerate(smoke.expect or []):
        if not EXPECT_PATH.match(path):
            yield (("smoke_test", "expect", index),
                   f"{path!r} is not an answer key path (dotted, e.g. choices.0.message)")


SMOKE_RULES: tuple[Rule, ...] = (
    Rule(
        "ENDPOINT-016",
        "`smoke_test.request` fits the endpoint's task (`messages`, `prompt` or `input`) and "
        "`smoke_test.expect` lists dotted answer key paths.",
        "endpoint",
        check=_check_smoke_test,
    ),
)
