"""Generated projects and request-log checks shared by the reliability tests and bench/scale.py.

A generated project has ``count`` external-model endpoints in one manifest file, each with
tags and AI Gateway settings, so an apply exercises the create path and later edits can
touch one facet (tags) or another (AI Gateway rate limits) on every endpoint.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

API = "/api/2.0/serving-endpoints"
TOKEN_ENV = "RELIABILITY_EMULATOR_TOKEN"


def write_project(root: Path, count: int, *, target: str, prefix: str = "ep",
                  project: str = "reliability", tier: str = "gold", calls: int = 100,
                  model: str = "gpt-4o-mini") -> Path:
    """Write ``reconciler.yaml`` and ``endpoints/all.yaml``; ``target`` is a flow mapping,
    e.g. ``{local: .reconciler/local.db}`` or ``{host: 'http://...', token_env: X}``."""
    (root / "endpoints").mkdir(parents=True, exist_ok=True)
    (root / "reconciler.yaml").write_text(
        f"project: {project}\nmanifests: [endpoints/]\ndefault_target: t\n"
        f"targets:\n  t: {target}\n", encoding="utf-8")
    set_manifests(root, count, prefix=prefix, tier=tier, calls=calls, model=model)
    return root


def set_manifests(root: Path, count: int, *, prefix: str = "ep", tier: str = "gold",
                  calls: int = 100, model: str = "gpt-4o-mini") -> None:
    """(Re)write the manifests: ``tier`` is a tag, ``calls`` an AI Gateway rate limit,
    ``model`` the external model (a config change)."""
    documents = [
        f"name: {prefix}-{index:05d}\n"
        f"tags: {{team: reliability, tier: {tier}}}\n"
        "config:\n  served_entities:\n    - name: chat\n      external_model:\n"
        f"        name: {model}\n        provider: openai\n        task: llm/v1/chat\n"
        "        openai_config: {openai_api_key: '{{secrets/reliability/openai}}'}\n"
        "ai_gateway:\n  usage_tracking_config: {enabled: true}\n"
        f"  rate_limits: [{{key: user, renewal_period: minute, calls: {calls}}}]\n"
        for index in range(count)
    ]
    (root / "endpoints" / "all.yaml").write_text("---\n".join(documents), encoding="utf-8")


def read_log(path: Path) -> list[dict[str, Any]]:
    """The emulator's request log (API calls only, not its /_emulator/ controls)."""
    if not path.exists():
        return []
    text = path.read_text()
    # A server that is still running may be half-way through writing its last line: only
    # lines that end in a newline are complete.
    complete = text[: text.rfind("\n") + 1]
    rows = [json.loads(line) for line in complete.splitlines() if line.strip()]
    return [r for r in rows if not str(r.get("path", "")).startswith("/_emulator/")]


def successful_creates(rows: Iterable[dict[str, Any]]) -> int:
    """Creates the server performed: answered 200, or dropped after being served."""
    return sum(1 for r in rows if r["method"] == "POST" and r["path"].rstrip("/") == API
               and (r.get("status") == 200 or r.get("fault") == "drop-after"))


def status_counts(rows: Iterable[dict[str, Any]]) -> Counter[str]:
    """``{"200": n, "429": n, "503": n, "drop-before": n, ...}``: what the server did."""
    return Counter(str(r.get("fault") or r.get("status")) for r in rows)
