"""Issue 12 item 4: a calls limit and a tokens limit may share a key; the diff keys by slot."""

from __future__ import annotations

import asyncio
from pathlib import Path

from support.roundtrip import converge, problems, write_project

from reconciler.diff.normalise import minimal_form

ENDPOINT = """\
name: chat
config:
  served_entities:
    - name: gpt-4o
      external_model:
        name: gpt-4o
        provider: openai
        task: llm/v1/chat
        openai_config: {openai_api_key: "{{secrets/genai/openai_api_key}}"}
ai_gateway:
  rate_limits:
"""
SPLIT = """\
    - {key: user, calls: 20, renewal_period: minute}
    - {key: user, tokens: 10000, renewal_period: minute}
"""


def test_calls_and_tokens_limits_for_one_key_validate_apply_and_converge(
    tmp_path: Path,
) -> None:
    root = write_project(tmp_path, {"chat.yaml": ENDPOINT + SPLIT})
    assert problems(root) == []
    result = asyncio.run(converge(tmp_path, root))
    assert result.report.ok, [o.error for o in result.report.failed]
    assert result.changed_after() == {}
    (live,) = result.emulator_gets
    assert len(live["ai_gateway"]["rate_limits"]) == 2


def test_two_calls_limits_for_one_key_are_still_duplicates(tmp_path: Path) -> None:
    twice = SPLIT.replace("tokens: 10000", "calls: 30")
    root = write_project(tmp_path, {"chat.yaml": ENDPOINT + twice})
    (problem,) = problems(root)
    assert problem.startswith("ENDPOINT-009")
    assert "another rate limit already sets 'calls' for key 'user'" in problem


def test_one_entry_with_both_equals_two_entries_with_one_each() -> None:
    def form(limits: list[dict[str, object]]) -> dict[str, object]:
        return minimal_form({"name": "chat", "ai_gateway": {"rate_limits": limits}}, "chat")

    both = [{"key": "user", "calls": 20, "tokens": 10000, "renewal_period": "minute"}]
    split = [{"key": "user", "calls": 20}, {"key": "user", "tokens": 10000}]
    assert form(both) == form(split)
    assert form(split)["ai_gateway"] == {
        "rate_limits": {"user/calls": {"calls": 20}, "user/tokens": {"tokens": 10000}}
    }
