"""Deterministic answers to queries (``POST /serving-endpoints/{name}/invocations`` and the
OpenAI-compatible routes), in the documented OpenAI-like shapes.

Nothing is forwarded to a provider: the text is canned and derived from the request, so a
test can assert on it and two identical requests get identical answers (only ``created``
follows the clock). Token counts use the service's own estimate, (characters + 1) / 4.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from reconciler.emulator import schemas, validation
from reconciler.emulator.api_error import ApiError, invalid

Doc = dict[str, Any]
EMBEDDING_SIZE = 16
CHAT_ONLY = ("messages",)
COMPLETIONS_ONLY = ("prompt",)
EMBEDDINGS_ONLY = ("input",)
CUSTOM_ONLY = ("dataframe_split", "dataframe_records", "instances", "inputs")


def tokens(text: str) -> int:
    return max(1, (len(text) + 1) // 4)


def _digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _reply(model: str, text: str, index: int, max_tokens: int | None) -> str:
    snippet = " ".join(text.split())[:60]
    words = f"Emulated answer {index + 1} from {model} to: {snippet}".split()
    if max_tokens is not None:
        words = words[:max_tokens]
    return " ".join(words)


def _entities(config: Doc) -> dict[str, Doc]:
    return {e["name"]: e
            for e in config.get("served_entities") or config.get("served_models") or []}


def served_entity(config: Doc, draw: float) -> Doc:
    """The entity that answers a query: the traffic split decides, by ``draw`` in [0, 1).

    Routes are taken in name order, each owning its share of [0, 100); an entity with 0 %
    never answers through the endpoint (only through its own served-models route).
    """
    entities = _entities(config)
    shares = sorted(
        (str(r.get("served_entity_name") or r.get("served_model_name")),
         float(r.get("traffic_percentage") or 0))
        for r in (config.get("traffic_config") or {}).get("routes") or [])
    live = [(name, share) for name, share in shares if share > 0 and name in entities]
    point, start = draw * 100, 0.0
    for name, share in live:
        start += share
        if point < start:
            return entities[name]
    # No routes (or shares short of 100): the last live entity, else the first one.
    return entities[live[-1][0]] if live else next(iter(entities.values()))


def named_entity(doc: Doc, entity_name: str) -> Doc:
    """The entity a served-models route names, which must be in the active config."""
    config = doc.get("config") or {}
    entity = _entities(config).get(entity_name)
    if entity is not None:
        return entity
    if entity_name in _entities(doc.get("pending_config") or {}):
        raise ApiError(400, "INVALID_STATE",
                       f"Served entity '{entity_name}' of endpoint '{doc['name']}' is not "
                       "ready yet.")
    raise ApiError(404, "RESOURCE_DOES_NOT_EXIST",
                   f"Served entity '{entity_name}' does not exist in endpoint "
                   f"'{doc['name']}'.")


def _task(entity: Doc) -> str | None:
    model = entity.get("external_model")
    return str(model["task"]) if model else None


def _forbid(payload: Doc, fields: tuple[str, ...], task: str) -> None:
    present = [f for f in fields if payload.get(f) is not None]
    if present:
        raise invalid(f"'{present[0]}' is not a valid field for an endpoint with task "
                      f"'{task}'.")


def answering_entity(doc: Doc, payload: Doc, draw: float, entity_name: str | None) -> Doc:
    """Which entity answers: the one named (served-models route) or the split's choice."""
    validation.check_body(schemas.QUERY, payload)
    config = doc.get("config")
    if not config:
        raise ApiError(400, "INVALID_STATE", f"Endpoint '{doc['name']}' is not ready yet.")
    return named_entity(doc, entity_name) if entity_name else served_entity(config, draw)


def answer(doc: Doc, payload: Doc, now_s: int, draw: float = 0.0) -> tuple[Doc, str]:
    """The response body and the ``served-model-name`` header for a ready endpoint, the
    answering entity chosen by the traffic split at ``draw``."""
    return entity_answer(answering_entity(doc, payload, draw, None), payload, now_s)


def entity_answer(entity: Doc, payload: Doc, now_s: int) -> tuple[Doc, str]:
    """The response body and the ``served-model-name`` header, as ``entity`` answers."""
    task = _task(entity)
    model = str((entity.get("external_model") or {}).get("name") or entity["name"])
    if task == "llm/v1/chat":
        _forbid(payload, COMPLETIONS_ONLY + EMBEDDINGS_ONLY + CUSTOM_ONLY, task)
        body = _chat(model, payload, now_s)
    elif task == "llm/v1/completions":
        _forbid(payload, CHAT_ONLY + EMBEDDINGS_ONLY + CUSTOM_ONLY, task)
        body = _completions(model, payload, now_s)
    elif task == "llm/v1/embeddings":
        _forbid(payload, CHAT_ONLY + COMPLETIONS_ONLY + CUSTOM_ONLY +
                ("max_tokens", "n", "temperature", "stop", "stream"), task)
        body = _embeddings(model, payload)
    else:
        _forbid(payload, CHAT_ONLY + COMPLETIONS_ONLY + EMBEDDINGS_ONLY, "custom model")
        body = _predictions(payload)
    return body, str(entity["name"])


