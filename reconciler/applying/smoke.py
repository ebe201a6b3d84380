"""Smoke queries: prove an endpoint answers, not only that it is READY.

An endpoint can be READY and fail every query (a wrong provider key or secret scope, a
wrong Azure deployment name, a retired model). A smoke query is one small request in the
endpoint's task format (or the manifest's own ``smoke_test.request``), sent once, and its
answer checked for the task's shape (``choices[].message``, ``choices[].text``,
``data[].embedding``; ``usage`` present) and for the manifest's ``expect`` keys.

``smoke_request`` and ``check_answer`` are pure; ``run_smoke`` sends through the registry
layer (``registry.queries``, the only place that speaks HTTP). ``reconciler test``,
``apply --smoke`` and the gates of ``apply --progressive`` all use them.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reconciler import errors
from reconciler.applying.report import ApplyReport, EndpointOutcome, SmokeResult
from reconciler.model.endpoint import ServingEndpoint
from reconciler.registry import RegistryClient
from reconciler.registry.pacing import for_each
from reconciler.registry.queries import QueryAnswer, query_endpoint

CHAT, COMPLETIONS, EMBEDDINGS = "llm/v1/chat", "llm/v1/completions", "llm/v1/embeddings"
PROMPT = "Reply with the single word OK."
MAX_TOKENS = 5  # a smoke query costs a few tokens (docs/testing-endpoints.md)
DEFAULT_REQUESTS: dict[str, dict[str, Any]] = {
    CHAT: {"messages": [{"role": "user", "content": PROMPT}], "max_tokens": MAX_TOKENS},
    COMPLETIONS: {"prompt": PROMPT, "max_tokens": MAX_TOKENS},
    EMBEDDINGS: {"input": ["smoke test"]},
}
# Per task: the list member, the member each item must carry, and its expected type.
_SHAPES: dict[str, tuple[str, str, type]] = {
    CHAT: ("choices", "message", dict),
    COMPLETIONS: ("choices", "text", str),
    EMBEDDINGS: ("data", "embedding", list),
}

SMOKE_REPORT_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class SmokeRequest:
    """What to send to one endpoint and what its answer must hold."""

    payload: dict[str, Any]
    task: str | None
    expect: tuple[str, ...] = ()
    source: Literal["task", "manifest"] = "task"


class SmokeReport(BaseModel):
    """Every smoke query of one ``reconciler test`` run (schema: docs/testing-endpoints.md)."""

    model_config = ConfigDict(frozen=True)

    schema_version: int = SMOKE_REPORT_SCHEMA_VERSION
    project: str
    target_name: str
    results: list[SmokeResult] = Field(default_factory=list)
    duration_seconds: float = 0.0

    def count(self, kind: str) -> int:
        return sum(1 for r in self.results if r.result == kind)

    @property
    def ok(self) -> bool:
        return self.count("failed") == 0


def manifest_task(endpoint: ServingEndpoint) -> str | None:
    models = endpoint.external_models()
    return models[0].task if models and models[0].task else None


def smoke_request(endpoint: ServingEndpoint, live_task: str | None = None
                  ) -> SmokeRequest | str:
    """The endpoint's smoke request, or the reason it has none (then it is skipped)."""
    task = manifest_task(endpoint) or live_task
    declared = endpoint.smoke_test
    if declared is not None:
        return SmokeRequest(copy.deepcopy(declared.request), task, tuple(declared.expect or ()),
                            "manifest")
    if task in DEFAULT_REQUESTS:
        return SmokeRequest(copy.deepcopy(DEFAULT_REQUESTS[task]), task)
    if task is not None:
        return f"task {task!r} has no built-in smoke request: declare smoke_test.request"
    if endpoint.served_entities() or (endpoint.config and endpoint.config.served_models):
        return "a custom-model endpoint needs smoke_test.request in its manifest"
    return "no task and no smoke_test.request"


def check_answer(request: SmokeRequest, body: Any) -> str | None:
    """The first problem with a successful answer's body, or None when it fits."""
    if not isinstance(body, dict):
        return "the answer is not a JSON object"
    shape = _SHAPES.get(request.task or "")
    if shape is not None:
        member, inner, kind = shape
        items = body.get(member)
        if not isinstance(items, list) or not items:
            return f"the answer has no {member}[] (expected for {request.task})"
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get(inner), kind):
                return f"{member}[{index}].{inner} is missing or not a{_article(kind)}"
        if not isinstance(body.get("usage"), dict):
            return "the answer has no usage"
    for path in request.expect:
        if not _has_path(body, path):
            return f"the answer has no {path!r} (smoke_test.expect)"
    return None


def _article(kind: type) -> str:
    articles: dict[type, str] = {dict: "n object", str: " string", list: " list"}
    return articles[kind]


def parse_expect_path(path: str) -> list[str | int] | None:
    """``choices.0.text`` -> ``["choices", 0, "text"]``; None when malformed."""
    parts = path.split(".")
    if not path or any(not p for p in parts):
        return None
    return [int(p) if p.isdigit() else p for p in parts]


