"""A small GitOps project on the embedded local target, the CLI run in-process, and the
emulator opened on the same SQLite file to change endpoints behind the repository's back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support.emulator_inprocess import InProcessApi

API = "/api/2.0/serving-endpoints"

PROJECT = """\
project: drift-test
project_id: d41f7e0c9b2a5863
manifests: [endpoints/]
targets:
  local: {local: .reconciler/local.db}
"""

CHAT = """\
name: chat
tags: {team: genai, tier: gold}
config:
  served_entities:
    - name: gpt
      external_model:
        name: gpt-4o
        provider: openai
        task: llm/v1/chat
        openai_config: {openai_api_key: "{{secrets/ai/openai}}"}
ai_gateway:
  usage_tracking_config: {enabled: true}
  rate_limits:
    - {key: user, calls: 20, renewal_period: minute}
"""

EMBED = """\
name: embed
tags: {team: genai}
config:
  served_entities:
    - name: ada
      external_model:
        name: text-embedding-3-small
        provider: openai
        task: llm/v1/embeddings
        openai_config: {openai_api_key: "{{secrets/ai/openai}}"}
"""


def write_project(root: Path, **manifests: str) -> Path:
    (root / "endpoints").mkdir(parents=True)
    (root / "reconciler.yaml").write_text(PROJECT)
    for name, text in (manifests or {"chat": CHAT, "embed": EMBED}).items():
        (root / "endpoints" / f"{name}.yaml").write_text(text)
    return root


def behind_our_back(root: Path) -> InProcessApi:
    """The emulator on the project's local registry file: someone else's client."""
    return InProcessApi(db_path=root / ".reconciler" / "local.db")


def live(root: Path, name: str) -> dict[str, Any]:
    with behind_our_back(root) as api:
        body: dict[str, Any] = api.get(f"{API}/{name}").json()
    return body


def tags_of(body: dict[str, Any]) -> dict[str, str]:
    return {t["key"]: t.get("value", "") for t in body.get("tags") or []}
