"""The logic of the repository's GitHub Action (``action.yml``): run a command, report it.

``python -m reconciler.github_action`` reads the action's inputs (``INPUT_COMMAND``,
``INPUT_PROJECT``, ``INPUT_TARGET``, ``INPUT_ARGS``, ``INPUT_PLAN_FILE``,
``INPUT_ARTIFACT_NAME``) and the runner's ``GITHUB_*`` variables, then:

- ``validate``: ``reconciler validate --format github`` (annotations on the diff);
- ``plan``: ``reconciler plan --out PLAN_FILE --format markdown``; on a pull request it posts
  ONE comment, or edits it on later pushes (found by a hidden marker naming project and
  target), holding the Markdown plan, the commit it was planned from, a link to the run, and,
  when planning failed, the error. The action then keeps PLAN_FILE as an artifact;
- ``apply``: applies the reviewed plan, never a new one: PLAN_FILE when it is there, else the
  plan artifact of the pull request merged into this commit (downloaded through the REST
  API). ``reconciler apply`` refuses it when the live state moved since (stale plan);
- ``drift``: ``reconciler drift --format markdown`` into the job summary (exit 2 on drift).

It drives the ``reconciler`` command line as a subprocess, exactly as a workflow's shell step
would, and talks to GitHub with the standard library only (``GITHUB_API_URL``, so a test can
point it at a loopback fake). Everything the CLI prints is already masked by its redaction
layer; the comment holds nothing else but the commit, the run link and the marker.
"""

from __future__ import annotations

import io
import json
import os
import shlex
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

COMMANDS = ("validate", "plan", "apply", "drift")
MARKER = "<!-- serving-reconciler plan: {key} -->"
# GitHub's limit for a comment body; the Markdown plan stays under 60,000 by itself.
COMMENT_LIMIT = 65_536
ERROR_LIMIT = 3_000


class ActionError(Exception):
    """A problem the action reports as one ``::error::`` line and exit 1."""


@dataclass(frozen=True)
class Inputs:
    command: str
    project: str
    target: str
    args: tuple[str, ...]
    plan_file: Path
    artifact_name: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Inputs:
        """The inputs as action.yml passes them (``INPUT_*``; GitHub's own naming)."""
        command = env.get("INPUT_COMMAND", "plan").strip()
        if command not in COMMANDS:
            raise ActionError(f"command must be one of {', '.join(COMMANDS)}, got {command!r}")
        target = env.get("INPUT_TARGET", "").strip()
        return cls(
            command=command,
            project=env.get("INPUT_PROJECT", "").strip() or ".",
            target=target,
            args=tuple(shlex.split(env.get("INPUT_ARGS", ""))),
            plan_file=Path(env.get("INPUT_PLAN_FILE", "").strip() or "reconciler-plan.json"),
            artifact_name=env.get("INPUT_ARTIFACT_NAME", "").strip()
            or f"reconciler-plan-{target or 'default'}",
        )

    def reconciler_args(self) -> list[str]:
        """The ``reconciler`` command line this action runs for its inputs."""
        common = [self.command, "-C", self.project, *(["-t", self.target] if self.target else [])]
        if self.command == "plan":
            return [*common, "--out", str(self.plan_file), "--format", "markdown", *self.args]
        if self.command == "apply":
            return [*common, str(self.plan_file), "--auto-approve", *self.args]
        fmt = "github" if self.command == "validate" else "markdown"
        return [*common, "--format", fmt, *self.args]


@dataclass(frozen=True)
class Finished:
    code: int
    out: str
    err: str


def run_reconciler(args: list[str], env: Mapping[str, str]) -> Finished:
    """``reconciler ARGS`` with this interpreter (the action's own install), captured."""
    shown = shlex.join(["reconciler", *args])
    print(f"::group::{shown}", flush=True)
    done = subprocess.run([sys.executable, "-m", "reconciler", *args], capture_output=True,
                          text=True, env=dict(env), check=False)
    sys.stderr.write(done.stderr)
    print("::endgroup::", flush=True)
    return Finished(done.returncode, done.stdout, done.stderr)