def _has_path(body: Any, path: str) -> bool:
    current = body
    for part in parse_expect_path(path) or [path]:
        in_list = isinstance(part, int) and isinstance(current, list) and part < len(current)
        in_object = isinstance(part, str) and isinstance(current, dict) and part in current
        if not (in_list or in_object):
            return False
        current = current[part]
    return True


def result_of(name: str, request: SmokeRequest, answer: QueryAnswer,
              entity: str | None = None) -> SmokeResult:
    """Judge one answer: passed when it is a 2xx whose body fits the request's task."""
    common: dict[str, Any] = {
        "name": name, "served_entity": entity, "task": request.task,
        "request_source": request.source, "latency_ms": answer.latency_ms,
        "status_code": answer.status, "answered_by": answer.served_entity,
    }
    if not answer.ok:
        message = answer.message or "the endpoint answered with an error"
        return SmokeResult(result="failed", error_code=answer.error_code, message=message,
                           **common)
    problem = check_answer(request, answer.body)
    if problem is not None:
        return SmokeResult(result="failed", message=problem, **common)
    return SmokeResult(result="passed", **common)


async def run_smoke(registry: RegistryClient, name: str, request: SmokeRequest, *,
                    entity: str | None = None, timeout: float = 60.0) -> SmokeResult:
    """Send the smoke request once (to one entity when ``entity`` is given) and judge it."""
    answer = await query_endpoint(registry, name, request.payload, entity=entity,
                                  timeout=timeout)
    return result_of(name, request, answer, entity)


def skipped(name: str, reason: str, task: str | None = None) -> SmokeResult:
    return SmokeResult(name=name, result="skipped", task=task, message=reason)


def failed(name: str, message: str, task: str | None = None) -> SmokeResult:
    return SmokeResult(name=name, result="failed", task=task, message=message)


def live_entity_names(live: Mapping[str, Any]) -> list[str]:
    """The served entities of a live endpoint's active config, by name."""
    config = live.get("config") or {}
    entities: Sequence[Any] = config.get("served_entities") or config.get("served_models") or []
    return sorted(str(e["name"]) for e in entities if isinstance(e, dict) and e.get("name"))


@dataclass(frozen=True)
class SmokeSettings:
    select: tuple[str, ...] = ()
    each_entity: bool = False
    timeout: float = 60.0  # seconds per query
    parallelism: int = 8


async def smoke_endpoint(registry: RegistryClient, endpoint: ServingEndpoint,
                         settings: SmokeSettings) -> list[SmokeResult]:
    """The smoke results of one endpoint (one, or one per live entity with each_entity)."""
    name = endpoint.name
    try:
        view = await registry.read_endpoint(name)
    except errors.RegistryError as exc:
        return [failed(name, f"cannot read the endpoint: {exc}")]
    if view is None:
        return [failed(name, "the endpoint does not exist on the target (apply first)")]
    live = view.raw
    task = live.get("task") if isinstance(live.get("task"), str) else None
    request = smoke_request(endpoint, task)
    if isinstance(request, str):
        return [skipped(name, request, task)]
    if not live.get("config"):
        state = live.get("state") or {}
        return [failed(name, f"no active config yet (state: ready={state.get('ready')}, "
                             f"config_update={state.get('config_update')})", request.task)]
    if not settings.each_entity:
        return [await run_smoke(registry, name, request, timeout=settings.timeout)]
    return [await run_smoke(registry, name, request, entity=entity, timeout=settings.timeout)
            for entity in live_entity_names(live)]


SMOKED_ACTIONS = frozenset({"create", "update", "recreate"})


async def smoke_after_apply(report: ApplyReport, registry: RegistryClient,
                            endpoints: Mapping[str, ServingEndpoint],
                            settings: SmokeSettings) -> ApplyReport:
    """``apply --smoke``: each created or changed endpoint that apply finished gets its smoke
    query; a failed one becomes ``failed (smoke)`` with the status and message."""
    results: dict[str, SmokeResult] = {}
    chosen = [o for o in report.outcomes
              if o.status == "done" and o.action in SMOKED_ACTIONS and o.name in endpoints]

    async def one(outcome: EndpointOutcome) -> None:
        found = await smoke_endpoint(registry, endpoints[outcome.name], settings)
        results[outcome.name] = next((r for r in found if r.result == "failed"), found[0])

    await for_each(chosen, one, workers=settings.parallelism)
    outcomes = [with_smoke(o, results[o.name]) if o.name in results else o
                for o in report.outcomes]
    return report.model_copy(update={"outcomes": outcomes})


def with_smoke(outcome: EndpointOutcome, result: SmokeResult) -> EndpointOutcome:
    """``outcome`` with its smoke result: a failed query makes it ``failed (smoke)``."""
    if result.result == "failed":
        return outcome.model_copy(update={
            "status": "failed", "failure": "smoke", "smoke": result,
            "error": f"smoke query failed: {result.describe()}"})
    note = (f"smoke passed in {result.latency_ms:.0f} ms" if result.result == "passed"
            else f"smoke skipped: {result.message}")
    joined = "; ".join(n for n in (outcome.note, note) if n)
    return outcome.model_copy(update={"smoke": result, "note": joined})