def _chat(model: str, payload: Doc, now_s: int) -> Doc:
    messages = payload.get("messages")
    if not messages:
        raise invalid("'messages' is required for a chat endpoint.")
    prompt = "\n".join(str(m.get("content") or "") for m in messages)
    last = next((str(m.get("content") or "") for m in reversed(messages)
                 if m.get("role") == "user"), prompt)
    n = int(payload.get("n") or 1)
    texts = [_reply(model, last, i, payload.get("max_tokens")) for i in range(n)]
    return {
        "id": "chatcmpl-" + _digest(model, messages, n)[:24],
        "object": "chat.completion",
        "created": now_s,
        "model": model,
        "choices": [
            {"index": i, "message": {"role": "assistant", "content": text},
             "finish_reason": "stop"}
            for i, text in enumerate(texts)
        ],
        "usage": _usage(prompt, texts, payload.get("max_tokens")),
    }


def _prompts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(p, str) for p in value):
        return list(value)
    raise invalid("'prompt' must be a string or a non-empty list of strings.")


def _completions(model: str, payload: Doc, now_s: int) -> Doc:
    if payload.get("prompt") is None:
        raise invalid("'prompt' is required for a completions endpoint.")
    prompts = _prompts(payload["prompt"])
    n = int(payload.get("n") or 1)
    texts = [_reply(model, p, i, payload.get("max_tokens")) for p in prompts for i in range(n)]
    return {
        "id": "cmpl-" + _digest(model, prompts, n)[:24],
        "object": "text_completion",
        "created": now_s,
        "model": model,
        "choices": [
            {"text": text, "index": i, "logprobs": None, "finish_reason": "stop"}
            for i, text in enumerate(texts)
        ],
        "usage": _usage("".join(prompts), texts, payload.get("max_tokens")),
    }


def _embeddings(model: str, payload: Doc) -> Doc:
    if payload.get("input") is None:
        raise invalid("'input' is required for an embeddings endpoint.")
    value = payload["input"]
    inputs = [value] if isinstance(value, str) else value
    if not isinstance(inputs, list) or not inputs or not all(isinstance(i, str) for i in inputs):
        raise invalid("'input' must be a string or a non-empty list of strings.")
    data = []
    for index, text in enumerate(inputs):
        raw = hashlib.sha256(text.encode()).digest()
        vector = [round((raw[i] - 127.5) / 127.5, 6) for i in range(EMBEDDING_SIZE)]
        data.append({"object": "embedding", "index": index, "embedding": vector})
    used = sum(tokens(t) for t in inputs)
    return {"object": "list", "data": data, "model": model,
            "usage": {"prompt_tokens": used, "total_tokens": used}}


def _predictions(payload: Doc) -> Doc:
    rows: Any = None
    if isinstance(payload.get("dataframe_split"), dict):
        rows = payload["dataframe_split"].get("data")
    for field in ("dataframe_records", "instances", "inputs"):
        if rows is None and payload.get(field) is not None:
            rows = payload[field]
    if not isinstance(rows, list):
        raise invalid("Give one of dataframe_split, dataframe_records, instances or inputs.")
    return {"predictions": [0.0 for _ in rows]}


def _usage(prompt: str, texts: list[str], max_tokens: int | None) -> Doc:
    prompt_tokens = tokens(prompt)
    completion = sum(min(tokens(t), max_tokens or tokens(t)) for t in texts)
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion,
            "total_tokens": prompt_tokens + completion}


def stream_chunks(body: Doc) -> Iterator[str]:
    """Server-sent events for ``stream: true``: one chunk per choice, then ``[DONE]``."""
    for choice in body.get("choices") or []:
        if body["object"] == "chat.completion":
            chunk_choice = {"index": choice["index"], "delta": choice["message"],
                            "finish_reason": "stop"}
            kind = "chat.completion.chunk"
        else:
            chunk_choice = dict(choice)
            kind = "text_completion"
        chunk = {"id": body["id"], "object": kind, "created": body["created"],
                 "model": body["model"], "choices": [chunk_choice], "usage": body["usage"]}
        yield "data: " + json.dumps(chunk) + "\n\n"
    yield "data: [DONE]\n\n"