class GitHub:
    """The few REST calls the action makes, with the job's token."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.api = env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
        self.repo = env.get("GITHUB_REPOSITORY", "")
        self.token = env.get("GITHUB_TOKEN", "")
        if not self.repo or not self.token:
            raise ActionError("GITHUB_REPOSITORY and GITHUB_TOKEN (input github-token) are needed "
                              "to comment on the pull request or fetch its plan")

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        raw = self._open(method, f"{self.api}/repos/{self.repo}{path}", data)
        return json.loads(raw) if raw else None

    def _open(self, method: str, url: str, data: bytes | None = None) -> bytes:
        req = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "Content-Type": "application/json",
            "User-Agent": "serving-reconciler-action",
        })
        try:
            with _NO_REDIRECTS.open(req, timeout=60) as resp:
                return bytes(resp.read())
        except urllib.error.HTTPError as exc:
            if exc.code in (301, 302, 303, 307, 308) and exc.headers.get("Location"):
                # Artifact downloads redirect to storage that must not get our token.
                with urllib.request.urlopen(exc.headers["Location"], timeout=120) as resp:
                    return bytes(resp.read())
            detail = exc.read(500).decode(errors="replace")
            raise ActionError(f"GitHub API {method} {urllib.parse.urlsplit(url).path}: "
                              f"HTTP {exc.code} {detail}") from exc
        except urllib.error.URLError as exc:
            raise ActionError(f"GitHub API {method} {url}: {exc.reason}") from exc

    def upsert_comment(self, number: int, marker: str, body: str) -> str:
        """Edit the comment holding ``marker`` on pull request ``number``, else post one."""
        page = 1
        while True:
            comments = self.request("GET", f"/issues/{number}/comments?per_page=100&page={page}")
            for comment in comments or []:
                if marker in (comment.get("body") or ""):
                    updated = self.request("PATCH", f"/issues/comments/{comment['id']}",
                                           {"body": body})
                    return str(updated.get("html_url", ""))
            if not comments or len(comments) < 100:
                break
            page += 1
        created = self.request("POST", f"/issues/{number}/comments", {"body": body})
        return str(created.get("html_url", ""))

    def download_plan(self, sha: str, name: str, dest: Path) -> int:
        """Fetch the plan artifact ``name`` of the pull request merged as commit ``sha``;
        returns the pull request's number."""
        pulls = self.request("GET", f"/commits/{sha}/pulls") or []
        merged = [p for p in pulls if p.get("merged_at")] or pulls
        if not merged:
            raise ActionError(f"commit {sha[:12]} belongs to no pull request: there is no "
                              "reviewed plan to apply (pass plan-file, or plan and apply in "
                              "a pull request)")
        pull = merged[0]
        head = pull["head"]["sha"]
        query = urllib.parse.urlencode({"name": name, "per_page": 100})
        found = self.request("GET", f"/actions/artifacts?{query}") or {}
        candidates = [a for a in found.get("artifacts", [])
                      if a.get("workflow_run", {}).get("head_sha") == head
                      and not a.get("expired")]
        if not candidates:
            raise ActionError(f"no artifact {name!r} from pull request #{pull['number']} (head "
                              f"{head[:12]}): the reviewed plan is missing or expired; plan "
                              "the pull request again")
        newest = max(candidates, key=lambda a: str(a.get("created_at", "")))
        archive = self._open("GET", f"{self.api}/repos/{self.repo}/actions/artifacts/"
                                    f"{newest['id']}/zip")
        with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
            names = [n for n in zipped.namelist() if n.endswith(".json")]
            if not names:
                raise ActionError(f"artifact {name!r} holds no plan file (.json)")
            wanted = dest.name if dest.name in names else names[0]
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(zipped.read(wanted))
        return int(pull["number"])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


_NO_REDIRECTS = urllib.request.build_opener(_NoRedirect)


def _event(env: Mapping[str, str]) -> dict[str, Any]:
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ActionError(f"cannot read the event payload {path}: {exc}") from exc
    return data if isinstance(data, dict) else {}


