"""A small loopback fake of the GitHub REST API: the calls the repository's action makes.

Issue comments (list, create, edit), the pull requests of a commit, artifacts (list, and the
zip download, which redirects to a "storage" URL as GitHub does). Every request is recorded
with its headers so a test can check what was sent where.
"""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class FakeGitHub:
    repo: str
    url: str = ""
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    pulls_of_commit: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    blobs: dict[int, bytes] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    _next_id: int = 1000

    def add_artifact(self, name: str, head_sha: str, files: dict[str, bytes]) -> None:
        """What actions/upload-artifact leaves behind: a named zip tied to a run's head."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as zipped:
            for path, content in files.items():
                zipped.writestr(path, content)
        artifact_id = len(self.blobs) + 1
        self.blobs[artifact_id] = buffer.getvalue()
        self.artifacts.append({"id": artifact_id, "name": name, "expired": False,
                               "created_at": f"2026-12-01T08:{artifact_id:02d}:00Z",
                               "workflow_run": {"head_sha": head_sha}})

    def handle(self, method: str, target: str, headers: dict[str, str],
               body: Any) -> tuple[int, Any, dict[str, str]]:
        self.requests.append({"method": method, "path": target, "headers": headers,
                              "body": body})
        parts = urlsplit(target)
        path, query = parts.path, parse_qs(parts.query)
        if path.startswith("/storage/"):
            return 200, self.blobs[int(path.rsplit("/", 1)[1])], {}
        if headers.get("authorization") != "Bearer ghs-fake-token":
            return 401, {"message": "Bad credentials"}, {}
        prefix = f"/repos/{self.repo}"
        if not path.startswith(prefix):
            return 404, {"message": "Not Found"}, {}
        path = path[len(prefix):]
        segments = path.strip("/").split("/")
        if segments[:1] == ["issues"] and segments[2:] == ["comments"]:
            number = int(segments[1])
            thread = self.comments.setdefault(number, [])
            if method == "GET":
                page, per_page = int(query["page"][0]), int(query["per_page"][0])
                return 200, thread[(page - 1) * per_page: page * per_page], {}
            self._next_id += 1
            comment = {"id": self._next_id, "body": body["body"],
                       "html_url": f"https://github.example/{self.repo}/pull/{number}"
                                   f"#issuecomment-{self._next_id}"}
            thread.append(comment)
            return 201, comment, {}
        if segments[:2] == ["issues", "comments"] and method == "PATCH":
            for thread in self.comments.values():
                for comment in thread:
                    if comment["id"] == int(segments[2]):
                        comment["body"] = body["body"]
                        return 200, comment, {}
            return 404, {"message": "Not Found"}, {}
        if segments[0] == "commits" and segments[2:] == ["pulls"]:
            return 200, self.pulls_of_commit.get(segments[1], []), {}
        if segments == ["actions", "artifacts"]:
            named = [a for a in self.artifacts if a["name"] == query["name"][0]]
            return 200, {"total_count": len(named), "artifacts": named}, {}
        if segments[:2] == ["actions", "artifacts"] and segments[3:] == ["zip"]:
            return 302, b"", {"Location": f"{self.url}/storage/{segments[2]}"}
        return 404, {"message": "Not Found"}, {}

    def ours(self, number: int, marker: str) -> list[dict[str, Any]]:
        return [c for c in self.comments.get(number, []) if marker in c["body"]]


@contextmanager
def serve_fake_github(repo: str) -> Iterator[FakeGitHub]:
    fake = FakeGitHub(repo)

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, payload, extra = fake.handle(self.command, self.path, headers, body)
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            for key, value in extra.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = _serve

        def log_message(self, *_args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    # serve_forever polls for shutdown every 0.5 s by default: each test's teardown then
    # waited up to half a second for nothing (tests are I/O-bound on this loopback server).
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                              daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
