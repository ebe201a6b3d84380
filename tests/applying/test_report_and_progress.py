"""How the apply report and the progress display read."""

from __future__ import annotations

import io
import json

from reconciler.applying.report import ApplyReport, EndpointOutcome
from reconciler.cli.progress import ProgressDisplay, format_waiting
from reconciler.redaction import register_secret
from reconciler.render.apply_report import render_apply_json, render_apply_text


def report() -> ApplyReport:
    register_secret("sk-live-abcdef123456")
    return ApplyReport(
        project="p", target_name="prod", duration_seconds=2.34,
        calls={"total": 7, "GET": 4, "PATCH": 1, "POST": 2},
        outcomes=[
            EndpointOutcome(name="a", action="create", status="done", waited_seconds=5.21),
            EndpointOutcome(name="b", action="update", status="done", facets=["tags"]),
            EndpointOutcome(name="c", action="update", status="failed", failure="stale-plan",
                            error="stale plan: 'c' changed; key sk-live-abcdef123456"),
            EndpointOutcome(name="d", action="no-op", status="skipped", note="up to date"),
        ])


def test_text_report_lists_what_was_done_and_failed() -> None:
    text = render_apply_text(report())
    assert "+ a: created (waited 5.2s)" in text
    assert "~ b: updated tags" in text
    assert "! c: FAILED (stale-plan): stale plan: 'c' changed" in text
    assert " d:" not in text  # unchanged endpoints are only counted
    assert text.endswith(
        "Apply finished with errors: 2 done, 1 failed, 1 unchanged; 7 API calls in 2.3s.")
    assert "sk-live-abcdef123456" not in text


def test_json_report_is_versioned_and_masked() -> None:
    data = json.loads(render_apply_json(report()))
    assert data["schema_version"] == 1 and data["ok"] is False
    assert [o["status"] for o in data["outcomes"]] == ["done", "done", "failed", "skipped"]
    assert data["calls"]["total"] == 7
    assert "sk-live-abcdef123456" not in json.dumps(data)


def test_waiting_status_names_the_longest_waits() -> None:
    line = format_waiting([(f"ep-{i}", float(i * 30)) for i in range(8)])
    assert line.startswith("still updating (8): ep-7 3m30s, ep-6 3m00s")
    assert line.endswith("and 2 more")


def test_progress_outside_a_terminal_is_throttled() -> None:
    stream = io.StringIO()
    now = [0.0]
    display = ProgressDisplay(stream, interactive=False, clock=lambda: now[0])
    for second in range(30):
        now[0] = float(second)
        display.waiting([("a", float(second))])
    assert stream.getvalue().count("still updating") == 3  # at 0 s, 10 s and 20 s
    display.event("a", "update (tags)")
    display.event("a", "done")
    assert stream.getvalue().count("a: update (tags)") == 1
    assert "a: done" not in stream.getvalue()


def test_a_stopped_apply_lists_what_was_not_started_and_what_was_interrupted() -> None:
    stopped = ApplyReport(
        project="p", target_name="prod", duration_seconds=0.4, stopped="now",
        calls={"total": 3},
        outcomes=[
            EndpointOutcome(name="a", action="update", status="done", facets=["tags"]),
            EndpointOutcome(name="b", action="update", status="interrupted",
                            facets=["config", "tags"],
                            requests=["PUT /api/2.0/serving-endpoints/b/config"],
                            note="stopped at once while writing tags (patch_tags)"),
            EndpointOutcome(name="c", action="create", status="not-started",
                            facets=["config", "tags"], note="not started: apply is stopping"),
        ])
    text = render_apply_text(stopped)
    assert ("! b: INTERRUPTED: stopped at once while writing tags (patch_tags) (sent: PUT "
            "/api/2.0/serving-endpoints/b/config)") in text
    assert "  c: not started (create config, tags): apply was stopping; left untouched" in text
    assert text.endswith("Apply stopped at once: 1 done, 1 interrupted, 1 not started, "
                         "0 unchanged; 3 API calls in 0.4s.")
    assert not stopped.ok
    data = json.loads(render_apply_json(stopped))
    assert data["stopped"] == "now" and data["ok"] is False