def comment_body(inputs: Inputs, env: Mapping[str, str], result: Finished,
                 event: Mapping[str, Any]) -> str:
    """The pull-request comment: marker, plan or error, and where it came from."""
    marker = MARKER.format(key=f"project={inputs.project} target={inputs.target or 'default'}")
    server = env.get("GITHUB_SERVER_URL", "https://github.com")
    repo = env.get("GITHUB_REPOSITORY", "")
    run = f"{server}/{repo}/actions/runs/{env.get('GITHUB_RUN_ID', '')}"
    sha = env.get("GITHUB_SHA", "")
    head = (event.get("pull_request") or {}).get("head", {}).get("sha", "")
    commit = f"`{sha[:12]}`" + (f" (merge of the pull request's head `{head[:12]}`)"
                                if head and head != sha else "")
    if result.code in (0, 2):
        main = result.out.rstrip("\n")
        footer = (f"Planned from commit {commit} in [this run]({run}). The full plan is the "
                  f"artifact `{inputs.artifact_name}`; on merge it is applied as reviewed "
                  "(refused if the workspace moved since).")
    else:
        error = result.err.strip() or "reconciler plan failed without a message"
        if len(error) > ERROR_LIMIT:
            error = error[:ERROR_LIMIT] + "\n... (cut; see the run's log)"
        fence = "~~~~"
        main = (f"### Planning failed for target {inputs.target or '(default)'}\n\n"
                f"{fence}text\n{error}\n{fence}")
        footer = f"Planning failed at commit {commit} in [this run]({run})."
    body = f"{marker}\n{main}\n\n---\n{footer}\n"
    if len(body) > COMMENT_LIMIT:  # cannot happen with the bounded Markdown; never refused
        body = body[: COMMENT_LIMIT - 200] + f"\n\n(cut: see [the run]({run}))\n"
    return body


def _write(env: Mapping[str, str], key: str, text: str) -> None:
    path = env.get(key)
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)


def _plan(inputs: Inputs, env: Mapping[str, str]) -> int:
    inputs.plan_file.parent.mkdir(parents=True, exist_ok=True)
    result = run_reconciler(inputs.reconciler_args(), env)
    event = _event(env)
    body = comment_body(inputs, env, result, event)
    _write(env, "GITHUB_STEP_SUMMARY", body)
    changes = result.code == 2 or (result.code == 0 and "No changes." not in result.out)
    _write(env, "GITHUB_OUTPUT", f"exit-code={result.code}\nplan-file={inputs.plan_file}\n"
                                 f"has-changes={str(changes).lower()}\n")
    number = (event.get("pull_request") or {}).get("number")
    if number is not None:
        marker = body.split("\n", 1)[0]
        url = GitHub(env).upsert_comment(int(number), marker, body)
        print(f"Plan comment: {url}")
        _write(env, "GITHUB_OUTPUT", f"comment-url={url}\n")
    if result.code not in (0, 2):
        print(f"::error title=reconciler plan::planning failed (exit {result.code}); "
              "see the comment or the log")
        return 1
    return result.code  # 2 only with --detailed-exitcode in args: changes fail the job


def _apply(inputs: Inputs, env: Mapping[str, str]) -> int:
    plan_file = inputs.plan_file
    if not plan_file.is_file():
        sha = env.get("GITHUB_SHA", "")
        number = GitHub(env).download_plan(sha, inputs.artifact_name, plan_file)
        print(f"Applying the plan reviewed in pull request #{number} "
              f"(artifact {inputs.artifact_name!r})")
    result = run_reconciler(inputs.reconciler_args(), env)
    sys.stdout.write(result.out)
    _write(env, "GITHUB_STEP_SUMMARY", f"```text\n{result.out}{result.err}```\n")
    if result.code != 0 and "stale plan" in result.out + result.err:
        print("::error title=reconciler apply::the reviewed plan is stale (the workspace "
              "changed since it was made): plan again in a pull request and merge that")
    return result.code


def main(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    try:
        inputs = Inputs.from_env(env)
        if inputs.command == "plan":
            return _plan(inputs, env)
        if inputs.command == "apply":
            return _apply(inputs, env)
        result = run_reconciler(inputs.reconciler_args(), env)
        sys.stdout.write(result.out)
        if inputs.command == "drift":
            _write(env, "GITHUB_STEP_SUMMARY", result.out)
        return result.code
    except ActionError as exc:
        print(f"::error title=serving-reconciler::{exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
